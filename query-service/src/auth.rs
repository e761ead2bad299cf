//! Who is asking: the query service does not own users, it asks [`Sessions`] for the viewer
//! behind a bearer token, and keeps every answer inside the viewer's Party (and, for a
//! trader, inside the organisations that list it as a member or an agent).

use crate::listing::{Bind, Part, Where};
use crate::problem::ApiError;
use axum::http::{header, HeaderMap};
use ecites_events::PartyCode;
use sqlx::PgPool;
use uuid::Uuid;

/// The person behind a bearer token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Viewer {
    pub user_id: String,
    pub party: PartyCode,
    /// trader | ma_officer | ma_signatory | sa_expert | customs | auditor | party_admin |
    /// system_operator
    pub role: String,
    /// The organisation the trader's account was opened for (None for every other role): the
    /// one it may register. It grants no reading: sharing it is not membership (see
    /// [`Reach`]).
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
}

/// What of the Party's organisations' rows a viewer reads: a trader only those of the
/// organisations that list it in `organisation_members` as a member or an agent (a removal
/// deletes the row, so a removed user reads nothing more of it); never by the account's
/// `organisation_id`, since sharing it is not membership. Resolved once per request, after the
/// read-your-writes wait (one indexed lookup, `organisation_members (user_id, …)`), so that
/// every list then filters on the organisation ids themselves and PostgreSQL reads a trader's
/// permits from `permits (organisation_id, updated_at)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reach {
    /// Every row of the Party: every role but the trader.
    Party,
    /// A trader: the rows of these organisations of `party` (the viewer's own) only. The
    /// Party is part of the reach because organisation ids are chosen by clients: another
    /// Party may hold the same id.
    Organisations { party: PartyCode, ids: Vec<Uuid> },
}

impl Reach {
    /// The reach of `viewer`, as the read models list it now.
    pub async fn of(viewer: &Viewer, party: PartyCode, pool: &PgPool) -> Result<Self, ApiError> {
        if !viewer.is_trader() {
            return Ok(Reach::Party);
        }
        // A trader is a user of its own Party only: the membership rows of another Party that
        // happen to name the same user id or organisation id grant nothing here.
        let ids = sqlx::query_scalar(
            "SELECT m.organisation_id FROM organisation_members m \
             JOIN organisations o ON o.party = m.party AND o.organisation_id = m.organisation_id \
             WHERE m.party = $2 AND m.user_id = $1 ORDER BY m.organisation_id",
        )
        .bind(&viewer.user_id)
        .bind(party.as_str())
        .fetch_all(pool)
        .await?;
        Ok(Reach::Organisations { party, ids })
    }

    /// `column` (an organisation id) within the reach, as a condition; `None` when the viewer
    /// reads the whole Party.
    pub fn condition(&self, column: &str) -> Option<Vec<Part>> {
        let Reach::Organisations { ids: mine, .. } = self else {
            return None;
        };
        Some(match mine.as_slice() {
            [] => vec![Part::Sql("false".into())],
            [one] => vec![
                Part::Sql(format!("{column} = ")),
                Part::Bind(Bind::Uuid(*one)),
            ],
            _ => vec![
                Part::Sql(format!("{column} = ANY(")),
                Part::Bind(Bind::Uuids(mine.clone())),
                Part::Sql(")".into()),
            ],
        })
    }

    /// Confines `w` to the rows whose `column` holds an organisation id within the reach.
    pub fn confine(&self, w: &mut Where, column: &str) {
        if let Some(c) = self.condition(column) {
            w.cond(c);
        }
    }

    /// `outer IN (SELECT key FROM table WHERE organisation_id within the reach)`, for rows that
    /// reach their organisation through another table; `None` when the viewer reads the Party.
    pub fn through(&self, outer: &str, key: &str, table: &str) -> Option<Vec<Part>> {
        let Reach::Organisations { party, .. } = self else {
            return None;
        };
        let mut parts = vec![
            Part::Sql(format!(
                "{outer} IN (SELECT {key} FROM {table} WHERE party = "
            )),
            Part::Bind(Bind::Text(party.as_str().into())),
            Part::Sql(" AND ".into()),
        ];
        parts.extend(self.condition("organisation_id")?);
        parts.push(Part::Sql(")".into()));
        Some(parts)
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

    fn sql(parts: Option<Vec<Part>>) -> Option<String> {
        parts.map(|p| {
            p.iter()
                .map(|p| match p {
                    Part::Sql(s) => s.clone(),
                    Part::Bind(b) => format!("<{b:?}>"),
                })
                .collect()
        })
    }

    #[test]
    fn a_trader_reaches_the_organisations_listing_it_only() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert_eq!(sql(Reach::Party.condition("p.organisation_id")), None);
        let lk: PartyCode = "LK".parse().expect("party");
        let none = Reach::Organisations {
            party: lk,
            ids: vec![],
        };
        assert_eq!(sql(none.condition("c")).as_deref(), Some("false"));
        assert_eq!(
            sql(none.through("m.permit_id", "permit_id", "permits")).as_deref(),
            Some("m.permit_id IN (SELECT permit_id FROM permits WHERE party = <Text(\"LK\")> AND false)")
        );
        // One organisation: an equality, which the (organisation_id, updated_at) index serves.
        let one = Reach::Organisations {
            party: lk,
            ids: vec![a],
        };
        assert_eq!(
            sql(one.condition("p.organisation_id")),
            Some(format!("p.organisation_id = <Uuid({a})>"))
        );
        let two = Reach::Organisations {
            party: lk,
            ids: vec![a, b],
        };
        assert_eq!(
            sql(two.condition("c")),
            Some(format!("c = ANY(<Uuids([{a}, {b}])>)"))
        );
    }

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
