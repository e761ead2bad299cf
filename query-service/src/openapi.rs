//! The OpenAPI 3.1 document of the query API (hand-written; paths relative to where the
//! router is mounted, `/query` in `ecites serve`).

use serde_json::{json, Map, Value};

fn query(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": {"type": "string"}})
}

fn list_params(sorts: &str) -> Vec<Value> {
    vec![
        query("page", "page number, from 1 (default 1)"),
        query("per_page", "rows per page, 1..=500 (default 50)"),
        query("sort", &format!("one of: {sorts}")),
        query("order", "asc | desc"),
        query(
            "format",
            "json (default) | csv (every matching row, no pagination; also Accept: text/csv)",
        ),
    ]
}

/// A GET operation on a Party route, with the common parameters and responses.
fn op(summary: &str, mut params: Vec<Value>) -> Value {
    params.insert(0, json!({"$ref": "#/components/parameters/party"}));
    params.push(json!({"$ref": "#/components/parameters/position"}));
    params.push(json!({"$ref": "#/components/parameters/positionQuery"}));
    json!({"get": {
        "summary": summary,
        "security": [{"bearer": []}],
        "parameters": params,
        "responses": {
            "200": {"description": "the answer", "headers": {"X-Ecites-Read-Position": {"$ref": "#/components/headers/readPosition"}}},
            "400": {"$ref": "#/components/responses/problem"},
            "401": {"$ref": "#/components/responses/problem"},
            "403": {"$ref": "#/components/responses/problem"},
            "404": {"$ref": "#/components/responses/problem"},
            "413": {"$ref": "#/components/responses/problem"},
            "415": {"$ref": "#/components/responses/problem"},
            "422": {"$ref": "#/components/responses/problem"},
            "429": {"$ref": "#/components/responses/problem"},
            "503": {"$ref": "#/components/responses/problem", "description": "the read model did not reach X-Ecites-Position in time (Retry-After: 1)"}
        }
    }})
}

pub fn document() -> Value {
    let mut paths = Map::new();
    paths.insert(
        "/api/{party}/permits/{id}/document.pdf".into(),
        json!({"get": {
            "summary": "The permit in the standard form (Res. Conf. 12.3 Annex 2, boxes 1-15) as an A4 PDF with its signed seal; marked across the page when not, or no longer, valid",
            "security": [{"bearer": []}],
            "parameters": [
                {"$ref": "#/components/parameters/party"},
                {"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}},
                query("lang", "en (default) | fr | es: the language of the form's headings"),
                {"$ref": "#/components/parameters/position"},
                {"$ref": "#/components/parameters/positionQuery"}
            ],
            "responses": {
                "200": {"description": "the PDF", "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
                "400": {"$ref": "#/components/responses/problem"},
                "401": {"$ref": "#/components/responses/problem"},
                "403": {"$ref": "#/components/responses/problem"},
                "404": {"$ref": "#/components/responses/problem"},
                "503": {"$ref": "#/components/responses/problem"}
            }
        }}),
    );
    let permit_sorts = "updated_at (default, desc), submitted_at, issued_on, permit_number, status";
    let mut permits = vec![
        query("number", "permit number, exact or prefix"),
        query("organisation", "organisation id (UUID)"),
        query("species", "case-insensitive part of a scientific name"),
        query("status", "comma list of statuses"),
        query("document_type", "comma list of document types"),
        query("issued_from", "YYYY-MM-DD"),
        query("issued_to", "YYYY-MM-DD"),
        query("submitted_from", "YYYY-MM-DD"),
        query("submitted_to", "YYYY-MM-DD"),
        query("updated_from", "YYYY-MM-DD"),
        query("updated_to", "YYYY-MM-DD"),
    ];
    permits.extend(list_params(permit_sorts));
    paths.insert(
        "/api/{party}/permits".into(),
        op("Permits and applications", permits),
    );
    let id = json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}});
    paths.insert(
        "/api/{party}/permits/{id}".into(),
        op("One permit with its state and lines", vec![id.clone()]),
    );
    paths.insert(
        "/api/{party}/permits/{id}/timeline".into(),
        op(
            "Every signed event of a permit, in version order",
            vec![id.clone()],
        ),
    );
    paths.insert(
        "/api/{party}/permit-lookup".into(),
        op(
            "A permit by its number (customs)",
            vec![query(
                "number",
                "the permit number, e.g. LK/2026/000001 (required)",
            )],
        ),
    );
    paths.insert(
        "/api/{party}/work-queue".into(),
        op(
            "What waits for the viewer's role, oldest first",
            list_params(permit_sorts),
        ),
    );
    let mut lines = vec![
        query("taxon_id", "taxon id"),
        query("scientific_name", "case-insensitive part of the name"),
        query("appendix", "I | II | III | N (not CITES-listed)"),
        query("source", "source code"),
        query("purpose", "purpose code"),
        query("term", "term code"),
        query("year", "year of issue"),
        query("status", "comma list of statuses"),
    ];
    lines.extend(list_params(
        "issued_on (default, desc), endorsed_on, permit_number, scientific_name, quantity",
    ));
    paths.insert(
        "/api/{party}/trade-records".into(),
        op("Trade records (permit lines)", lines),
    );
    let mut orgs = vec![query("q", "part of the name"), query("status", "status")];
    orgs.extend(list_params("name (default), registered_at, status"));
    paths.insert(
        "/api/{party}/organisations".into(),
        op("Trader organisations", orgs),
    );
    paths.insert(
        "/api/{party}/organisations/{id}".into(),
        op("An organisation with its members and agents", vec![id]),
    );
    let mut species = vec![
        query("q", "part of a name, synonym or common name"),
        query("appendix", "I | II | III | N"),
    ];
    species.extend(list_params("full_name (default), taxon_id, appendix"));
    paths.insert(
        "/api/{party}/species".into(),
        op("The species catalogue as the Party applies it", species),
    );
    let mut quotas = vec![query("year", "quota year"), query("taxon_id", "taxon id")];
    quotas.extend(list_params("scientific_name (default), year, quota_id"));
    paths.insert(
        "/api/{party}/quotas".into(),
        op(
            "Quotas: annual, reserved, used, remaining (decimal strings)",
            quotas,
        ),
    );
    let mut entries = vec![
        query("kind", "comma list: suspension, reservation, appendix_iii"),
        query("taxon_id", "taxon id"),
        query(
            "in_force_on",
            "YYYY-MM-DD: only the entries that apply on that day",
        ),
    ];
    entries.extend(list_params(
        "starts_on (default, newest first), scientific_name, entry_id",
    ));
    paths.insert(
        "/api/{party}/national-entries".into(),
        op(
            "Suspensions, reservations and Appendix III listings the Party recorded itself (source: national, with the Notification), beside the Species+ data of /species",
            entries,
        ),
    );
    let mut payments = vec![
        query("permit_id", "permit id (UUID)"),
        query("account_id", "prepayment account id (UUID)"),
        query(
            "kind",
            "comma list: fee_assessed, payment, fee_waived, deposit, debit",
        ),
    ];
    payments.extend(list_params("sequence (default), recorded_at"));
    paths.insert(
        "/api/{party}/payments".into(),
        op(
            "Fees and payments ledger (integer minor units + currency)",
            payments,
        ),
    );
    let mut accounts = vec![query("organisation", "organisation id (UUID)")];
    accounts.extend(list_params("organisation_id (default), balance_minor"));
    paths.insert(
        "/api/{party}/prepayment-accounts".into(),
        op("Prepayment accounts", accounts),
    );
    paths.insert("/api/{party}/reports/annual".into(), op(
        "CITES annual trade report (electronic submission CSV layout); JSON validation summary, or the CSV (422 when a row has errors)",
        vec![
            query("year", "report year (required)"),
            query("view", "exporter (default) | importer"),
            query("basis", "endorsed (default: endorsed quantity, year of endorsement) | issued (permits issued, used or expired: quantity as issued, year of issue)"),
            query("format", "json (default) | csv"),
        ],
    ));
    paths.insert("/api/{party}/reports/trade".into(), op(
        "Ad hoc trade report: lines and summed quantities per group (unit always a group)",
        vec![
            query("group_by", "comma list of: taxon, genus, family, order, class, appendix, term, unit, purpose, source, partner, year, document_type"),
            query("basis", "endorsed (default) | issued"),
            query("taxon_id", "taxon id"),
            query("taxon", "name at any rank (species, genus, family, order, class, phylum)"),
            query("appendix", "I | II | III | N"),
            query("term", "term code"), query("unit", "unit code, or `number`"),
            query("purpose", "purpose code"), query("source", "source code"),
            query("partner", "the other country (ISO alpha-2)"), query("year", "year"),
            query("document_type", "document type"),
            query("format", "json (default) | csv"),
        ],
    ));
    paths.insert(
        "/api/{party}/reports/national-list".into(),
        op(
            "The Party's non-CITES (national list) species and their trade in the year",
            vec![
                query("year", "year of issue (required)"),
                query("format", "json (default) | csv"),
            ],
        ),
    );
    paths.insert(
        "/api/{party}/dashboard".into(),
        op(
            "Top 20 traded species, documents issued, permits per status",
            vec![query("year", "year (required)")],
        ),
    );
    paths.insert(
        "/health".into(),
        json!({"get": {"summary": "Liveness", "responses": {"200": {"description": "ok"}}}}),
    );
    paths.insert("/api/openapi.json".into(), json!({"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.1"}}}}));
    json!({
        "openapi": "3.1.0",
        "info": {"title": "eCITES ledger query API", "version": env!("CARGO_PKG_VERSION")},
        // The paths are the router's own; `ecites serve` mounts it under /query.
        "servers": [{"url": "/query"}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "parameters": {
                "party": {"name": "party", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[A-Z]{2}$"}},
                "position": {"name": "X-Ecites-Position", "in": "header", "required": false,
                    "description": "read-your-writes: wait (bounded) until the read model has applied this position, e.g. LK:123 (from the command API)",
                    "schema": {"type": "string", "pattern": "^[A-Z]{2}:[0-9]+$"}},
                "positionQuery": {"name": "position", "in": "query", "required": false,
                    "description": "the same as X-Ecites-Position (the header wins)", "schema": {"type": "string"}}
            },
            "headers": {"readPosition": {"description": "the checkpoint the answer was read at, e.g. LK:130", "schema": {"type": "string"}}},
            "responses": {"problem": {"description": "RFC 9457 problem details", "content": {"application/problem+json": {"schema": {"type": "object",
                "required": ["type", "title", "status", "detail"],
                "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"},
                    "parameter": {"type": "string", "description": "the parameter or header at fault"},
                    "violations": {"type": "array", "items": {"type": "object", "properties": {
                        "rule": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string"}, "row": {"type": "integer"}}}}}}}}}}
        }
    })
}
