//! Who is asking: the query service does not own users, it asks [`Sessions`] for the viewer
//! behind a bearer token, and keeps every answer inside the viewer's Party (and, for a
//! trader, inside its organisation).

use crate::problem::ApiError;
use axum::http::{header, HeaderMap};
use ecites_events::PartyCode;
use uuid::Uuid;

/// The person behind a bearer token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Viewer {
    pub user_id: String,
    pub party: PartyCode,
    /// trader | ma_officer | ma_signatory | sa_expert | customs | auditor | party_admin |
    /// system_operator
    pub role: String,
    /// The trader's organisation (None for every other role).
    pub organisation_id: Option<Uuid>,
}

/// Resolves bearer tokens (implemented by the command side's session store).
pub trait Sessions: Send + Sync {
    fn viewer(&self, bearer_token: &str) -> Option<Viewer>;
}

pub const TRADER: &str = "trader";
pub const SYSTEM_OPERATOR: &str = "system_operator";

/// The roles that may read reports and dashboards.
const REPORT_ROLES: &[&str] = &[
    "ma_officer",
    "ma_signatory",
    "auditor",
    "party_admin",
    SYSTEM_OPERATOR,
];

impl Viewer {
    pub fn is_trader(&self) -> bool {
        self.role == TRADER
    }

    /// Whether the viewer may read this Party's read models at all.
    pub fn may_read_party(&self, party: PartyCode) -> bool {
        self.party == party || self.role == SYSTEM_OPERATOR
    }

    /// Reports and dashboards: officers, signatories, auditors, Party admins.
    pub fn require_reports(&self) -> Result<(), ApiError> {
        if REPORT_ROLES.contains(&self.role.as_str()) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "role {} may not read reports",
                self.role
            )))
        }
    }

    /// The organisation a trader is confined to: `Some(None)` for a trader without one
    /// (who then sees nothing), `None` for every role that is not confined.
    pub fn confined_to(&self) -> Option<Option<Uuid>> {
        self.is_trader().then_some(self.organisation_id)
    }
}

/// The token of `Authorization: Bearer <token>`.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The viewer of a request for `party`: 401 without a known token, 403 for another Party.
pub fn authenticate(
    sessions: &dyn Sessions,
    headers: &HeaderMap,
    party: PartyCode,
) -> Result<Viewer, ApiError> {
    let token = bearer(headers).ok_or(ApiError::Unauthenticated)?;
    let viewer = sessions.viewer(token).ok_or(ApiError::Unauthenticated)?;
    if !viewer.may_read_party(party) {
        return Err(ApiError::Forbidden(format!(
            "a user of {} may not read {party}",
            viewer.party
        )));
    }
    Ok(viewer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn bearer_is_read() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert_eq!(bearer(&h), Some("abc"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&h), None);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert_eq!(bearer(&h), None);
    }
}
