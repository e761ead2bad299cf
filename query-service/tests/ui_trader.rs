//! The trader's, customs' and auditor's later pages against a real PostgreSQL: the
//! organisation (registration, users, verification), supporting documents, the ways to pay,
//! the answer to a return, the QR code and its check (a mismatch is red, never the permit),
//! and the permit as it stood at an earlier event; access and escaping on each.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use common::*;
use serde_json::json;
use tower::ServiceExt;

async fn page(r: &Router, uri: &str, session: &str) -> Answer {
    let req = Request::get(uri)
        .header("cookie", format!("ecites_session={session}; ecites_csrf=x"))
        .header("host", "ecites.example")
        .body(Body::empty())
        .unwrap();
    answer(r.clone().oneshot(req).await.unwrap()).await
}

const SHA_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1";

#[tokio::test]
async fn a_trader_registers_sees_and_manages_its_own_organisation_only() {
    let (h, r) = ui_router().await;
    exec(
        &h.pool,
        &format!(
            "UPDATE organisations SET name = '<b>Alpha</b> & Co' WHERE organisation_id = '{ORG_A}';
             INSERT INTO organisation_members VALUES
               ('{ORG_A}', 'trader@LK', 'member', NULL, '2024-01-03T00:00:00Z', 'LK')"
        ),
    )
    .await;
    let a = page(&r, "/ui/LK/organisation", "trader_a").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let html = a.text();
    assert!(html.contains("&lt;b&gt;Alpha&lt;/b&gt; &amp; Co"), "{html}");
    assert!(!html.contains("<b>Alpha"));
    assert!(html.contains(r#"data-status="verified""#));
    assert!(html.contains(r#"data-member="trader_a@LK""#));
    assert!(
        html.contains(r#"data-action="add-member""#),
        "a member manages the list"
    );
    assert!(html.contains(&format!("/api/LK/organisations/{ORG_A}/add-member")));
    assert!(
        !html.contains(r#"data-action="verify""#),
        "traders verify nothing"
    );
    assert!(!html.contains("Beta Traders"));
    // Another organisation's page is not found for a trader, and says nothing of it.
    let a = page(&r, &format!("/ui/LK/organisations/{ORG_B}"), "trader_a").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(!a.text().contains("Beta Traders"));

    // An account opened for an organisation not registered yet: the registration form.
    exec(
        &h.pool,
        &format!("DELETE FROM organisations WHERE organisation_id = '{ORG_B}'"),
    )
    .await;
    let a = page(&r, "/ui/LK/organisation", "trader_b").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        a.text().contains(r#"data-action="register""#),
        "{}",
        a.text()
    );
    assert!(a.text().contains(r#"data-command="/api/LK/organisations""#));
    h.drop_database().await;
}

#[tokio::test]
async fn officers_list_organisations_and_verify_or_suspend_them() {
    let (h, r) = ui_router().await;
    exec(
        &h.pool,
        &format!("UPDATE organisations SET status = 'pending' WHERE organisation_id = '{ORG_B}'"),
    )
    .await;
    let a = page(&r, "/ui/LK/organisations", "ma_officer").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.text().contains("Alpha Exports") && a.text().contains("Beta Traders"));
    assert!(a.text().contains("Pending verification"));
    let a = page(&r, &format!("/ui/LK/organisations/{ORG_B}"), "ma_officer").await;
    assert!(a.text().contains(r#"data-action="verify""#), "{}", a.text());
    assert!(a.text().contains(r#"data-action="suspend""#));
    assert!(a.text().contains(r#"data-action="open-account""#));
    let a = page(&r, &format!("/ui/LK/organisations/{ORG_A}"), "ma_officer").await;
    assert!(
        !a.text().contains(r#"data-action="verify""#),
        "already verified"
    );
    // A trader sees only its own in the list.
    let a = page(&r, "/ui/LK/organisations", "trader_a").await;
    assert!(a.text().contains("Alpha Exports") && !a.text().contains("Beta Traders"));
    h.drop_database().await;
}

#[tokio::test]
async fn documents_and_payment_options_show_to_the_organisation_only() {
    let (h, r) = ui_router().await;
    exec(
        &h.pool,
        &format!(
            r#"UPDATE permits SET paid_minor = 0, state = '{{"content": {{"supporting_documents": ["{SHA_A}"]}}}}'
               WHERE permit_id = '{P5}';
               INSERT INTO prepayment_accounts VALUES
                 ('00000000-0000-0000-0000-0000000000ac', 'LK', '{ORG_A}', 'LKR', 1000, 1);"#
        ),
    )
    .await;
    let a = page(&r, &format!("/ui/LK/permits/{P5}"), "trader_a").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let html = a.text();
    assert!(
        html.contains(&format!("/api/LK/documents/{SHA_A}")),
        "{html}"
    );
    assert!(html.contains(r#"data-action="payment""#), "e-payment");
    assert!(html.contains("pay-at-counter") && html.contains(&P5.to_string()));
    // 10.00 LKR in the account, 50.00 due: no debit offered, and the reason why.
    assert!(html.contains("prepayment-insufficient"), "{html}");
    assert!(html.contains("40.00 LKR"), "the missing amount");
    assert!(!html.contains(r#"data-action="payment-prepayment""#));
    // Enough in the account: the debit is offered from it.
    exec(
        &h.pool,
        "UPDATE prepayment_accounts SET balance_minor = 9000",
    )
    .await;
    let html = page(&r, &format!("/ui/LK/permits/{P5}"), "trader_a")
        .await
        .text();
    assert!(
        html.contains(r#"data-action="payment-prepayment""#),
        "{html}"
    );
    assert!(html.contains("00000000-0000-0000-0000-0000000000ac"));
    // The officer records a payment made at the counter.
    let html = page(&r, &format!("/ui/LK/permits/{P5}"), "ma_officer")
        .await
        .text();
    assert!(html.contains(r#"data-action="payment-counter""#), "{html}");
    assert!(html.contains("method.manual_receipt.receipt_number"));
    // Payments recorded are listed with how and the receipt number.
    exec(
        &h.pool,
        &format!(
            "INSERT INTO payments VALUES ('LK', 11, '{P5}', NULL, 'payment', 'manual_receipt',
               'RCPT-<7>', 5000, 'LKR', '2025-02-06T09:00:00Z', 'ma_officer@LK')"
        ),
    )
    .await;
    let html = page(&r, &format!("/ui/LK/permits/{P5}"), "trader_a")
        .await
        .text();
    assert!(html.contains(r#"data-method="manual_receipt""#), "{html}");
    assert!(html.contains("at the counter") && html.contains("RCPT-&lt;7&gt;"));
    // Another organisation's trader sees neither the permit nor its documents.
    let a = page(&r, &format!("/ui/LK/permits/{P5}"), "trader_b").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(!a.text().contains(SHA_A));
    h.drop_database().await;
}

#[tokio::test]
async fn a_returned_application_shows_the_reason_and_a_prefilled_resubmission() {
    let (h, r) = ui_router().await;
    exec(
        &h.pool,
        &format!(
            r#"UPDATE permits SET status = 'returned', state = '{{"reason": "Add the farm <licence>"}}'
               WHERE permit_id = '{P5}'"#
        ),
    )
    .await;
    let a = page(&r, &format!("/ui/LK/permits/{P5}"), "trader_a").await;
    let html = a.text();
    assert!(html.contains("Add the farm &lt;licence&gt;"), "{html}");
    assert!(html.contains("answer-return"));
    assert!(html.contains(&format!("/api/LK/permits/{P5}/resubmit")));
    assert!(html.contains(r#"data-assess="/api/LK/permits/assess""#));
    assert!(html.contains(&format!(r#"data-permit-id="{P5}""#)));
    // The officer sees the reason, not the trader's form.
    let html = page(&r, &format!("/ui/LK/permits/{P5}"), "ma_officer")
        .await
        .text();
    assert!(!html.contains("answer-return"));
    h.drop_database().await;
}

#[tokio::test]
async fn customs_finds_a_permit_by_its_qr_code_and_a_mismatch_is_red() {
    let (h, r) = ui_router().await;
    with_issuing_event(&h).await;
    // The issued permit's page shows its code, bound to the issuing event.
    let html = page(&r, &format!("/ui/LK/permits/{P4}"), "ma_officer")
        .await
        .text();
    let content = format!(
        "http://ecites.example/query/ui/LK/verify?n=LK%2F2025%2F000004&amp;h={ISSUED_HASH}"
    );
    assert!(html.contains(&content), "{html}");
    assert!(html.contains("<svg"), "the QR code is drawn");

    // Pasted into the customs search: the permit, with the code confirmed.
    let pasted =
        format!("http://ecites.example/query/ui/LK/verify?n=LK%2F2025%2F000004&h={ISSUED_HASH}");
    let encoded: String = pasted.bytes().map(|b| format!("%{b:02X}")).collect();
    let a = page(&r, &format!("/ui/LK/find?number={encoded}"), "customs").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let verify = a.header("location").unwrap().to_string();
    assert!(
        verify.starts_with("/query/ui/LK/verify?n=LK%2F2025%2F000004&h="),
        "{verify}"
    );
    let a = page(&r, verify.trim_start_matches("/query"), "customs").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let permit = a.header("location").unwrap().to_string();
    assert_eq!(
        permit,
        format!("/query/ui/LK/permits/{P4}?qr={ISSUED_HASH}")
    );
    let html = page(&r, permit.trim_start_matches("/query"), "customs")
        .await
        .text();
    assert!(html.contains(r#"data-match="true""#), "{html}");
    assert!(html.contains(">VALID<"));

    // A code whose hash is not the ledger's: red, the words, never the permit as valid.
    let forged = format!("/ui/LK/verify?n=LK%2F2025%2F000004&h={}", "f".repeat(64));
    let a = page(&r, &forged, "customs").await;
    assert_eq!(a.status, StatusCode::OK);
    let html = a.text();
    assert!(html.contains(r#"data-match="false""#), "{html}");
    assert!(html.contains("does not match the ledger"));
    assert!(html.contains(r#"class="banner big bad""#));
    assert!(!html.contains(">VALID<") && !html.contains(r#"data-action="endorse""#));
    assert!(
        !html.contains("Loxodonta"),
        "nothing of the permit is shown"
    );
    // The permit page given a wrong `qr` says so too, and its banner is never VALID.
    let html = page(&r, &format!("/ui/LK/permits/{P4}?qr=ff"), "customs")
        .await
        .text();
    assert!(html.contains(r#"data-match="false""#));
    assert!(html.contains(r#"class="banner big bad""#), "{html}");
    assert!(!html.contains(">VALID<"), "{html}");
    // A scanned code that is not a ledger link proves nothing: red, not the permit.
    let a = page(
        &r,
        "/ui/LK/find?number=LK%2F2025%2F000004&scanned=1",
        "customs",
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    let html = a.text();
    assert!(html.contains(r#"data-match="false""#), "{html}");
    assert!(!html.contains(">VALID<") && !html.contains("Loxodonta"));
    // An unknown number: not found.
    let a = page(&r, "/ui/LK/verify?n=LK%2F2025%2F999999&h=00", "customs").await;
    assert!(a.text().contains("not-found"));
    // An event whose signature did not verify: the matching QR does not make it VALID.
    exec(
        &h.pool,
        &format!("UPDATE permit_events SET signature_verified = false WHERE permit_id = '{P4}'"),
    )
    .await;
    let html = page(&r, permit.trim_start_matches("/query"), "customs")
        .await
        .text();
    assert!(html.contains(r#"class="banner big bad""#), "{html}");
    assert!(!html.contains(">VALID<"), "{html}");
    h.drop_database().await;
}

fn line() -> serde_json::Value {
    json!({"line_no": 1, "taxon_id": 101, "scientific_name": "Python regius",
        "name_as_written": "Python regius", "kingdom": "Animalia", "listing": null,
        "source": "W", "purpose": "T", "term": "SKI", "quantity": "10", "unit": null,
        "description": null, "marks": null, "origin": null, "last_reexport": null,
        "import_permit": null, "registered_operation": null, "acquisition_date": null,
        "seizure_reference": null, "source_justification": null})
}

fn content(quantity: &str) -> serde_json::Value {
    let mut l = line();
    l["quantity"] = json!(quantity);
    json!({"document_type": "export_permit", "issuing_party": "LK", "exporting_country": "LK",
        "importing_country": "DE", "lines": [l], "express": false,
        "requested_validity_months": null, "supporting_documents": []})
}

#[tokio::test]
async fn the_auditor_sees_the_permit_as_it_stood_after_each_event() {
    let (h, r) = ui_router().await;
    let fee = json!({"minor_units": 5000, "currency": "LKR"});
    let submitted =
        json!({"organisation_id": ORG_B, "content": content("10"), "warnings": [], "fee": fee});
    let returned = json!({"reason": "<i>state the farm</i>"});
    let resubmitted = json!({"content": content("7"), "warnings": [], "fee": fee});
    exec(
        &h.pool,
        &format!(
            "INSERT INTO permit_events VALUES
               ('{P3}', 1, 20, 'LK', 'ApplicationSubmitted', '2025-05-01T09:00:00Z', 'trader_b@LK',
                'trader', '{P1}', 'k', '{a}', '{z}', true, true, '{submitted}'),
               ('{P3}', 2, 21, 'LK', 'ApplicationReturned', '2025-05-02T09:00:00Z', 'ma_officer@LK',
                'ma_officer', '{P2}', 'k', '{b}', '{a}', true, true, '{returned}'),
               ('{P3}', 3, 22, 'LK', 'ApplicationResubmitted', '2025-05-03T09:00:00Z', 'trader_b@LK',
                'trader', '{P4}', 'k', '{c}', '{b}', true, true, '{resubmitted}')",
            a = "a".repeat(64),
            b = "b".repeat(64),
            c = "c".repeat(64),
            z = "0".repeat(64),
        ),
    )
    .await;
    let html = page(&r, &format!("/ui/LK/permits/{P3}/timeline"), "auditor")
        .await
        .text();
    assert!(
        html.contains(&format!("/ui/LK/permits/{P3}/at/2")),
        "{html}"
    );

    let a = page(&r, &format!("/ui/LK/permits/{P3}/at/2"), "auditor").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let html = a.text();
    assert!(html.contains(r#"id="historical""#) && html.contains("HISTORICAL VIEW"));
    assert!(html.contains(r#"data-status="returned""#), "{html}");
    assert!(html.contains("&lt;i&gt;state the farm&lt;/i&gt;"));
    assert!(
        html.contains(">10 <") || html.contains(">10 </td>"),
        "the quantity then: {html}"
    );
    assert!(
        html.contains(&format!("/ui/LK/permits/{P3}/at/1"))
            && html.contains(&format!("/ui/LK/permits/{P3}/at/3")),
        "previous and next"
    );
    let html = page(&r, &format!("/ui/LK/permits/{P3}/at/1"), "auditor")
        .await
        .text();
    assert!(html.contains(r#"data-status="submitted""#));
    let html = page(&r, &format!("/ui/LK/permits/{P3}/at/3"), "auditor")
        .await
        .text();
    assert!(
        html.contains(r#"data-status="submitted""#) && html.contains(">7 <"),
        "{html}"
    );
    for missing in ["0", "4", "x"] {
        let a = page(&r, &format!("/ui/LK/permits/{P3}/at/{missing}"), "auditor").await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{missing}");
    }
    // Not another organisation's trader.
    let a = page(&r, &format!("/ui/LK/permits/{P3}/at/1"), "trader_a").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(!a.text().contains("Python"));
    h.drop_database().await;
}

#[tokio::test]
async fn the_review_page_lists_every_rule_check_with_its_outcome_in_words() {
    let (h, r) = ui_router().await;
    exec(
        &h.pool,
        &format!(
            r#"UPDATE permits SET state = '{{"warnings": ["OLD-WARNING"], "checks": [
                 {{"id": "DOC-NOT-LISTED", "source": "Art. II", "outcome": "passed", "field": null}},
                 {{"id": "TRADE-SUSPENSION", "source": "Res. Conf. 14.3", "outcome": "warning", "field": "lines[0].species"}},
                 {{"id": "<X>", "source": "<s>", "outcome": "violation", "field": null}}]}}'
               WHERE permit_id = '{P3}'"#
        ),
    )
    .await;
    let html = page(&r, &format!("/ui/LK/permits/{P3}"), "ma_officer")
        .await
        .text();
    assert!(html.contains(r#"id="rule-checks""#), "{html}");
    assert!(html.contains(r#"data-rule="DOC-NOT-LISTED" data-outcome="passed""#));
    assert!(html.contains(r#"data-outcome="warning""#) && html.contains("(lines[0].species)"));
    assert!(
        html.contains(">passed<") && html.contains(">warning<"),
        "in words"
    );
    assert!(html.contains("&lt;X&gt;") && !html.contains("<X>"));
    assert!(
        !html.contains("OLD-WARNING"),
        "the checks replace the bare warnings"
    );
    // A permit filed before checks were recorded: its warnings, as before.
    exec(
        &h.pool,
        &format!(r#"UPDATE permits SET state = '{{"warnings": ["OLD-WARNING"], "checks": []}}' WHERE permit_id = '{P3}'"#),
    )
    .await;
    let html = page(&r, &format!("/ui/LK/permits/{P3}"), "ma_officer")
        .await
        .text();
    assert!(html.contains("OLD-WARNING") && !html.contains("rule-checks"));
    h.drop_database().await;
}

#[tokio::test]
async fn the_new_pages_speak_french_and_spanish() {
    let (h, r) = ui_router().await;
    let fr = page(&r, "/ui/LK/organisations?lang=fr", "ma_officer")
        .await
        .text();
    assert!(
        fr.contains("Organisations de négociants") && fr.contains("Vérifiée"),
        "{fr}"
    );
    let es = page(&r, "/ui/LK/apply?lang=es", "trader_a").await.text();
    assert!(
        es.contains("Documentos justificativos") && es.contains("Tasa y verificación"),
        "{es}"
    );
    let a = page(
        &r,
        "/ui/LK/verify?n=LK%2F2025%2F000004&h=00&lang=fr",
        "customs",
    )
    .await;
    assert!(
        a.text().contains("ne correspond pas au registre"),
        "{}",
        a.text()
    );
    h.drop_database().await;
}

#[tokio::test]
async fn the_species_picker_warns_when_this_years_quota_is_used_up() {
    let (h, r) = ui_router().await;
    let year = time::OffsetDateTime::now_utc().year();
    exec(
        &h.pool,
        &format!(
            "INSERT INTO quotas VALUES
               ('q-now-py', 'LK', 101, 'Python regius', {year}, 'SKI', NULL, 'W',
                 false, 5000, 2000, 3000, NULL, 6),
               ('q-now-croc', 'LK', 102, 'Crocodylus niloticus', {year}, 'SKI', NULL, 'W',
                 false, 10000, 500, 500, NULL, 7)"
        ),
    )
    .await;
    let python = page(&r, "/ui/LK/species?q=Python", "trader_a").await;
    assert_eq!(python.status, StatusCode::OK, "{}", python.text());
    let python = python.json();
    assert_eq!(python[0]["name"], "Python regius", "{python}");
    assert_eq!(python[0]["over_quota"], true, "{python}");
    // Last year's quota (the seeded q1) is not this year's.
    assert_eq!(
        python[0]["quotas"],
        serde_json::json!([{"term": "SKI", "unit": null, "annual": "5", "taken": "5", "exhausted": true}])
    );
    let croc = page(&r, "/ui/LK/species?q=Crocodylus", "trader_a")
        .await
        .json();
    assert_eq!(croc[0]["over_quota"], false, "{croc}");
    assert_eq!(croc[0]["quotas"][0]["taken"], "1", "{croc}");
}
