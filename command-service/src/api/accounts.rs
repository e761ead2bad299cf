//! Prepayment accounts over HTTP: opening (the organisation's staff or the Management
//! Authority), deposits (the Management Authority), the balance and statement. Debits are not
//! a route of their own: a permit fee paid with `{"prepayment_debit": {"account_id": …}}` is.

use super::body::JsonBody;
use super::permits::{body, party};
use super::problem::Problem;
use super::{ApiState, Authenticated};
use crate::domain::account::{AccountCommand, AccountError};
use crate::handler::Accepted;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use ecites_events::cites::Money;
use ecites_events::{EventAppender, EventReader};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

fn accepted(a: Accepted, status: StatusCode) -> (StatusCode, Json<Value>) {
    super::accepted(Some("account_id"), a, status)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OpenBody {
    command_id: Uuid,
    /// Chosen by the client so that a retried opening is recognised.
    account_id: Option<Uuid>,
    /// Defaults to the organisation of the caller's account.
    organisation_id: Option<Uuid>,
    /// Defaults to the Party's fee currency.
    currency: Option<String>,
}

pub async fn open<L: EventAppender + EventReader>(
    State(api): State<Arc<ApiState<L>>>,
    Authenticated(who): Authenticated,
    Path(code): Path<String>,
    raw: JsonBody,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let party = party(&code)?;
    let b: OpenBody = body(raw)?;
    let organisation_id = b
        .organisation_id
        .or(who.organisation_id)
        .ok_or_else(|| Problem::bad_request("organisation_id: required"))?;
    let currency = match b.currency {
        Some(c) => c,
        None => api.handler.fee_currency(party).await?,
    };
    let command = AccountCommand::Open {
        organisation_id,
        currency,
    };
    let id = b.account_id.unwrap_or_else(Uuid::now_v7);
    let done = api
        .handler
        .handle_account(&who, party, id, b.command_id, command)
        .await?;
    Ok(accepted(done, StatusCode::CREATED))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DepositBody {
    command_id: Uuid,
    amount: Money,
    receipt_number: String,
}

pub async fn deposit<L: EventAppender + EventReader>(
    State(api): State<Arc<ApiState<L>>>,
    Authenticated(who): Authenticated,
    Path((code, id)): Path<(String, Uuid)>,
    raw: JsonBody,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let party = party(&code)?;
    let b: DepositBody = body(raw)?;
    let command = AccountCommand::Deposit {
        amount: b.amount,
        receipt_number: b.receipt_number,
    };
    let done = api
        .handler
        .handle_account(&who, party, id, b.command_id, command)
        .await?;
    Ok(accepted(done, StatusCode::OK))
}

pub async fn show<L: EventAppender + EventReader>(
    State(api): State<Arc<ApiState<L>>>,
    Authenticated(who): Authenticated,
    Path((code, id)): Path<(String, Uuid)>,
) -> Result<Json<Value>, Problem> {
    let party = party(&code)?;
    let a = api.handler.account(&who, party, id).await?;
    let opened = a.state.opened.as_ref();
    let movements: Vec<Value> = a
        .state
        .movements
        .iter()
        .zip(&a.recorded)
        .map(|(m, (sequence, at))| {
            let mut v = json!(m);
            v["position"] = json!(ecites_events::Position::new(party, *sequence));
            v["recorded_at"] = json!(at.format(&Rfc3339).ok());
            v
        })
        .collect();
    Ok(Json(json!({
        "account_id": id,
        "organisation_id": opened.map(|o| o.organisation_id),
        "balance": opened.map(|o| Money {
            minor_units: a.state.balance,
            currency: o.currency.clone(),
        }),
        "movements": movements,
        "position": ecites_events::Position::new(party, a.position.sequence()),
    })))
}

/// The account routes.
pub fn routes<L: EventAppender + EventReader + 'static>() -> Router<Arc<ApiState<L>>> {
    Router::new()
        .route("/api/{party}/accounts", post(open::<L>))
        .route("/api/{party}/accounts/{id}", get(show::<L>))
        .route("/api/{party}/accounts/{id}/deposit", post(deposit::<L>))
}

impl From<AccountError> for Problem {
    fn from(e: AccountError) -> Self {
        let detail = e.to_string();
        match e {
            AccountError::InvalidTransition { .. } => Problem::new(
                StatusCode::CONFLICT,
                "invalid-transition",
                "Not possible in the account's current state",
                detail,
            ),
            AccountError::Rules(findings) => {
                let mut p = Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "rule-violation",
                    "Refused by the prepayment rules",
                    detail,
                );
                p.violations = findings
                    .into_iter()
                    .map(|f| super::problem::Violation {
                        rule: f.rule.into(),
                        message: format!("{} ({})", f.message, f.source),
                        field: f.field,
                    })
                    .collect();
                p
            }
            AccountError::Invalid(_) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "Invalid command",
                detail,
            ),
        }
    }
}

/// The account routes of the OpenAPI document.
pub fn openapi_paths(paths: &mut Map<String, Value>) {
    let uuid = json!({"type": "string", "format": "uuid"});
    let text = json!({"type": "string"});
    let money = json!({"type": "object", "required": ["minor_units", "currency"], "properties": {
        "minor_units": {"type": "integer"}, "currency": {"type": "string", "description": "ISO 4217"}}});
    let accepted = json!({"description": "accepted", "content": {"application/json": {"schema": {"type": "object", "properties": {
        "account_id": uuid, "events": {"type": "array", "items": text},
        "position": text, "duplicate": {"type": "boolean"}}}}}});
    let body = |required: &[&str], properties: Value| {
        json!({"content": {"application/json": {"schema": {"type": "object",
            "required": required, "properties": properties}}}})
    };
    paths.insert("/api/{party}/accounts".into(), json!({"post": {
        "summary": "Open a prepayment account for an organisation (its members or MA); pay permit fees from it with the payment method {\"prepayment_debit\": {\"account_id\": …}}",
        "security": [{"bearer": []}],
        "requestBody": body(&["command_id"], json!({"command_id": uuid, "account_id": uuid,
            "organisation_id": uuid, "currency": {"type": "string", "description": "ISO 4217; default the Party's fee currency"}})),
        "responses": {"201": accepted}}}));
    paths.insert("/api/{party}/accounts/{id}".into(), json!({"get": {
        "summary": "The balance and every deposit and debit (to the organisation's members, MA staff and auditors)",
        "security": [{"bearer": []}]}}));
    paths.insert(
        "/api/{party}/accounts/{id}/deposit".into(),
        json!({"post": {
        "summary": "Record money received into the account, with the MA's receipt number (MA)",
        "security": [{"bearer": []}],
        "requestBody": body(&["command_id", "amount", "receipt_number"],
            json!({"command_id": uuid, "amount": money, "receipt_number": text})),
        "responses": {"200": accepted}}}),
    );
}
