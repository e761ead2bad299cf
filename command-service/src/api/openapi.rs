//! The OpenAPI 3.1 document of the command API, with request schemas generated from the types
//! the handlers parse.

use super::permits::ACTIONS;
use crate::domain::rules::data::ApplicationForm;
use serde_json::{json, Value};

pub fn document() -> Value {
    let form = serde_json::to_value(schemars::schema_for!(ApplicationForm)).unwrap_or(Value::Null);
    let problem = json!({
        "type": "object",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
            "detail": {"type": "string"},
            "violations": {"type": "array", "items": {"type": "object", "properties": {
                "rule": {"type": "string"}, "message": {"type": "string"}, "field": {"type": ["string", "null"]}}}}
        }
    });
    let finding = json!({"type": "object", "required": ["rule", "message"], "properties": {
        "rule": {"type": "string", "description": "rule id of the catalogue"}, "message": {"type": "string"},
        "field": {"type": ["string", "null"]}, "warning": {"type": "boolean"}}});
    let accepted = json!({"type": "object", "properties": {
        "permit_id": {"type": "string", "format": "uuid"},
        "events": {"type": "array", "items": {"type": "string"}},
        "position": {"type": "string", "description": "read-your-writes token `<ISO2>:<sequence>`"},
        "duplicate": {"type": "boolean"}}});
    // Every error answer is a problem document (handlers' refusals, extractors' rejections
    // and the framework's own answers alike: `ecites serve` turns the latter into problems).
    let problem_answer = |what: &str| json!({"description": what, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}});
    let errors = json!({
        "400": problem_answer("malformed body, path or query parameter"),
        "401": problem_answer("not logged in"),
        "403": problem_answer("role or organisation not allowed"),
        "404": problem_answer("no such permit, organisation, account or Party"),
        "409": problem_answer("not possible in the current state"),
        "413": problem_answer("body too large"),
        "415": problem_answer("body is not application/json"),
        "422": problem_answer("refused by CITES rules"),
        "429": problem_answer("too many failed attempts (Retry-After)"),
        "503": problem_answer("the log or the service did not answer in time; try again")
    });
    let mut paths = serde_json::Map::new();
    paths.insert("/api/login".into(), json!({"post": {"summary": "Log in; returns a bearer token",
        "requestBody": {"content": {"application/json": {"schema": {"type": "object",
            "required": ["party", "user_id", "password"],
            "properties": {"party": {"type": "string"}, "user_id": {"type": "string"}, "password": {"type": "string"}}}}}},
        "responses": {"200": {"description": "token"}, "401": {"description": "bad credentials"}}}}));
    paths.insert("/api/{party}/permits".into(), json!({"post": {"summary": "Submit an application",
        "security": [{"bearer": []}],
        "requestBody": {"content": {"application/json": {"schema": {"type": "object", "required": ["command_id", "application"],
            "properties": {"command_id": {"type": "string", "format": "uuid"}, "permit_id": {"type": "string", "format": "uuid"},
                "organisation_id": {"type": "string", "format": "uuid"}, "application": {"$ref": "#/components/schemas/ApplicationForm"}}}}}},
        "responses": {"201": {"description": "submitted", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}}}}
    }}));
    paths.insert("/api/{party}/permits/assess".into(), json!({"post": {
        "summary": "Dry run of a submission, or with permit_id of a returned application's resubmission: the same checks and fee assessment, nothing written",
        "security": [{"bearer": []}],
        "requestBody": {"content": {"application/json": {"schema": {"type": "object", "required": ["application"],
            "properties": {"command_id": {"type": "string", "format": "uuid", "description": "ignored"},
                "permit_id": {"type": "string", "format": "uuid", "description": "a returned application: assess its resubmission"},
                "organisation_id": {"type": "string", "format": "uuid"}, "application": {"$ref": "#/components/schemas/ApplicationForm"}}}}}},
        "responses": {"200": {"description": "what filing would do (rule refusals included: accepted false)", "content": {"application/json": {"schema": {"type": "object",
            "required": ["command", "accepted", "fee", "warnings", "violations"], "properties": {
            "command": {"enum": ["submit", "resubmit"]}, "accepted": {"type": "boolean"},
            "fee": {"type": ["object", "null"], "description": "integer minor units and ISO 4217 currency; null when the form cannot be read", "properties": {
                "minor_units": {"type": "integer"}, "currency": {"type": "string"}}},
            "warnings": {"type": "array", "items": {"$ref": "#/components/schemas/Finding"}},
            "violations": {"type": "array", "items": {"$ref": "#/components/schemas/Finding"}},
            "checks": {"type": "array", "description": "every rule the submission would record as checked (empty when refused)", "items": {"type": "object", "properties": {
                "id": {"type": "string"}, "source": {"type": "string"}, "outcome": {"enum": ["passed", "warning", "violation"]},
                "field": {"type": ["string", "null"]}}}}}}}}}}
    }}));
    paths.insert("/api/{party}/permits/{id}".into(), json!({"get": {"summary": "The application and permit as decided so far", "security": [{"bearer": []}]}}));
    for action in ACTIONS {
        paths.insert(format!("/api/{{party}}/permits/{{id}}/{action}"), json!({"post": {
            "summary": action_summary(action),
            "security": [{"bearer": []}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": super::permits::action_body_schema(action)}}},
            "responses": {"200": {"description": "accepted", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}}}}
        }}));
    }
    super::quotas::openapi_paths(&mut paths);
    super::organisations::openapi_paths(&mut paths);
    super::party_config::openapi_paths(&mut paths);
    super::national_entries::openapi_paths(&mut paths);
    super::accounts::openapi_paths(&mut paths);
    super::documents::openapi_paths(&mut paths);
    super::admin_users::openapi_paths(&mut paths);
    super::species_import::openapi_paths(&mut paths);
    for (path, item) in paths.iter_mut() {
        let Some(p) = item.as_object_mut() else {
            continue;
        };
        p.insert("parameters".into(), path_parameters(path));
        for op in p.values_mut().filter_map(Value::as_object_mut) {
            let responses = op.entry("responses").or_insert_with(|| json!({}));
            if let (Some(r), Some(e)) = (responses.as_object_mut(), errors.as_object()) {
                for (k, v) in e {
                    r.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "eCITES ledger command API", "version": env!("CARGO_PKG_VERSION")},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"ApplicationForm": form, "Problem": problem, "Accepted": accepted, "Finding": finding}
        }
    })
}

/// The parameters the path template names (`{party}`, `{id}`, …), each required.
fn path_parameters(path: &str) -> Value {
    let names = path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'));
    let params: Vec<Value> = names
        .map(|name| {
            let schema = match name {
                "party" => json!({"type": "string", "description": "ISO 3166 alpha-2 code of the Party", "pattern": "^[A-Z]{2}$"}),
                "taxon_id" => json!({"type": "integer", "minimum": 0}),
                "sha256" => json!({"type": "string", "pattern": "^[0-9a-f]{64}$"}),
                _ => json!({"type": "string"}),
            };
            json!({"name": name, "in": "path", "required": true, "schema": schema})
        })
        .collect();
    Value::Array(params)
}

/// The summary of a permit action; the fields that are easy to miss are named.
fn action_summary(action: &str) -> String {
    match action {
        "issue" => "issue (signatory; body: command_id, and retrospective_reason when the consignment already left and the Party allows the documented exceptions to PERMIT-NO-RETROSPECTIVE)".into(),
        _ => format!("{action} (body: command_id plus the command's fields)"),
    }
}
