//! Seals made and verified per second on one core, beside raw Ed25519 signing and strict
//! verification of the same message size (the floor under both). Measures and prints.
//!
//!     cargo bench -p ecites-cites --bench seal    # ECITES_BENCH_SEALS (default 20000)

use ecites_cites::seal::{self, SealClaims, SealLine, Verdict};
use ed25519_dalek::{Signer, SigningKey};
use std::time::Instant;

fn claims() -> SealClaims {
    SealClaims {
        issuer: "LK".into(),
        issued_at: 1_780_000_000,
        expires_at: 1_795_000_000,
        number: "LK/2026/000123".into(),
        document_type: "E".into(),
        valid_until: "2026-11-18".into(),
        exporter: "Ceylon Reptile Exports (Pvt) Ltd, LK".into(),
        importer: "DE".into(),
        purpose: "T".into(),
        security_stamp: 123,
        lines: vec![SealLine {
            scientific_name: "Python regius".into(),
            term: "SKI".into(),
            quantity: "40".into(),
            unit: String::new(),
            appendix: "II".into(),
            source: "W".into(),
            origin_country: None,
            origin_permit: None,
        }],
        line_count: 1,
        event_digest: [9; 16],
    }
}

fn per_second(n: usize, f: impl FnMut(usize)) -> f64 {
    let start = Instant::now();
    (0..n).for_each(f);
    n as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let n: usize = std::env::var("ECITES_BENCH_SEALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let key = SigningKey::from_bytes(&[3; 32]);
    let vk = key.verifying_key();
    let kid = seal::key_id(&vk);
    let c = claims();
    let text = seal::seal(&c, kid, |m| key.sign(m)).unwrap();
    let message = vec![0x84u8; 300];
    let signature = key.sign(&message);

    let sign_raw = per_second(n, |_| {
        std::hint::black_box(key.sign(&message));
    });
    let sealing = per_second(n, |_| {
        std::hint::black_box(seal::seal(&c, kid, |m| key.sign(m)).unwrap());
    });
    let verify_raw = per_second(n, |_| {
        std::hint::black_box(vk.verify_strict(&message, &signature).is_ok());
    });
    let lookup = |_: &str, _: &[u8], _: i64| Some(vk);
    let verifying = per_second(n, |_| {
        let v = seal::verify(&text, lookup, 1_781_000_000);
        assert!(matches!(v, Verdict::Valid(_)));
    });
    println!("seal of one line: {} characters", text.len());
    println!("raw ed25519 sign (300 B):     {sign_raw:>10.0}/s");
    println!(
        "seals made:                   {sealing:>10.0}/s ({:.0} % of raw signing)",
        100.0 * sealing / sign_raw
    );
    println!("raw ed25519 verify_strict:    {verify_raw:>10.0}/s");
    println!(
        "seals verified (decode+check):{verifying:>10.0}/s ({:.0} % of raw verification)",
        100.0 * verifying / verify_raw
    );
}
