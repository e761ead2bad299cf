//! The Party's configuration over HTTP: the fee schedule, stricter domestic measures and the
//! national list, changed by the Party's administrator only and idempotent by `command_id`;
//! read by any user of the Party.

use super::body::JsonBody;
use super::permits::{body, party};
use super::problem::{Problem, Violation};
use super::{ApiState, Authenticated};
use crate::domain::codes::{Appendix, DocumentType, PurposeCode, SourceCode};
use crate::domain::context::FeeRule;
use crate::domain::party_config::{PartyConfigCommand as C, PartyConfigError};
use crate::handler::auth::Principal;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use ecites_events::payloads::party_config::{
    DomesticMeasureSet, FeeScheduleSet, NationalListSpeciesAdded,
};
use ecites_events::{EventAppender, EventReader, PartyCode};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use uuid::Uuid;

/// The configuration routes, merged into the API's router.
pub fn routes<L: EventAppender + EventReader + 'static>() -> Router<Arc<ApiState<L>>> {
    Router::new()
        .route("/api/{party}/config", get(show::<L>))
        .route(
            "/api/{party}/config/fees",
            post(set_fees::<L>).put(set_fees::<L>),
        )
        .route(
            "/api/{party}/config/domestic-measures/{id}",
            post(set_measure::<L>),
        )
        .route(
            "/api/{party}/config/domestic-measures/{id}/revoke",
            post(revoke_measure::<L>),
        )
        .route("/api/{party}/config/national-list", post(add_species::<L>))
        .route(
            "/api/{party}/config/national-list/{taxon_id}/remove",
            post(remove_species::<L>),
        )
        .route("/api/{party}/config/security-stamps", post(set_stamps::<L>))
        .route(
            "/api/{party}/config/retrospective-issue",
            post(set_retrospective::<L>),
        )
        .merge(super::national_entries::routes::<L>())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RetrospectiveBody {
    command_id: Uuid,
    exceptions_allowed: bool,
    basis: String,
}

/// Whether the Party allows the documented exceptions to PERMIT-NO-RETROSPECTIVE
/// (Res. Conf. 12.3); the basis names the national provision.
async fn set_retrospective<L: EventAppender + EventReader>(
    State(api): State<Arc<ApiState<L>>>,
    Authenticated(who): Authenticated,
    Path(code): Path<String>,
    raw: JsonBody,
) -> Result<Json<Value>, Problem> {
    let party = party(&code)?;
    let b: RetrospectiveBody = body(raw)?;
    let command = C::SetRetrospectiveIssuePolicy(
        ecites_events::payloads::party_config::RetrospectiveIssuePolicySet {
            exceptions_allowed: b.exceptions_allowed,
            basis: b.basis,
        },
    );
    configure(&api, &who, party, b.command_id, command).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StampRangeBody {
    command_id: Uuid,
    first: u64,
    last: u64,
}

async fn set_stamps<L: EventAppender + EventReader>(
    State(api): State<Arc<ApiState<L>>>,
    Authenticated(who): Authenticated,
    Path(code): Path<String>,
    raw: JsonBody,
) -> Result<Json<Value>, Problem> {
    let party = party(&code)?;
    let b: StampRangeBody = body(raw)?;
    let range = ecites_events::payloads::party_config::SecurityStampRangeSet {
        first: b.first,
        last: b.last,
    };
    let command = C::SetSecurityStampRange(range);
    configure(&api, &who, party, b.command_id, command).await
}

/// Every configuration route ends here: the command through the handler, its answer.
pub(super) async fn configure<L: EventAppender + EventReader>(
    api: &ApiState<L>,
    who: &Principal,
    party: PartyCode,
    command_id: Uuid,
    command: C,
) -> Result<Json<Value>, Problem> {
    let done = api
        .handler
        .handle_party_config(who, party, command_id, command)
        .await?;
    Ok(super::accepted(None, done, StatusCode::OK).1)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FeesBody {
    command_id: Uuid,
    currency: String,
    /// Parsed rule by rule below, so that a bad value is reported with its rule's index.
    rules: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FeeRuleBody {
    document_type: Option<DocumentType>,
    appendix: Option<Appendix>,
    base: i64,
    #[serde(default)]
    per_line: i64,
    #[serde(default)]
    express_surcharge: i64,
}

async fn set_fees<L: EventAppender + EventReader>(
    State(api): State<Arc<ApiState<L>>>,
    Authenticated(who): Authenticated,
    Path(code): Path<String>,
    raw: JsonBody,
) -> Result<Json<Value>, Problem> {
    let party = party(&code)?;
    let b: FeesBody = body(raw)?;
    let mut rules = vec![];
    for (i, v) in b.rules.into_iter().enumerate() {
        let r: FeeRuleBody = serde_json::from_value(v).map_err(|e| {
            let mut p = Problem::bad_request(format!("rules[{i}]: {e}"));
            p.violations.push(Violation {
                rule: "CONFIG-FEE-RULE".into(),
                message: e.to_string(),
                field: Some(format!("rules[{i}]")),
            });
            p
        })?;
        rules.push(FeeRule {
            document_type: r.document_type,
            appendix: r.appendix,
            base: r.base,
            per_line: r.per_line,
            express_surcharge: r.express_surcharge,
        });
    }
    let command = C::SetFees(FeeScheduleSet {
        currency: b.currency,
        rules,
    });
    configure(&api, &who, party, b.command_id, command).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MeasureBody {
    command_id: Uuid,
    species: String,
    description: String,
    #[serde(default)]
    banned_purposes: Vec<PurposeCode>,
    #[serde(default)]
    banned_sources: Vec<SourceCode>,
}

async fn set_measure<L: EventAppender + EventReader>(
    State(api): State<Arc<ApiState<L>>>,
    Authenticated(who): Authenticated,
    Path((code, id)): Path<(String, String)>,
    raw: JsonBody,
) -> Result<Json<Value>, Problem> {
    let party = party(&code)?;
    let b: MeasureBody = body(raw)?;
    let taxon = super::known_species(&api, &b.species)?;
    let command = C::SetDomesticMeasure(DomesticMeasureSet {
        id,
        taxon_id: taxon.taxon_id,
        scientific_name: taxon.accepted_name,
        description: b.description,
        banned_purposes: b.banned_purposes,
        banned_sources: b.banned_sources,
    });
    configure(&api, &who, party, b.command_id, command).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeBody {
    command_id: Uuid,
    reason: String,
}

async fn revoke_measure<L: EventAppender + EventReader>(
    State(api): State<Arc<ApiState<L>>>,
    Authenticated(who): Authenticated,
    Path((code, id)): Path<(String, String)>,
    raw: JsonBody,
) -> Result<Json<Value>, Problem> {
    let party = party(&code)?;
    let b: RevokeBody = body(raw)?;
    let command = C::RevokeDomesticMeasure {
        id,
        reason: b.reason,
    };
    configure(&api, &who, party, b.command_id, command).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddSpeciesBody {
    command_id: Uuid,
    species: String,
    note: Option<String>,
}

async fn add_species<L: EventAppender + EventReader>(
    State(api): State<Arc<ApiState<L>>>,
    Authenticated(who): Authenticated,
    Path(code): Path<String>,
    raw: JsonBody,
) -> Result<Json<Value>, Problem> {
    let party = party(&code)?;
    let b: AddSpeciesBody = body(raw)?;
    let taxon = super::known_species(&api, &b.species)?;
    let command = C::AddToNationalList(NationalListSpeciesAdded {
        taxon_id: taxon.taxon_id,
        scientific_name: taxon.accepted_name,
        note: b.note,
    });
    configure(&api, &who, party, b.command_id, command).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CommandOnly {
    command_id: Uuid,
}

async fn remove_species<L: EventAppender + EventReader>(
    State(api): State<Arc<ApiState<L>>>,
    Authenticated(who): Authenticated,
    Path((code, taxon_id)): Path<(String, u64)>,
    raw: JsonBody,
) -> Result<Json<Value>, Problem> {
    let party = party(&code)?;
    let b: CommandOnly = body(raw)?;
    let command = C::RemoveFromNationalList { taxon_id };
    configure(&api, &who, party, b.command_id, command).await
}

async fn show<L: EventAppender + EventReader>(
    State(api): State<Arc<ApiState<L>>>,
    Authenticated(who): Authenticated,
    Path(code): Path<String>,
) -> Result<Json<Value>, Problem> {
    let party = party(&code)?;
    let (s, position) = api.handler.party_config(&who, party).await?;
    Ok(Json(json!({
        "party": s.party,
        "currency": s.currency,
        "fees": s.fees,
        "domestic_measures": s.domestic_measures,
        "national_list": s.national_list,
        "security_stamps": s.security_stamps.map(|(first, last)| json!({"first": first, "last": last})),
        "retrospective_exceptions": s.retrospective_exceptions,
        "national_entries": s.national_entries,
        "position": position,
    })))
}

impl From<PartyConfigError> for Problem {
    fn from(e: PartyConfigError) -> Self {
        let detail = e.to_string();
        match e {
            PartyConfigError::Invalid(violations) => {
                let mut p = Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid",
                    "Invalid configuration",
                    detail,
                );
                p.violations = violations
                    .into_iter()
                    .map(|v| Violation {
                        rule: v.rule.into(),
                        message: v.message,
                        field: Some(v.field),
                    })
                    .collect();
                p
            }
            PartyConfigError::UnknownMeasure(_) => Problem::new(
                StatusCode::NOT_FOUND,
                "not-found",
                "No such domestic measure",
                detail,
            ),
            PartyConfigError::NotListed(_) => Problem::new(
                StatusCode::NOT_FOUND,
                "not-found",
                "Not on the national list",
                detail,
            ),
            PartyConfigError::AlreadyListed(_) => Problem::new(
                StatusCode::CONFLICT,
                "already-listed",
                "Already on the national list",
                detail,
            ),
            PartyConfigError::UnknownEntry(_) => Problem::new(
                StatusCode::NOT_FOUND,
                "not-found",
                "No such national entry in force",
                detail,
            ),
        }
    }
}

/// The configuration routes of the OpenAPI document.
pub fn openapi_paths(paths: &mut Map<String, Value>) {
    let accepted = json!({"description": "accepted", "content": {"application/json": {"schema": {"type": "object", "properties": {
        "events": {"type": "array", "items": {"type": "string"}},
        "position": {"type": "string", "description": "read-your-writes token `<ISO2>:<sequence>`"},
        "duplicate": {"type": "boolean"}}}}}});
    let text = json!({"type": "string"});
    let uuid = json!({"type": "string", "format": "uuid"});
    let minor =
        json!({"type": "integer", "minimum": 0, "description": "minor units of the currency"});
    let rule = json!({"type": "object", "required": ["base"], "properties": {
        "document_type": {"type": ["string", "null"], "description": "e.g. export_permit; absent = any"},
        "appendix": {"enum": ["I", "II", "III", null], "description": "the application's strictest Appendix; absent = any"},
        "base": minor, "per_line": minor, "express_surcharge": minor}});
    let body = |required: &[&str], properties: Value| {
        json!({"content": {"application/json": {"schema": {"type": "object",
            "required": required, "properties": properties}}}})
    };
    let admin = |summary: &str, request: Value| {
        json!({"summary": summary, "security": [{"bearer": []}], "requestBody": request,
            "responses": {"200": accepted, "403": {"description": "not the Party's administrator"}}})
    };
    let fees = admin(
        "Replace the fee schedule (Party admin): the first matching rule applies; the last rule must have no condition",
        body(&["command_id", "currency", "rules"], json!({"command_id": uuid,
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "rules": {"type": "array", "minItems": 1, "items": rule}})),
    );
    paths.insert(
        "/api/{party}/config".into(),
        json!({"get": {"summary": "The Party's fee schedule, domestic measures and national list (any user of the Party)",
            "security": [{"bearer": []}]}}),
    );
    paths.insert(
        "/api/{party}/config/fees".into(),
        json!({"put": fees, "post": fees}),
    );
    let codes = json!({"type": "array", "items": {"type": "string"}});
    paths.insert("/api/{party}/config/domestic-measures/{id}".into(), json!({"post": admin(
        "Set or revise a stricter domestic measure banning exports of a species (Party admin); empty lists ban every purpose or source",
        body(&["command_id", "species", "description"], json!({"command_id": uuid, "species": text,
            "description": text, "banned_purposes": codes, "banned_sources": codes})))}));
    paths.insert(
        "/api/{party}/config/domestic-measures/{id}/revoke".into(),
        json!({"post": admin(
        "Revoke a domestic measure (Party admin)",
        body(&["command_id", "reason"], json!({"command_id": uuid, "reason": text})))}),
    );
    paths.insert("/api/{party}/config/national-list".into(), json!({"post": admin(
        "Add a species CITES does not list to the national list: it then needs a permit (Party admin)",
        body(&["command_id", "species"], json!({"command_id": uuid, "species": text, "note": text})))}));
    paths.insert(
        "/api/{party}/config/national-list/{taxon_id}/remove".into(),
        json!({"post": admin(
        "Remove a species from the national list (Party admin)",
        body(&["command_id"], json!({"command_id": uuid})))}),
    );
    let number = json!({"type": "integer", "minimum": 1});
    paths.insert("/api/{party}/config/security-stamps".into(), json!({"post": admin(
        "Record the security stamps in stock, numbered first..last (Party admin); issuance takes them in order",
        body(&["command_id", "first", "last"], json!({"command_id": uuid, "first": number, "last": number})))}));
    paths.insert("/api/{party}/config/retrospective-issue".into(), json!({"post": admin(
        "Allow or withdraw the documented exceptions to PERMIT-NO-RETROSPECTIVE (Res. Conf. 12.3; Party admin); while allowed, the signatory issues a permit for a consignment that already left only with a retrospective_reason, which the permit records",
        body(&["command_id", "exceptions_allowed", "basis"], json!({"command_id": uuid, "exceptions_allowed": {"type": "boolean"}, "basis": {"type": "string", "minLength": 1}})))}));
}
