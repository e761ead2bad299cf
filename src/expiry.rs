//! Expiry of permits whose validity has passed (Art. VI.2; rule PERMIT-VALIDITY): a sweep finds
//! the issued permits past their last day in the read models and sends each the `expire`
//! command, which records `PermitExpired` and releases its quota reservation.
//!
//! The command id is derived from the permit id, so sweeps running in several instances (or
//! again after a crash) expire each permit once. The actor in the signed event is
//! `expiry-scheduler`, so auditors see that no person did it.

use ecites_command::domain::permit::PermitCommand;
use ecites_command::handler::auth::{Principal, Role};
use ecites_command::handler::{CommandHandler, HandlerError};
use ecites_events::cites::IsoDate;
use ecites_events::{EventAppender, EventReader, PartyCode};
use sqlx::PgPool;
use uuid::Uuid;

/// The user id the scheduler's events carry.
pub const SCHEDULER: &str = "expiry-scheduler";

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sweep {
    /// Permits expired by this sweep.
    pub expired: Vec<Uuid>,
    /// Already expired by an earlier sweep (the command was a duplicate).
    pub already: usize,
    /// Refused by the rules, with the reason (e.g. the handler's clock says still valid).
    pub refused: Vec<(Uuid, String)>,
}

/// The issued permits of `party` whose validity ended before `today`, per the read models.
pub async fn due(
    pool: &PgPool,
    party: PartyCode,
    today: IsoDate,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT permit_id FROM permits WHERE party = $1 AND status = 'issued' AND valid_until < $2 \
         ORDER BY valid_until, permit_id",
    )
    .bind(party.to_string())
    .bind(today.0)
    .fetch_all(pool)
    .await
}

/// Expires every permit of `party` that is due on `today`.
pub async fn sweep<L: EventAppender + EventReader + 'static>(
    handler: &CommandHandler<L>,
    pool: &PgPool,
    party: PartyCode,
    today: IsoDate,
) -> Result<Sweep, anyhow::Error> {
    let who = Principal {
        user_id: SCHEDULER.into(),
        role: Role::MaOfficer,
        party,
        organisation_id: None,
    };
    let mut out = Sweep::default();
    for permit in due(pool, party, today).await? {
        let command_id = Uuid::new_v5(&permit, b"ecites:expire");
        match handler
            .handle(&who, party, permit, command_id, PermitCommand::Expire)
            .await
        {
            Ok(a) if a.duplicate => out.already += 1,
            Ok(_) => out.expired.push(permit),
            Err(HandlerError::Refused(e)) => out.refused.push((permit, e.to_string())),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
}
