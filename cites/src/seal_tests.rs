use super::*;
use ed25519_dalek::{Signer as _, SigningKey};

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn claims(lines: usize) -> SealClaims {
    let line = |i: usize| SealLine {
        scientific_name: format!("Python regius {i}"),
        term: "LIV".into(),
        quantity: "12".into(),
        unit: String::new(),
        appendix: "II".into(),
        source: "C".into(),
        origin_country: None,
        origin_permit: None,
    };
    SealClaims {
        issuer: "LK".into(),
        issued_at: 1_780_000_000,
        expires_at: 1_795_000_000,
        number: "LK/2026/000123".into(),
        document_type: "E".into(),
        valid_until: "2026-11-18".into(),
        exporter: "Demo Exports (Pvt) Ltd, LK".into(),
        importer: "Zoo Köln, DE".into(),
        purpose: "T".into(),
        security_stamp: 123,
        lines: (0..lines.min(MAX_LINES)).map(line).collect(),
        line_count: lines as u32,
        event_digest: [7; 16],
    }
}

fn sealed(c: &SealClaims, k: &SigningKey) -> String {
    seal(c, key_id(&k.verifying_key()), |tbs| k.sign(tbs)).unwrap()
}

fn lookup(k: &SigningKey) -> impl Fn(&str, &[u8], i64) -> Option<VerifyingKey> + '_ {
    move |issuer, kid, _| {
        let vk = k.verifying_key();
        (issuer == "LK" && kid == key_id(&vk)).then_some(vk)
    }
}

const NOW: i64 = 1_781_000_000;

#[test]
fn a_seal_verifies_with_its_key_and_gives_back_its_claims() {
    let k = key(1);
    let c = claims(2);
    let text = sealed(&c, &k);
    assert!(text.starts_with("CP1:"));
    // The QR alphanumeric set: digits, capitals, space and $%*+-./:
    assert!(text
        .chars()
        .all(|ch| ch.is_ascii_digit() || ch.is_ascii_uppercase() || " $%*+-./:".contains(ch)));
    assert_eq!(verify(&text, lookup(&k), NOW), Verdict::Valid(c));
}

#[test]
fn a_seal_is_short_enough_for_a_small_qr_code() {
    let k = key(1);
    for (lines, limit) in [(1, 520), (2, 580), (12, 900)] {
        let text = sealed(&claims(lines), &k);
        println!("{lines} line(s): {} characters", text.len());
        assert!(
            text.len() <= limit,
            "{lines} lines: {} characters",
            text.len()
        );
    }
    assert_eq!(
        open(&sealed(&claims(12), &k)).unwrap().claims.lines.len(),
        MAX_LINES
    );
}

#[test]
fn one_changed_character_is_invalid_or_undecodable_never_valid() {
    let k = key(1);
    let text = sealed(&claims(1), &k);
    let alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    for i in PREFIX.len()..text.len() {
        let original = text.as_bytes()[i] as char;
        let other = alphabet.chars().find(|c| *c != original).unwrap();
        let mut changed = text.clone();
        changed.replace_range(i..=i, &other.to_string());
        match verify(&changed, lookup(&k), NOW) {
            Verdict::Valid(_) | Verdict::Expired(_) => panic!("changed at {i} and still signed"),
            Verdict::Invalid(_) | Verdict::UnknownKey { .. } => {}
        }
    }
}

#[test]
fn a_seal_signed_by_another_partys_key_is_not_taken_for_the_issuers() {
    let issuer = key(1);
    let other = key(2);
    // Another key claims to be LK's: its kid is not LK's published one.
    let text = sealed(&claims(1), &other);
    assert_eq!(
        verify(&text, lookup(&issuer), NOW),
        Verdict::UnknownKey {
            issuer: "LK".into()
        }
    );
    // Another key under LK's kid: the signature fails.
    let forged = seal(&claims(1), key_id(&issuer.verifying_key()), |tbs| {
        other.sign(tbs)
    })
    .unwrap();
    assert!(matches!(
        verify(&forged, lookup(&issuer), NOW),
        Verdict::Invalid(_)
    ));
}

#[test]
fn a_seal_past_its_validity_is_expired() {
    let k = key(1);
    let c = claims(1);
    let text = sealed(&c, &k);
    assert_eq!(
        verify(&text, lookup(&k), c.expires_at + 1),
        Verdict::Expired(c)
    );
}

#[test]
fn what_is_not_a_seal_says_why() {
    let k = key(1);
    assert_eq!(
        verify("https://example.org/x", lookup(&k), NOW),
        Verdict::Invalid(SealError::NotASeal.to_string())
    );
    assert_eq!(
        verify("CP1:%%%", lookup(&k), NOW),
        Verdict::Invalid(SealError::Base45.to_string())
    );
    assert_eq!(
        verify(
            &format!("CP1:{}", base45::encode(b"not cose")),
            lookup(&k),
            NOW
        ),
        Verdict::Invalid(SealError::Cose.to_string())
    );
}
