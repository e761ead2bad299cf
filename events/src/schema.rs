//! Typed event payloads, their committed JSON Schemas, and upcasting of old versions.
//!
//! Each payload type names its aggregate, event type and schema version. `schemas/events/`
//! holds one file per (event type, version), generated from the Rust type. A test regenerates
//! them all and fails when a type's shape no longer matches the file of its version: changing
//! a payload means bumping its version (a new file) and registering an upcaster from the old
//! one, so that events already in the log stay readable.

use schemars::JsonSchema;
use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub trait EventPayload: Serialize + DeserializeOwned + JsonSchema {
    const AGGREGATE: &'static str;
    const EVENT_TYPE: &'static str;
    const SCHEMA_VERSION: u32;
}

/// One registered payload version and how to generate its schema.
#[derive(Clone, Copy)]
pub struct SchemaEntry {
    pub aggregate: &'static str,
    pub event_type: &'static str,
    pub version: u32,
    pub schema: fn() -> Value,
}

impl SchemaEntry {
    pub fn of<P: EventPayload>() -> Self {
        fn gen<P: JsonSchema>() -> Value {
            let schema = schemars::schema_for!(P);
            serde_json::to_value(schema).unwrap_or(Value::Null)
        }
        Self {
            aggregate: P::AGGREGATE,
            event_type: P::EVENT_TYPE,
            version: P::SCHEMA_VERSION,
            schema: gen::<P>,
        }
    }

    /// `<root>/events/<aggregate>/<EventType>.v<N>.json`
    pub fn path(&self, root: &Path) -> PathBuf {
        root.join("events")
            .join(self.aggregate)
            .join(format!("{}.v{}.json", self.event_type, self.version))
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum SchemaProblem {
    Missing(PathBuf),
    Changed(PathBuf),
}

impl std::fmt::Display for SchemaProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Missing(p) => write!(
                f,
                "{} is missing: run `ecites schemas write` and commit it",
                p.display()
            ),
            Self::Changed(p) => write!(
                f,
                "{} no longer matches its Rust type: an event's shape changed without a new schema version (bump SCHEMA_VERSION and add an upcaster)",
                p.display()
            ),
        }
    }
}

/// Compares every registered payload with its committed schema.
pub fn check(root: &Path, entries: &[SchemaEntry]) -> Vec<SchemaProblem> {
    let mut problems = vec![];
    for e in entries {
        let path = e.path(root);
        let committed: Option<Value> = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .map(shape);
        match committed {
            None => problems.push(SchemaProblem::Missing(path)),
            Some(v) if v != shape((e.schema)()) => problems.push(SchemaProblem::Changed(path)),
            Some(_) => {}
        }
    }
    problems
}

/// The schema without its prose: rewording a doc comment is not a change of shape.
fn shape(mut v: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(map) => {
                map.remove("description");
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

/// Writes the schema files that do not exist yet. Never overwrites one: a published version's
/// schema is frozen.
pub fn write_missing(root: &Path, entries: &[SchemaEntry]) -> std::io::Result<Vec<PathBuf>> {
    let mut written = vec![];
    for e in entries {
        let path = e.path(root);
        if path.exists() {
            continue;
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut text =
            serde_json::to_string_pretty(&(e.schema)()).map_err(std::io::Error::other)?;
        text.push('\n');
        std::fs::write(&path, text)?;
        written.push(path);
    }
    Ok(written)
}

type UpcastFn = fn(Value) -> Result<Value, String>;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("expected event type {expected}, found {found}")]
    WrongType { expected: String, found: String },
    #[error("event {event_type} v{version} is newer than this build understands (v{supported})")]
    TooNew {
        event_type: String,
        version: u32,
        supported: u32,
    },
    #[error("no upcaster from {event_type} v{version}")]
    NoUpcaster { event_type: String, version: u32 },
    #[error("upcasting {event_type} v{version}: {reason}")]
    Upcast {
        event_type: String,
        version: u32,
        reason: String,
    },
    #[error("payload of {event_type} v{version} does not match its type: {reason}")]
    Payload {
        event_type: String,
        version: u32,
        reason: String,
    },
}

/// Functions that lift a payload from version n to n+1, chained up to the current version.
#[derive(Default, Clone)]
pub struct Upcasters {
    steps: HashMap<(String, u32), UpcastFn>,
}

impl Upcasters {
    pub fn register(mut self, event_type: &str, from_version: u32, step: UpcastFn) -> Self {
        self.steps
            .insert((event_type.to_string(), from_version), step);
        self
    }

    /// Decodes a payload written at `version` into the current type `P`.
    pub fn decode<P: EventPayload>(
        &self,
        event_type: &str,
        version: u32,
        payload: &str,
    ) -> Result<P, DecodeError> {
        if event_type != P::EVENT_TYPE {
            return Err(DecodeError::WrongType {
                expected: P::EVENT_TYPE.into(),
                found: event_type.into(),
            });
        }
        if version > P::SCHEMA_VERSION {
            return Err(DecodeError::TooNew {
                event_type: event_type.into(),
                version,
                supported: P::SCHEMA_VERSION,
            });
        }
        let payload_err = |v: u32, e: serde_json::Error| DecodeError::Payload {
            event_type: event_type.into(),
            version: v,
            reason: e.to_string(),
        };
        if version == P::SCHEMA_VERSION {
            return serde_json::from_str(payload).map_err(|e| payload_err(version, e));
        }
        let mut value: Value =
            serde_json::from_str(payload).map_err(|e| payload_err(version, e))?;
        for v in version..P::SCHEMA_VERSION {
            let step = self
                .steps
                .get(&(event_type.to_string(), v))
                .ok_or_else(|| DecodeError::NoUpcaster {
                    event_type: event_type.into(),
                    version: v,
                })?;
            value = step(value).map_err(|reason| DecodeError::Upcast {
                event_type: event_type.into(),
                version: v,
                reason,
            })?;
        }
        serde_json::from_value(value).map_err(|e| payload_err(P::SCHEMA_VERSION, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    /// A payload at version 2 whose v1 lacked `unit`.
    #[derive(Serialize, Deserialize, JsonSchema, Debug, PartialEq)]
    struct QuotaSet {
        taxon: String,
        quantity: u64,
        unit: String,
    }
    impl EventPayload for QuotaSet {
        const AGGREGATE: &'static str = "quota";
        const EVENT_TYPE: &'static str = "QuotaSet";
        const SCHEMA_VERSION: u32 = 2;
    }

    fn v1_to_v2(mut v: Value) -> Result<Value, String> {
        let obj = v.as_object_mut().ok_or("payload is not an object")?;
        obj.insert("unit".into(), Value::String("NAR".into()));
        Ok(v)
    }

    #[test]
    fn an_old_version_is_upcast_to_the_current_type() {
        let up = Upcasters::default().register("QuotaSet", 1, v1_to_v2);
        let got: QuotaSet = up
            .decode("QuotaSet", 1, r#"{"taxon":"Python regius","quantity":5}"#)
            .unwrap();
        assert_eq!(got.unit, "NAR");
    }

    #[test]
    fn missing_upcaster_and_newer_versions_are_named() {
        let up = Upcasters::default();
        let old = up.decode::<QuotaSet>("QuotaSet", 1, r#"{"taxon":"x","quantity":5}"#);
        assert!(matches!(
            old,
            Err(DecodeError::NoUpcaster { version: 1, .. })
        ));
        let new = up.decode::<QuotaSet>("QuotaSet", 3, "{}");
        assert!(matches!(new, Err(DecodeError::TooNew { version: 3, .. })));
        let other = up.decode::<QuotaSet>("PermitIssued", 2, "{}");
        assert!(matches!(other, Err(DecodeError::WrongType { .. })));
    }

    #[test]
    fn a_changed_shape_fails_the_check_and_a_frozen_file_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let entry = SchemaEntry::of::<QuotaSet>();
        assert!(matches!(
            check(dir.path(), &[entry])[..],
            [SchemaProblem::Missing(_)]
        ));
        write_missing(dir.path(), &[entry]).unwrap();
        assert!(check(dir.path(), &[entry]).is_empty());
        // Simulate the type changing shape while keeping its version.
        let path = entry.path(dir.path());
        std::fs::write(&path, r#"{"type":"object","properties":{}}"#).unwrap();
        assert!(matches!(
            check(dir.path(), &[entry])[..],
            [SchemaProblem::Changed(_)]
        ));
        assert!(write_missing(dir.path(), &[entry]).unwrap().is_empty());
    }
}
