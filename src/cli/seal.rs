//! The keys a `CP1` seal is checked with, as `ecites serve` publishes them at
//! `/.well-known/ecites-keys.json`, and `ecites seal verify`, which checks a seal against a
//! saved copy of them with no network at all.
//!
//! Every key a Party ever signed with stays listed with its window (`not_before`, and
//! `not_after` once retired), so that a permit issued under a retired key still verifies for
//! as long as anyone holds the paper; a seal counts only if it was issued inside its key's
//! window.

use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use base64::Engine;
use clap::Subcommand;
use ecites_command::seal::{self, Verdict};
use ecites_events::keyring::PublicKeyring;
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::PathBuf;

pub const FORMAT: &str = "ecites-keys/1";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedKey {
    /// base64url of the seal's key id: SHA-256 of the public key, first 8 bytes.
    pub kid: String,
    pub kty: String,
    pub crv: String,
    /// base64url of the 32-byte Ed25519 public key.
    pub x: String,
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: time::OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub not_after: Option<time::OffsetDateTime>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyKeys {
    pub party: String,
    pub keys: Vec<PublishedKey>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedKeys {
    pub format: String,
    pub parties: Vec<PartyKeys>,
}

impl PublishedKeys {
    /// Every key of every Party this deployment serves, retired ones included.
    pub fn from_rings(rings: &[PublicKeyring]) -> Self {
        let parties = rings
            .iter()
            .map(|ring| PartyKeys {
                party: ring.party.to_string(),
                keys: ring
                    .keys
                    .iter()
                    .filter_map(|k| {
                        let vk = k.verifying_key().ok()?;
                        Some(PublishedKey {
                            kid: B64URL.encode(seal::key_id(&vk)),
                            kty: "OKP".into(),
                            crv: "Ed25519".into(),
                            x: B64URL.encode(vk.as_bytes()),
                            not_before: k.activated_at,
                            not_after: k.retired_at,
                        })
                    })
                    .collect(),
            })
            .collect();
        Self {
            format: FORMAT.into(),
            parties,
        }
    }

    /// The key of `issuer` with id `kid`, if it was in force at `at` (unix seconds).
    pub fn key(&self, issuer: &str, kid: &[u8], at: i64) -> Option<VerifyingKey> {
        let party = self.parties.iter().find(|p| p.party == issuer)?;
        let key = party
            .keys
            .iter()
            .find(|k| B64URL.decode(&k.kid).is_ok_and(|id| id == kid))?;
        let in_force = key.not_before.unix_timestamp() <= at
            && key.not_after.is_none_or(|end| at < end.unix_timestamp());
        if !in_force || key.kty != "OKP" || key.crv != "Ed25519" {
            return None;
        }
        let raw: [u8; 32] = B64URL
            .decode(&key.x)
            .or_else(|_| B64.decode(&key.x))
            .ok()?
            .try_into()
            .ok()?;
        let vk = VerifyingKey::from_bytes(&raw).ok()?;
        // The kid must be this key's: a list that pairs a kid with another key is not trusted.
        (seal::key_id(&vk) == kid).then_some(vk)
    }
}

#[derive(Subcommand)]
pub enum SealCommand {
    /// Check a CP1 seal offline against a saved copy of /.well-known/ecites-keys.json: exit 0
    /// when VALID, 1 when INVALID, EXPIRED or UNKNOWN KEY.
    Verify {
        /// The published keys, as saved from /.well-known/ecites-keys.json.
        #[arg(long)]
        keys: PathBuf,
        /// The seal's text, `CP1:…` (as the QR code reads).
        seal: String,
    },
}

pub fn run(command: SealCommand, out: &mut dyn Write) -> anyhow::Result<u8> {
    let SealCommand::Verify { keys, seal: text } = command;
    let bytes =
        std::fs::read(&keys).map_err(|e| anyhow::anyhow!("reading {}: {e}", keys.display()))?;
    let published: PublishedKeys = serde_json::from_slice(&bytes)
        .map_err(|e| anyhow::anyhow!("{} is not a published key list: {e}", keys.display()))?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let verdict = seal::verify(&text, |i, k, at| published.key(i, k, at), now);
    write_verdict(&verdict, out)?;
    Ok(u8::from(!matches!(verdict, Verdict::Valid(_))))
}

fn write_verdict(verdict: &Verdict, out: &mut dyn Write) -> std::io::Result<()> {
    let claims = match verdict {
        Verdict::Valid(c) => {
            writeln!(out, "VALID: signed by {}'s Management Authority", c.issuer)?;
            c
        }
        Verdict::Expired(c) => {
            writeln!(
                out,
                "EXPIRED: genuine, but valid only until {}",
                c.valid_until
            )?;
            c
        }
        Verdict::UnknownKey { issuer } => {
            return writeln!(out, "UNKNOWN KEY: not signed by any key {issuer} publishes");
        }
        Verdict::Invalid(reason) => return writeln!(out, "INVALID: {reason}"),
    };
    writeln!(out, "  1  permit number   {}", claims.number)?;
    writeln!(out, "  2  valid until     {}", claims.valid_until)?;
    writeln!(out, "  3  importer        {}", claims.importer)?;
    writeln!(out, "  4  exporter        {}", claims.exporter)?;
    writeln!(out, "  5a purpose         {}", claims.purpose)?;
    writeln!(out, "  5b security stamp {}", claims.security_stamp)?;
    for (i, l) in claims.lines.iter().enumerate() {
        let unit = if l.unit.is_empty() { "" } else { &l.unit };
        writeln!(
            out,
            "  line {}: {} {} {} {unit} (App. {}, source {})",
            i + 1,
            l.scientific_name,
            l.term,
            l.quantity,
            l.appendix,
            l.source
        )?;
    }
    if claims.line_count as usize > claims.lines.len() {
        writeln!(
            out,
            "  {} of {} lines shown: check the rest online",
            claims.lines.len(),
            claims.line_count
        )?;
    }
    Ok(())
}

/// `ecites serve`'s [`ecites_query::document::FirstSeal`]: the command side seals a permit
/// issued before seals existed, in the name of whoever asked for its document.
pub struct FirstSealer<L>(pub std::sync::Arc<ecites_command::api::ApiState<L>>);

impl<L> ecites_query::document::FirstSeal for FirstSealer<L>
where
    L: ecites_events::EventAppender + ecites_events::EventReader + Send + Sync + 'static,
{
    fn seal<'a>(
        &'a self,
        viewer: &'a ecites_query::Viewer,
        party: ecites_events::PartyCode,
        permit_id: uuid::Uuid,
    ) -> ecites_query::document::SealFuture<'a> {
        Box::pin(async move {
            use ecites_command::handler::auth::{Principal, Role};
            let role = Role::from_wire(&viewer.role)
                .ok_or_else(|| format!("unknown role {}", viewer.role))?;
            let who = Principal {
                user_id: viewer.user_id.clone(),
                role,
                party: viewer.party,
                organisation_id: viewer.organisation_id,
            };
            self.0
                .handler
                .seal_issued(&who, party, permit_id)
                .await
                .map(|done| done.map(|d| d.position))
                .map_err(|e| format!("sealing the permit: {e}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;
    use time::macros::datetime;

    fn listed(vk: &VerifyingKey, not_after: Option<time::OffsetDateTime>) -> PublishedKeys {
        PublishedKeys {
            format: FORMAT.into(),
            parties: vec![PartyKeys {
                party: "LK".into(),
                keys: vec![PublishedKey {
                    kid: B64URL.encode(seal::key_id(vk)),
                    kty: "OKP".into(),
                    crv: "Ed25519".into(),
                    x: B64URL.encode(vk.as_bytes()),
                    not_before: datetime!(2026-01-01 0:00 UTC),
                    not_after,
                }],
            }],
        }
    }

    #[test]
    fn a_key_counts_only_inside_its_window_and_only_under_its_own_kid() {
        let vk = SigningKey::from_bytes(&[5; 32]).verifying_key();
        let kid = seal::key_id(&vk);
        let jan = datetime!(2026-01-15 0:00 UTC).unix_timestamp();
        let july = datetime!(2026-07-01 0:00 UTC).unix_timestamp();
        let open = listed(&vk, None);
        assert_eq!(open.key("LK", &kid, jan), Some(vk));
        assert_eq!(
            open.key("LK", &kid, datetime!(2025-12-31 0:00 UTC).unix_timestamp()),
            None,
            "before the key existed"
        );
        let retired = listed(&vk, Some(datetime!(2026-06-01 0:00 UTC)));
        assert_eq!(
            retired.key("LK", &kid, jan),
            Some(vk),
            "issued while in force"
        );
        assert_eq!(
            retired.key("LK", &kid, july),
            None,
            "issued after retirement"
        );
        assert_eq!(open.key("KE", &kid, jan), None);
        // A list pairing LK's kid with another key is not trusted.
        let other = SigningKey::from_bytes(&[6; 32]).verifying_key();
        let mut forged = listed(&other, None);
        forged.parties[0].keys[0].kid = B64URL.encode(kid);
        assert_eq!(forged.key("LK", &kid, jan), None);
    }
}
