//! The revocation list a seal verifier saves with the published keys (issue #14,
//! `/.well-known/ecites-revoked.json`): every permit number that a signature alone would still
//! pass as good but that the ledger says is no longer, so that an offline phone page tells a
//! cancelled, replaced or lost permit apart as of its last sync.
//!
//! Public on purpose: a permit's number and that it was cancelled is what any border officer
//! holding the paper must learn; nothing else of the permit is listed.

use ecites_cites::domain::permit::PermitStatus;
use serde::Serialize;

pub const FORMAT: &str = "ecites-revoked/1";

/// The statuses a genuine seal can no longer stand for. Expiry is not listed: the seal carries
/// its own end of validity.
pub const REVOKED: [&str; 3] = [
    PermitStatus::Cancelled.wire(),
    PermitStatus::Replaced.wire(),
    PermitStatus::LostOrStolen.wire(),
];

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RevokedPermit {
    pub number: String,
    pub status: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PartyRevoked {
    pub party: String,
    pub permits: Vec<RevokedPermit>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RevokedList {
    pub format: &'static str,
    /// When the list was read from the read models: what a verifier says its status is "as of".
    #[serde(with = "time::serde::rfc3339")]
    pub as_of: time::OffsetDateTime,
    pub parties: Vec<PartyRevoked>,
}

/// Every Party's revoked permits, from the live read models.
pub async fn revoked(pool: &sqlx::PgPool) -> Result<RevokedList, sqlx::Error> {
    // Taken before the read, so the list never claims more than it saw.
    let now = time::OffsetDateTime::now_utc();
    let as_of = now.replace_nanosecond(0).unwrap_or(now);
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT party, permit_number, status FROM permits \
         WHERE status = ANY($1) AND permit_number IS NOT NULL \
         ORDER BY party, permit_number",
    )
    .bind(REVOKED.to_vec())
    .fetch_all(pool)
    .await?;
    Ok(RevokedList {
        format: FORMAT,
        as_of,
        parties: group(rows),
    })
}

fn group(rows: Vec<(String, String, String)>) -> Vec<PartyRevoked> {
    let mut parties: Vec<PartyRevoked> = vec![];
    for (party, number, status) in rows {
        let permit = RevokedPermit { number, status };
        match parties.last_mut() {
            Some(last) if last.party == party => last.permits.push(permit),
            _ => parties.push(PartyRevoked {
                party,
                permits: vec![permit],
            }),
        }
    }
    parties
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_in_party_order_group_by_party() {
        let row = |p: &str, n: &str, s: &str| (p.to_string(), n.to_string(), s.to_string());
        let parties = group(vec![
            row("KE", "KE/1", "lost"),
            row("LK", "LK/1", "cancelled"),
            row("LK", "LK/2", "replaced"),
        ]);
        assert_eq!(parties.len(), 2);
        assert_eq!(parties[1].party, "LK");
        assert_eq!(parties[1].permits.len(), 2);
        assert_eq!(REVOKED, ["cancelled", "replaced", "lost"]);
    }
}
