//! Standard-form PDFs drawn per second on one core (issue #14): a one-line permit, a twelve-line
//! one (three pages), and a one-line permit with the specimen signature and stamp in box 13.
//! Measures and prints the rate and the size; the same view always gives the same bytes.
//!
//!     cargo bench -p ecites-query --bench document    # ECITES_BENCH_DOCUMENTS (default 300)

use ecites_projector::read_models::permit_view::PermitView;
use ecites_query::document::{permit_pdf, DocumentLang, PermitDocument};
use serde_json::json;
use std::time::Instant;

const SIGNATURE: &[u8] = include_bytes!("../../tests/fixtures/specimen-signature.png");
const STAMP: &[u8] = include_bytes!("../../tests/fixtures/specimen-stamp.png");
const SEAL: &str = "CP1:6BFOXN*TS0BI$ZD-PHQ7IVOHN$E2G3-3ANWO4KDQLO/TE8YE$P8UH1-AT/CS8$ETX7PUVK*CM-O1LCOCBF-VQGE$:K1XVGV5E3AJO1KL.4YQ";

fn view(lines: usize) -> PermitView {
    let line = |n: usize| {
        json!({"line_no": n, "taxon_id": 1000 + n, "scientific_name": "Python regius",
            "name_as_written": "Python regius", "kingdom": "Animalia",
            "listing": {"listing_id": 1, "appendix": "II", "listing_party": null, "effective_at": "1977-02-04"},
            "source": "W", "purpose": "T", "term": "SKI", "quantity": "40", "unit": null,
            "description": "skins, tanned", "marks": "tags LK-0001 to LK-0040",
            "origin": null, "last_reexport": null, "import_permit": null})
    };
    let lines: Vec<_> = (1..=lines).map(line).collect();
    serde_json::from_value(json!({
        "permit_id": "0190e3c2-0000-7000-8000-000000000001", "party": "LK", "status": "issued",
        "content": {"document_type": "export_permit", "issuing_party": "LK", "exporting_country": "LK",
            "importing_country": "DE", "lines": lines, "express": false, "requested_validity_months": null,
            "supporting_documents": [], "consignment_departed_on": null},
        "conditions": ["skins tagged"], "permit_number": "LK/2026/000123", "security_stamp": 123,
        "issued_on": "2026-05-18", "valid_until": "2026-11-18", "seal": SEAL
    }))
    .unwrap_or_else(|e| panic!("bench view: {e}"))
}

fn rate(name: &str, n: usize, doc: &PermitDocument<'_>) {
    let first = permit_pdf(doc, DocumentLang::Fr).unwrap_or_else(|e| panic!("{e}"));
    let start = Instant::now();
    for _ in 0..n {
        let again = permit_pdf(doc, DocumentLang::Fr).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            again.len(),
            first.len(),
            "the same view gives the same document"
        );
    }
    let per_s = n as f64 / start.elapsed().as_secs_f64();
    println!(
        "{name:<44} {per_s:>8.0} documents/s  {:>7} bytes",
        first.len()
    );
}

fn main() {
    let n: usize = std::env::var("ECITES_BENCH_DOCUMENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let country = |code: &str| code.to_string();
    let one = view(1);
    let twelve = view(12);
    let plain = |v| PermitDocument {
        view: v,
        exporter: "Ceylon Reptile Exports (Pvt) Ltd",
        country: &country,
        signature: None,
        stamp: None,
    };
    rate("one line", n, &plain(&one));
    rate("twelve lines (3 pages)", n, &plain(&twelve));
    let signed = PermitDocument {
        signature: Some(SIGNATURE),
        stamp: Some(STAMP),
        ..plain(&one)
    };
    rate("one line, specimen signature and stamp", n, &signed);
}
