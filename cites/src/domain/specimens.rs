//! Specimens of the Management Authority's signatures and stamp (the Augmented solution's
//! "integration of specimens of signatures and stamps"): a Party admin records each
//! signatory's specimen signature and the Authority's stamp, and withdraws one that is no
//! longer used. Other Parties and customs compare box 13 of a paper permit with them; the
//! permit's PDF prints the issuing signatory's.
//!
//! The image is checked here (PNG, bounded in bytes and pixels) and named by its SHA-256, so
//! that the log, the published list and the printed page all say which image it is.

use crate::domain::aggregate::aggregate_events;
use base64::Engine;
use ecites_events::payloads::specimen::*;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The largest image accepted: an image travels in its event, and a page prints it small.
pub const MAX_IMAGE_BYTES: usize = 96 * 1024;
/// The largest side of an image, in pixels.
pub const MAX_SIDE: u32 = 2_000;
const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpecimenCommand {
    Record {
        specimen_id: Uuid,
        kind: SpecimenKind,
        /// The signatory's user id, for a signature.
        signatory: Option<String>,
        name: String,
        image: Vec<u8>,
    },
    Withdraw {
        specimen_id: Uuid,
        reason: String,
    },
}

aggregate_events! {
    pub enum SpecimenEvent ("a specimens event") {
        Recorded(SpecimenRecorded),
        Withdrawn(SpecimenWithdrawn),
    }
}

/// One specimen as the Party's list holds it (the image itself stays in the log).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Specimen {
    pub specimen_id: Uuid,
    pub kind: SpecimenKind,
    pub signatory: Option<String>,
    pub sha256: String,
    pub withdrawn: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpecimensState {
    pub specimens: Vec<Specimen>,
}

impl SpecimensState {
    fn find(&self, id: Uuid) -> Option<&Specimen> {
        self.specimens.iter().find(|s| s.specimen_id == id)
    }
}

/// Why a specimen was not recorded or withdrawn, with the field it is about.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SpecimenError {
    #[error("image: not a PNG image (a specimen is recorded as image/png)")]
    NotPng,
    #[error("image: {0} bytes; a specimen image is at most {MAX_IMAGE_BYTES} bytes")]
    TooLarge(usize),
    #[error("image: {width}×{height} pixels; each side is 1 to {MAX_SIDE} pixels")]
    BadSize { width: u32, height: u32 },
    #[error("signatory: a specimen signature names the signatory whose signature it is")]
    SignatoryMissing,
    #[error("signatory: the stamp is the Authority's, not a signatory's")]
    SignatoryOnStamp,
    #[error("name: the name printed with the specimen is 1 to 200 characters")]
    BadName,
    #[error("image: this image is already specimen {0}")]
    SameImage(Uuid),
    #[error("specimen_id: specimen {0} is already recorded")]
    AlreadyRecorded(Uuid),
    #[error("specimen_id: no specimen {0}")]
    Unknown(Uuid),
    #[error("specimen_id: specimen {0} is already withdrawn")]
    AlreadyWithdrawn(Uuid),
    #[error("reason: say why the specimen is withdrawn")]
    ReasonMissing,
}

pub fn decide(
    state: &SpecimensState,
    command: SpecimenCommand,
) -> Result<Vec<SpecimenEvent>, SpecimenError> {
    match command {
        SpecimenCommand::Record {
            specimen_id,
            kind,
            signatory,
            name,
            image,
        } => record(state, specimen_id, kind, signatory, name, &image),
        SpecimenCommand::Withdraw {
            specimen_id,
            reason,
        } => {
            let found = state
                .find(specimen_id)
                .ok_or(SpecimenError::Unknown(specimen_id))?;
            if found.withdrawn {
                return Err(SpecimenError::AlreadyWithdrawn(specimen_id));
            }
            let reason = reason.trim().to_string();
            if reason.is_empty() {
                return Err(SpecimenError::ReasonMissing);
            }
            Ok(vec![SpecimenEvent::Withdrawn(SpecimenWithdrawn {
                specimen_id,
                reason,
            })])
        }
    }
}

fn record(
    state: &SpecimensState,
    specimen_id: Uuid,
    kind: SpecimenKind,
    signatory: Option<String>,
    name: String,
    image: &[u8],
) -> Result<Vec<SpecimenEvent>, SpecimenError> {
    if state.find(specimen_id).is_some() {
        return Err(SpecimenError::AlreadyRecorded(specimen_id));
    }
    let signatory = signatory
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    match (kind, &signatory) {
        (SpecimenKind::Signature, None) => return Err(SpecimenError::SignatoryMissing),
        (SpecimenKind::Stamp, Some(_)) => return Err(SpecimenError::SignatoryOnStamp),
        _ => {}
    }
    let name = name.trim().to_string();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(SpecimenError::BadName);
    }
    png_size(image)?;
    let sha256 = hex::encode(Sha256::digest(image));
    if let Some(same) = state
        .specimens
        .iter()
        .find(|s| s.sha256 == sha256 && !s.withdrawn)
    {
        return Err(SpecimenError::SameImage(same.specimen_id));
    }
    Ok(vec![SpecimenEvent::Recorded(SpecimenRecorded {
        specimen_id,
        kind,
        signatory,
        name,
        media_type: "image/png".into(),
        sha256,
        image: base64::engine::general_purpose::STANDARD.encode(image),
    })])
}

/// The PNG's width and height from its header, checked against the bounds. Only the header
/// is read: the image is never decoded here.
pub fn png_size(image: &[u8]) -> Result<(u32, u32), SpecimenError> {
    if image.len() > MAX_IMAGE_BYTES {
        return Err(SpecimenError::TooLarge(image.len()));
    }
    // Signature, then the IHDR chunk: length (4), "IHDR", width (4), height (4).
    if image.len() < 24 || !image.starts_with(PNG_MAGIC) || &image[12..16] != b"IHDR" {
        return Err(SpecimenError::NotPng);
    }
    let be =
        |at: usize| u32::from_be_bytes([image[at], image[at + 1], image[at + 2], image[at + 3]]);
    let (width, height) = (be(16), be(20));
    if !(1..=MAX_SIDE).contains(&width) || !(1..=MAX_SIDE).contains(&height) {
        return Err(SpecimenError::BadSize { width, height });
    }
    Ok((width, height))
}

pub fn evolve(mut s: SpecimensState, event: &SpecimenEvent) -> SpecimensState {
    match event {
        SpecimenEvent::Recorded(e) => s.specimens.push(Specimen {
            specimen_id: e.specimen_id,
            kind: e.kind,
            signatory: e.signatory.clone(),
            sha256: e.sha256.clone(),
            withdrawn: false,
        }),
        SpecimenEvent::Withdrawn(e) => {
            if let Some(found) = s
                .specimens
                .iter_mut()
                .find(|x| x.specimen_id == e.specimen_id)
            {
                found.withdrawn = true;
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1×1 PNG (header and IHDR are what is checked).
    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = PNG_MAGIC.to_vec();
        out.extend_from_slice(&13u32.to_be_bytes());
        out.extend_from_slice(b"IHDR");
        out.extend_from_slice(&width.to_be_bytes());
        out.extend_from_slice(&height.to_be_bytes());
        out.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
        out
    }

    fn signature(id: u128, image: Vec<u8>) -> SpecimenCommand {
        SpecimenCommand::Record {
            specimen_id: Uuid::from_u128(id),
            kind: SpecimenKind::Signature,
            signatory: Some("signatory".into()),
            name: "A. Perera".into(),
            image,
        }
    }

    fn after(commands: Vec<SpecimenCommand>) -> SpecimensState {
        commands
            .into_iter()
            .fold(SpecimensState::default(), |s, c| {
                decide(&s, c).unwrap().iter().fold(s, evolve)
            })
    }

    #[test]
    fn a_signature_is_recorded_named_by_its_digest() {
        let events = decide(&SpecimensState::default(), signature(1, png(300, 100))).unwrap();
        let [SpecimenEvent::Recorded(r)] = events.as_slice() else {
            panic!("{events:?}")
        };
        assert_eq!(r.sha256, hex::encode(Sha256::digest(png(300, 100))));
        assert_eq!(r.media_type, "image/png");
        let back = base64::engine::general_purpose::STANDARD
            .decode(&r.image)
            .unwrap();
        assert_eq!(back, png(300, 100));
    }

    #[test]
    fn what_is_not_a_bounded_png_is_refused_with_its_field() {
        let s = SpecimensState::default();
        let refused = |image: Vec<u8>| decide(&s, signature(1, image)).unwrap_err();
        assert_eq!(
            refused(b"GIF89a....................".to_vec()),
            SpecimenError::NotPng
        );
        assert_eq!(refused(vec![]), SpecimenError::NotPng);
        assert_eq!(
            refused(png(0, 10)),
            SpecimenError::BadSize {
                width: 0,
                height: 10
            }
        );
        assert_eq!(
            refused(png(10, MAX_SIDE + 1)),
            SpecimenError::BadSize {
                width: 10,
                height: MAX_SIDE + 1
            }
        );
        let mut big = png(10, 10);
        big.resize(MAX_IMAGE_BYTES + 1, 0);
        assert_eq!(refused(big), SpecimenError::TooLarge(MAX_IMAGE_BYTES + 1));
        assert!(refused(png(10, 10).split_off(4))
            .to_string()
            .starts_with("image:"));
    }

    #[test]
    fn a_signature_names_its_signatory_and_the_stamp_none() {
        let s = SpecimensState::default();
        let mut no_one = signature(1, png(5, 5));
        if let SpecimenCommand::Record { signatory, .. } = &mut no_one {
            *signatory = Some("  ".into());
        }
        assert_eq!(
            decide(&s, no_one).unwrap_err(),
            SpecimenError::SignatoryMissing
        );
        let stamp = SpecimenCommand::Record {
            specimen_id: Uuid::from_u128(2),
            kind: SpecimenKind::Stamp,
            signatory: Some("signatory".into()),
            name: "MA stamp".into(),
            image: png(5, 5),
        };
        assert_eq!(
            decide(&s, stamp).unwrap_err(),
            SpecimenError::SignatoryOnStamp
        );
    }

    #[test]
    fn the_same_image_twice_or_id_twice_is_refused_until_withdrawn() {
        let s = after(vec![signature(1, png(5, 5))]);
        assert_eq!(
            decide(&s, signature(2, png(5, 5))).unwrap_err(),
            SpecimenError::SameImage(Uuid::from_u128(1))
        );
        assert_eq!(
            decide(&s, signature(1, png(6, 6))).unwrap_err(),
            SpecimenError::AlreadyRecorded(Uuid::from_u128(1))
        );
        let withdraw = |reason: &str| SpecimenCommand::Withdraw {
            specimen_id: Uuid::from_u128(1),
            reason: reason.into(),
        };
        assert_eq!(
            decide(&s, withdraw(" ")).unwrap_err(),
            SpecimenError::ReasonMissing
        );
        let s = after(vec![
            signature(1, png(5, 5)),
            withdraw("left the Authority"),
        ]);
        assert!(s.specimens[0].withdrawn);
        assert_eq!(
            decide(&s, withdraw("again")).unwrap_err(),
            SpecimenError::AlreadyWithdrawn(Uuid::from_u128(1))
        );
        assert!(
            decide(&s, signature(2, png(5, 5))).is_ok(),
            "a withdrawn image may return"
        );
        assert_eq!(
            decide(
                &s,
                SpecimenCommand::Withdraw {
                    specimen_id: Uuid::from_u128(9),
                    reason: "x".into()
                }
            )
            .unwrap_err(),
            SpecimenError::Unknown(Uuid::from_u128(9))
        );
    }
}
