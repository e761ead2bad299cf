//! The permit commands over HTTP: JSON in, JSON out, idempotent by `command_id`.

use super::body::{typed, JsonBody};
use super::problem::Problem;
use super::{ApiState, Authenticated};
use crate::domain::permit::PermitCommand;
use crate::domain::rules::data::ApplicationForm;
use crate::handler::Accepted;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use ecites_events::cites::{IsoDate, Money};
use ecites_events::payloads::permit::{EndorsedLine, LineOpinion, PaymentMethod};
use ecites_events::{EventAppender, EventReader, PartyCode};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use uuid::Uuid;

pub(super) fn body<T: serde::de::DeserializeOwned>(raw: JsonBody) -> Result<T, Problem> {
    typed(raw.0)
}

pub(super) fn party(code: &str) -> Result<PartyCode, Problem> {
    code.parse()
        .map_err(|e: ecites_events::party::InvalidPartyCode| {
            Problem::new(
                StatusCode::NOT_FOUND,
                "unknown-party",
                "Unknown Party",
                e.to_string(),
            )
        })
}

fn accepted(a: Accepted, status: StatusCode) -> (StatusCode, Json<Value>) {
    super::accepted(Some("permit_id"), a, status)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubmitBody {
    command_id: Uuid,
    /// Chosen by the client so that a retried submission is recognised.
    permit_id: Option<Uuid>,
    organisation_id: Option<Uuid>,
    application: ApplicationForm,
}

pub async fn submit<L: EventAppender + EventReader>(
    State(api): State<Arc<ApiState<L>>>,
    Authenticated(who): Authenticated,
    Path(code): Path<String>,
    raw: JsonBody,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let party = party(&code)?;
    let b: SubmitBody = body(raw)?;
    let organisation_id = b
        .organisation_id
        .or(who.organisation_id)
        .unwrap_or_default();
    let command = PermitCommand::Submit {
        organisation_id,
        form: b.application,
    };
    let permit_id = b.permit_id.unwrap_or_else(|| {
        crate::domain::permit::submission_permit_id(party, &who.user_id, b.command_id)
    });
    let done = api
        .handler
        .handle(&who, party, permit_id, b.command_id, command)
        .await?;
    Ok(accepted(done, StatusCode::CREATED))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssessBody {
    /// Accepted and ignored, so that the application form's own body can be sent as it is.
    #[serde(rename = "command_id")]
    _c: Option<Uuid>,
    /// A returned application: assess its resubmission instead of a new submission.
    permit_id: Option<Uuid>,
    organisation_id: Option<Uuid>,
    application: ApplicationForm,
}

/// `POST /api/{party}/permits/assess`: what submitting (or resubmitting) the form now would
/// do, the same checks and fee as the command, and nothing written. Rule refusals answer 200
/// with `accepted: false`; the caller's own refusals (role, organisation, state) answer as the
/// command would.
pub async fn assess<L: EventAppender + EventReader>(
    State(api): State<Arc<ApiState<L>>>,
    Authenticated(who): Authenticated,
    Path(code): Path<String>,
    raw: JsonBody,
) -> Result<Json<Value>, Problem> {
    let party = party(&code)?;
    let b: AssessBody = body(raw)?;
    let organisation_id = b
        .organisation_id
        .or(who.organisation_id)
        .unwrap_or_default();
    let a = api
        .handler
        .assess(&who, party, b.permit_id, organisation_id, b.application)
        .await?;
    let violations: Vec<Value> = a
        .violations
        .iter()
        .map(|f| json!({"rule": f.rule, "message": format!("{} ({})", f.message, f.source), "field": f.field}))
        .collect();
    Ok(Json(json!({
        "command": a.command,
        "accepted": violations.is_empty(),
        "fee": a.fee,
        "warnings": a.warnings,
        "violations": violations,
        "checks": a.checks,
    })))
}

#[derive(Deserialize)]
struct CommandId {
    command_id: Uuid,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct Reason {
    #[serde(rename = "command_id")]
    _c: Uuid,
    reason: String,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct OptionalReason {
    #[serde(rename = "command_id")]
    _c: Uuid,
    reason: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct Resubmit {
    #[serde(rename = "command_id")]
    _c: Uuid,
    application: ApplicationForm,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct Assign {
    #[serde(rename = "command_id")]
    _c: Uuid,
    officer_id: String,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct Legal {
    #[serde(rename = "command_id")]
    _c: Uuid,
    #[serde(default)]
    evidence: Vec<String>,
    note: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RequestOpinion {
    #[serde(rename = "command_id")]
    _c: Uuid,
    #[serde(default)]
    lines: Vec<u32>,
    question: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct Opinion {
    #[serde(rename = "command_id")]
    _c: Uuid,
    #[serde(default)]
    lines: Vec<LineOpinion>,
    recipient_suitably_equipped: Option<bool>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct Approve {
    #[serde(rename = "command_id")]
    _c: Uuid,
    #[serde(default)]
    conditions: Vec<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct Payment {
    #[serde(rename = "command_id")]
    _c: Uuid,
    amount: Money,
    method: PaymentMethod,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct Endorse {
    #[serde(rename = "command_id")]
    _c: Uuid,
    lines: Vec<EndorsedLine>,
    port: String,
    endorsed_on: IsoDate,
    transport_document: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct Lost {
    #[serde(rename = "command_id")]
    _c: Uuid,
    stolen: bool,
    note: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct Issue {
    #[serde(rename = "command_id")]
    _c: Uuid,
    /// When the consignment already left and the Party allows the documented exceptions to
    /// PERMIT-NO-RETROSPECTIVE: why the permit is issued after the fact.
    retrospective_reason: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct CommandOnly {
    #[serde(rename = "command_id")]
    _c: Uuid,
}

/// The JSON Schema of the body of permit action `action`, for the OpenAPI document: the very
/// types the handler parses.
pub(super) fn action_body_schema(action: &str) -> Value {
    use schemars::schema_for;
    let schema = match action {
        "return" | "reject" | "waive-fee" | "cancel" => schema_for!(Reason),
        "resubmit" => schema_for!(Resubmit),
        "withdraw" => schema_for!(OptionalReason),
        "assign" => schema_for!(Assign),
        "legal-acquisition" => schema_for!(Legal),
        "request-opinion" => schema_for!(RequestOpinion),
        "opinion" => schema_for!(Opinion),
        "approve" => schema_for!(Approve),
        "payment" => schema_for!(Payment),
        "issue" => schema_for!(Issue),
        "endorse" => schema_for!(Endorse),
        "report-lost" => schema_for!(Lost),
        _ => schema_for!(CommandOnly),
    };
    serde_json::to_value(schema).unwrap_or(Value::Null)
}

/// The command named by the URL's last segment, from its JSON body.
fn command(action: &str, raw: Value) -> Result<PermitCommand, Problem> {
    let parse = |v: Value| -> Result<_, Problem> { Ok(v) };
    let v = parse(raw)?;
    Ok(match action {
        "return" => {
            let b: Reason = typed(v)?;
            PermitCommand::ReturnForChanges { reason: b.reason }
        }
        "resubmit" => {
            let b: Resubmit = typed(v)?;
            PermitCommand::Resubmit {
                form: b.application,
            }
        }
        "withdraw" => {
            let b: OptionalReason = typed(v)?;
            PermitCommand::Withdraw { reason: b.reason }
        }
        "assign" => {
            let b: Assign = typed(v)?;
            PermitCommand::AssignReviewer {
                officer_id: b.officer_id,
            }
        }
        "legal-acquisition" => {
            let b: Legal = typed(v)?;
            PermitCommand::RecordLegalAcquisition {
                evidence: b.evidence,
                note: b.note,
            }
        }
        "request-opinion" => {
            let b: RequestOpinion = typed(v)?;
            PermitCommand::RequestScientificOpinion {
                lines: b.lines,
                question: b.question,
            }
        }
        "opinion" => {
            let b: Opinion = typed(v)?;
            PermitCommand::GiveScientificOpinion {
                lines: b.lines,
                recipient_suitably_equipped: b.recipient_suitably_equipped,
            }
        }
        "approve" => {
            let b: Approve = typed(v)?;
            PermitCommand::Approve {
                conditions: b.conditions,
            }
        }
        "reject" => {
            let b: Reason = typed(v)?;
            PermitCommand::Reject { reason: b.reason }
        }
        "payment" => {
            let b: Payment = typed(v)?;
            PermitCommand::RecordPayment {
                amount: b.amount,
                method: b.method,
            }
        }
        "waive-fee" => {
            let b: Reason = typed(v)?;
            PermitCommand::WaiveFee { reason: b.reason }
        }
        "issue" => {
            let b: Issue = typed(v)?;
            PermitCommand::Issue {
                permit_number: String::new(),
                security_stamp: 0,
                retrospective_reason: b.retrospective_reason,
            }
        }
        "endorse" => {
            let b: Endorse = typed(v)?;
            PermitCommand::Endorse {
                lines: b.lines,
                port: b.port,
                endorsed_on: b.endorsed_on,
                transport_document: b.transport_document,
            }
        }
        "cancel" => {
            let b: Reason = typed(v)?;
            PermitCommand::Cancel { reason: b.reason }
        }
        "expire" => PermitCommand::Expire,
        "report-lost" => {
            let b: Lost = typed(v)?;
            PermitCommand::ReportLost {
                stolen: b.stolen,
                note: b.note,
            }
        }
        other => {
            return Err(Problem::new(
                StatusCode::NOT_FOUND,
                "unknown-command",
                "Unknown command",
                format!("no command {other:?}"),
            ))
        }
    })
}

pub const ACTIONS: [&str; 16] = [
    "return",
    "resubmit",
    "withdraw",
    "assign",
    "legal-acquisition",
    "request-opinion",
    "opinion",
    "approve",
    "reject",
    "payment",
    "waive-fee",
    "issue",
    "endorse",
    "cancel",
    "expire",
    "report-lost",
];

pub async fn act<L: EventAppender + EventReader>(
    State(api): State<Arc<ApiState<L>>>,
    Authenticated(who): Authenticated,
    Path((code, id, action)): Path<(String, Uuid, String)>,
    raw: JsonBody,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let party = party(&code)?;
    let JsonBody(value) = raw;
    let CommandId { command_id } = typed(value.clone())?;
    let command = command(&action, value)?;
    if let PermitCommand::AssignReviewer { officer_id } = &command {
        reviewer_exists(&api, party, officer_id)?;
    }
    let done = api
        .handler
        .handle(&who, party, id, command_id, command)
        .await?;
    Ok(accepted(done, StatusCode::OK))
}

/// DATA-USER (ours): the officer a review is assigned to is a Management Authority officer or
/// signatory of the Party, not any string.
fn reviewer_exists<L>(
    api: &ApiState<L>,
    party: PartyCode,
    officer_id: &str,
) -> Result<(), Problem> {
    use crate::handler::auth::Role;
    match api.users.role_of(party, officer_id) {
        Some(Role::MaOfficer | Role::MaSignatory) => Ok(()),
        Some(_) => Err(Problem::refused(
            "DATA-USER",
            "officer_id",
            format!("{officer_id:?} is not a Management Authority officer of {party}"),
        )),
        None => Err(Problem::refused(
            "DATA-USER",
            "officer_id",
            format!("{party} has no user {officer_id:?}"),
        )),
    }
}

pub async fn show<L: EventAppender + EventReader>(
    State(api): State<Arc<ApiState<L>>>,
    Authenticated(who): Authenticated,
    Path((code, id)): Path<(String, Uuid)>,
) -> Result<Json<Value>, Problem> {
    let party = party(&code)?;
    let s = api.handler.permit(&who, party, id).await?;
    Ok(Json(json!({
        "permit_id": id,
        "status": s.status,
        "organisation_id": s.organisation_id,
        "application": s.content,
        "warnings": s.warnings,
        "reviewer": s.reviewer,
        "conditions": s.conditions,
        "fee": s.fee,
        "paid_minor_units": s.paid_minor_units,
        "fee_waived": s.fee_waived,
        "permit_number": s.permit.as_ref().map(|p| &p.permit_number),
        "security_stamp": s.permit.as_ref().map(|p| p.security_stamp),
        "issued_on": s.permit.as_ref().map(|p| p.issued_on),
        "valid_until": s.permit.as_ref().map(|p| p.valid_until),
        "quota_use": s.permit.as_ref().map(|p| &p.quota_use),
        "endorsement": s.endorsement,
        "replaces": s.replaces.as_ref().map(|r| &r.replaces_permit_number),
    })))
}
