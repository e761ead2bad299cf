//! The `CP1` permit seal: what a printed permit's QR code carries so that anyone holding the
//! issuing Party's published key can check it offline (`docs/seal.md`).
//!
//! CBOR claims with integer keys (a CWT: issuer, issued at, expires, and the permit's boxes,
//! at most five lines with the count of all, and a digest of the issuing event), signed as a
//! COSE_Sign1 with EdDSA by the Party's key, zlib-compressed when that is shorter, base45, and
//! prefixed `CP1:`: all in the QR alphanumeric set. Pure: the signature is the caller's
//! closure, the keys the caller's lookup.

use ciborium::value::{Integer, Value};
use coset::{
    iana, CborSerializable, CoseSign1, CoseSign1Builder, HeaderBuilder, TaggedCborSerializable,
};
use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};

pub const PREFIX: &str = "CP1:";
/// Lines the QR holds; a longer permit says how many it has, to be checked online.
pub const MAX_LINES: usize = 5;
/// The CWT claim of the permit's boxes (private use range).
const PERMIT_CLAIM: i64 = -70001;

/// A key's id in the seal: the first 8 bytes of the SHA-256 of its 32 public bytes.
pub fn key_id(key: &VerifyingKey) -> [u8; 8] {
    let digest = Sha256::digest(key.as_bytes());
    let mut kid = [0; 8];
    kid.copy_from_slice(&digest[..8]);
    kid
}

/// One specimen line as the seal shows it (box 7–12).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SealLine {
    pub scientific_name: String,
    pub term: String,
    /// The decimal quantity as the permit prints it.
    pub quantity: String,
    /// Empty: number of specimens.
    pub unit: String,
    pub appendix: String,
    pub source: String,
    pub origin_country: Option<String>,
    pub origin_permit: Option<String>,
}

/// What the seal says of a permit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SealClaims {
    /// ISO 3166 alpha-2 of the issuing Party.
    pub issuer: String,
    /// Unix seconds.
    pub issued_at: i64,
    /// Unix seconds: the end of box 2's last day, UTC.
    pub expires_at: i64,
    /// Box 1.
    pub number: String,
    /// `E` export, `R` re-export, `I` import, `O` other (certificates).
    pub document_type: String,
    /// Box 2, `YYYY-MM-DD`.
    pub valid_until: String,
    /// Box 4: name and country.
    pub exporter: String,
    /// Box 3: name and country.
    pub importer: String,
    /// Box 5a.
    pub purpose: String,
    /// Box 5b.
    pub security_stamp: u64,
    /// The first [`MAX_LINES`] lines.
    pub lines: Vec<SealLine>,
    /// All the permit's lines.
    pub line_count: u32,
    /// The first 16 bytes of the SHA-256 of the issuing event's stored bytes.
    pub event_digest: [u8; 16],
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("not a CP1 seal (it does not start with CP1:)")]
    NotASeal,
    #[error("the seal is not valid base45")]
    Base45,
    #[error("the seal does not inflate")]
    Inflate,
    #[error("the seal is not a COSE_Sign1 structure")]
    Cose,
    #[error("the seal's signature algorithm is not EdDSA")]
    Algorithm,
    #[error("the seal names no key")]
    NoKey,
    #[error("the seal's claims are malformed: {0}")]
    Claims(&'static str),
    #[error("encoding the seal failed")]
    Encoding,
}

fn int(n: i64) -> Value {
    Value::Integer(Integer::from(n))
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn line_value(l: &SealLine) -> Value {
    let mut m = vec![
        (int(1), text(&l.scientific_name)),
        (int(2), text(&l.term)),
        (int(3), text(&l.quantity)),
        (int(4), text(&l.unit)),
        (int(5), text(&l.appendix)),
        (int(6), text(&l.source)),
    ];
    if let Some(c) = &l.origin_country {
        m.push((int(7), text(c)));
    }
    if let Some(p) = &l.origin_permit {
        m.push((int(8), text(p)));
    }
    Value::Map(m)
}

fn claims_value(c: &SealClaims) -> Value {
    let lines = c.lines.iter().take(MAX_LINES).map(line_value).collect();
    let permit = Value::Map(vec![
        (int(1), text(&c.number)),
        (int(2), text(&c.document_type)),
        (int(3), text(&c.valid_until)),
        (int(4), text(&c.exporter)),
        (int(5), text(&c.importer)),
        (int(6), text(&c.purpose)),
        (
            int(7),
            int(i64::try_from(c.security_stamp).unwrap_or(i64::MAX)),
        ),
        (int(8), Value::Array(lines)),
        (int(9), Value::Bytes(c.event_digest.to_vec())),
        (int(11), int(i64::from(c.line_count))),
    ]);
    Value::Map(vec![
        (int(1), text(&c.issuer)),
        (int(6), int(c.issued_at)),
        (int(4), int(c.expires_at)),
        (int(PERMIT_CLAIM), permit),
    ])
}

/// The `CP1:` text of `claims` signed by the key `kid` (`sign` signs the COSE
/// Sig_structure bytes it is given).
pub fn seal(
    claims: &SealClaims,
    kid: [u8; 8],
    sign: impl FnOnce(&[u8]) -> Signature,
) -> Result<String, SealError> {
    let mut payload = vec![];
    ciborium::ser::into_writer(&claims_value(claims), &mut payload)
        .map_err(|_| SealError::Encoding)?;
    let protected = HeaderBuilder::new()
        .algorithm(iana::Algorithm::EdDSA)
        .key_id(kid.to_vec())
        .build();
    let sign1 = CoseSign1Builder::new()
        .protected(protected)
        .payload(payload)
        .create_signature(&[], |tbs| sign(tbs).to_bytes().to_vec())
        .build();
    let cose = sign1.to_tagged_vec().map_err(|_| SealError::Encoding)?;
    let mut z = flate2::write::ZlibEncoder::new(vec![], flate2::Compression::best());
    z.write_all(&cose).map_err(|_| SealError::Encoding)?;
    let zipped = z.finish().map_err(|_| SealError::Encoding)?;
    let bytes = if zipped.len() < cose.len() {
        zipped
    } else {
        cose
    };
    Ok(format!("{PREFIX}{}", base45::encode(&bytes)))
}

/// A seal taken apart, its signature not yet checked.
#[derive(Debug)]
pub struct Opened {
    pub claims: SealClaims,
    pub kid: Vec<u8>,
    sign1: CoseSign1,
}

/// What a verifier says of a seal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Valid(SealClaims),
    /// Signed by the Party's key, but past box 2.
    Expired(SealClaims),
    /// Its key is not among the issuer's published keys (or was not in force when it signed).
    UnknownKey {
        issuer: String,
    },
    Invalid(String),
}

/// Decodes `text` (base45, inflate, COSE, claims) without checking the signature.
pub fn open(text: &str) -> Result<Opened, SealError> {
    let body = text
        .trim()
        .strip_prefix(PREFIX)
        .ok_or(SealError::NotASeal)?;
    let mut bytes = base45::decode(body).map_err(|_| SealError::Base45)?;
    if bytes.first() == Some(&0x78) {
        let mut inflated = vec![];
        flate2::read::ZlibDecoder::new(&bytes[..])
            .take(64 * 1024)
            .read_to_end(&mut inflated)
            .map_err(|_| SealError::Inflate)?;
        bytes = inflated;
    }
    let sign1 = CoseSign1::from_tagged_slice(&bytes)
        .or_else(|_| CoseSign1::from_slice(&bytes))
        .map_err(|_| SealError::Cose)?;
    let alg = sign1.protected.header.alg.as_ref();
    if alg
        != Some(&coset::RegisteredLabelWithPrivate::Assigned(
            iana::Algorithm::EdDSA,
        ))
    {
        return Err(SealError::Algorithm);
    }
    let kid = sign1.protected.header.key_id.clone();
    if kid.is_empty() {
        return Err(SealError::NoKey);
    }
    let payload = sign1
        .payload
        .as_deref()
        .ok_or(SealError::Claims("no payload"))?;
    let value: Value =
        ciborium::de::from_reader(payload).map_err(|_| SealError::Claims("not CBOR"))?;
    let claims = claims_from(&value)?;
    Ok(Opened { claims, kid, sign1 })
}

impl Opened {
    /// Whether `key` signed this seal (strict EdDSA, over the bytes as received).
    pub fn signed_by(&self, key: &VerifyingKey) -> bool {
        self.sign1
            .verify_signature(&[], |sig, tbs| {
                let sig = Signature::from_slice(sig).map_err(|_| ())?;
                key.verify_strict(tbs, &sig).map_err(|_| ())
            })
            .is_ok()
    }
}

/// The whole check: decoded, signed by the key `keys` finds for the issuer and the kid in
/// force when the seal says it was issued (unix seconds), and not expired at `now`.
pub fn verify(
    text: &str,
    keys: impl Fn(&str, &[u8], i64) -> Option<VerifyingKey>,
    now: i64,
) -> Verdict {
    let opened = match open(text) {
        Ok(o) => o,
        Err(e) => return Verdict::Invalid(e.to_string()),
    };
    let Some(key) = keys(&opened.claims.issuer, &opened.kid, opened.claims.issued_at) else {
        return Verdict::UnknownKey {
            issuer: opened.claims.issuer,
        };
    };
    if !opened.signed_by(&key) {
        return Verdict::Invalid("the signature does not match the seal's content".into());
    }
    if now > opened.claims.expires_at {
        Verdict::Expired(opened.claims)
    } else {
        Verdict::Valid(opened.claims)
    }
}

fn field(map: &[(Value, Value)], key: i64) -> Option<&Value> {
    map.iter()
        .find(|(k, _)| k.as_integer() == Some(Integer::from(key)))
        .map(|(_, v)| v)
}

fn text_at(map: &[(Value, Value)], key: i64, what: &'static str) -> Result<String, SealError> {
    field(map, key)
        .and_then(Value::as_text)
        .map(str::to_string)
        .ok_or(SealError::Claims(what))
}

fn int_at(map: &[(Value, Value)], key: i64, what: &'static str) -> Result<i64, SealError> {
    field(map, key)
        .and_then(Value::as_integer)
        .and_then(|i| i64::try_from(i).ok())
        .ok_or(SealError::Claims(what))
}

fn line_from(v: &Value) -> Result<SealLine, SealError> {
    let m = v.as_map().ok_or(SealError::Claims("a line is not a map"))?;
    let opt = |k| field(m, k).and_then(Value::as_text).map(str::to_string);
    Ok(SealLine {
        scientific_name: text_at(m, 1, "line species")?,
        term: text_at(m, 2, "line term")?,
        quantity: text_at(m, 3, "line quantity")?,
        unit: text_at(m, 4, "line unit")?,
        appendix: text_at(m, 5, "line appendix")?,
        source: text_at(m, 6, "line source")?,
        origin_country: opt(7),
        origin_permit: opt(8),
    })
}

fn claims_from(v: &Value) -> Result<SealClaims, SealError> {
    let cwt = v.as_map().ok_or(SealError::Claims("not a map"))?;
    let permit = field(cwt, PERMIT_CLAIM)
        .and_then(Value::as_map)
        .ok_or(SealError::Claims("no permit"))?;
    let lines = field(permit, 8)
        .and_then(Value::as_array)
        .ok_or(SealError::Claims("no lines"))?;
    if lines.len() > MAX_LINES {
        return Err(SealError::Claims("more lines than a seal holds"));
    }
    let digest = field(permit, 9)
        .and_then(Value::as_bytes)
        .and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok())
        .ok_or(SealError::Claims("event digest"))?;
    Ok(SealClaims {
        issuer: text_at(cwt, 1, "issuer")?,
        issued_at: int_at(cwt, 6, "issued at")?,
        expires_at: int_at(cwt, 4, "expiry")?,
        number: text_at(permit, 1, "number")?,
        document_type: text_at(permit, 2, "document type")?,
        valid_until: text_at(permit, 3, "valid until")?,
        exporter: text_at(permit, 4, "exporter")?,
        importer: text_at(permit, 5, "importer")?,
        purpose: text_at(permit, 6, "purpose")?,
        security_stamp: u64::try_from(int_at(permit, 7, "security stamp")?)
            .map_err(|_| SealError::Claims("security stamp"))?,
        lines: lines.iter().map(line_from).collect::<Result<_, _>>()?,
        line_count: u32::try_from(int_at(permit, 11, "line count")?)
            .map_err(|_| SealError::Claims("line count"))?,
        event_digest: digest,
    })
}

#[cfg(test)]
#[path = "seal_tests.rs"]
mod tests;

/// The first 16 bytes of the SHA-256 of `bytes` (the issuing event's payload as stored).
pub fn event_digest(bytes: &[u8]) -> [u8; 16] {
    let digest = Sha256::digest(bytes);
    let mut out = [0; 16];
    out.copy_from_slice(&digest[..16]);
    out
}

/// What the seal of an issued permit says: from the application as decided and the
/// issuance, never from form input; `issued_at` (unix seconds) is when it is sealed, which
/// must fall inside the signing key's published window.
pub fn claims_of(
    content: &ecites_events::payloads::permit::ApplicationContent,
    issued: &ecites_events::payloads::permit::PermitIssued,
    exporter: &str,
    issuing_event: [u8; 16],
    issued_at: i64,
) -> SealClaims {
    use ecites_events::cites::DocumentType as D;
    let day_end = |d: time::Date| {
        d.with_hms(23, 59, 59)
            .map_or(0, |t| t.assume_utc().unix_timestamp())
    };
    let lines = content.lines.iter().take(MAX_LINES).map(|l| SealLine {
        scientific_name: l.scientific_name.clone(),
        term: l.term.clone(),
        quantity: l.quantity.to_string(),
        unit: l.unit.clone().unwrap_or_default(),
        appendix: l
            .listing
            .as_ref()
            .map(|s| s.appendix.to_string())
            .unwrap_or_default(),
        source: l.source.code().to_string(),
        origin_country: l.origin.as_ref().map(|o| o.country.to_string()),
        origin_permit: l.origin.as_ref().map(|o| o.number.clone()),
    });
    let purposes: Vec<&str> = content.lines.iter().map(|l| l.purpose.code()).collect();
    let mut purpose = purposes.first().copied().unwrap_or_default().to_string();
    if purposes.iter().any(|p| *p != purpose) {
        purpose = "*".into();
    }
    SealClaims {
        issuer: content.issuing_party.to_string(),
        issued_at,
        expires_at: day_end(issued.valid_until.0),
        number: issued.permit_number.clone(),
        document_type: match content.document_type {
            D::ExportPermit => "E",
            D::ReExportCertificate => "R",
            D::ImportPermit => "I",
            _ => "O",
        }
        .into(),
        valid_until: issued.valid_until.to_string(),
        exporter: format!("{exporter}, {}", content.exporting_country),
        importer: content.importing_country.to_string(),
        purpose,
        security_stamp: issued.security_stamp,
        lines: lines.collect(),
        line_count: u32::try_from(content.lines.len()).unwrap_or(u32::MAX),
        event_digest: issuing_event,
    }
}
