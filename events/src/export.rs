//! The JSON Lines export an auditor verifies offline: one line per event with its stream
//! sequence, subject, signature headers and the body bytes exactly as stored (base64).

use crate::log::RecordedEvent;
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};
use time::OffsetDateTime;

#[derive(Debug, Serialize, Deserialize)]
pub struct ExportLine {
    pub sequence: u64,
    pub subject: String,
    pub headers: ExportHeaders,
    #[serde(with = "time::serde::rfc3339")]
    pub stored_at: OffsetDateTime,
    /// Base64 of the body bytes: the signed bytes, byte for byte.
    pub body: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ExportHeaders {
    pub key_id: Option<String>,
    pub signature: Option<String>,
    pub msg_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("line {line}: {reason}")]
    BadLine { line: usize, reason: String },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl From<&RecordedEvent> for ExportLine {
    fn from(ev: &RecordedEvent) -> Self {
        Self {
            sequence: ev.sequence,
            subject: ev.subject.clone(),
            headers: ExportHeaders {
                key_id: ev.key_id.clone(),
                signature: ev.signature.clone(),
                msg_id: ev.msg_id.clone(),
            },
            stored_at: ev.stored_at,
            body: B64.encode(&ev.body),
        }
    }
}

impl ExportLine {
    pub fn into_event(self) -> Result<RecordedEvent, String> {
        let body = B64
            .decode(&self.body)
            .map_err(|e| format!("body is not base64: {e}"))?;
        Ok(RecordedEvent {
            sequence: self.sequence,
            subject: self.subject,
            body: body.into(),
            key_id: self.headers.key_id,
            signature: self.headers.signature,
            msg_id: self.headers.msg_id,
            stored_at: self.stored_at,
        })
    }
}

pub fn write_line(out: &mut impl Write, ev: &RecordedEvent) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, &ExportLine::from(ev))?;
    out.write_all(b"\n")
}

/// Reads an export back, line by line.
pub fn read_lines(input: impl BufRead) -> impl Iterator<Item = Result<RecordedEvent, ExportError>> {
    input.lines().enumerate().filter_map(|(i, line)| {
        let line_no = i + 1;
        match line {
            Err(e) => Some(Err(ExportError::Io(e))),
            Ok(l) if l.trim().is_empty() => None,
            Ok(l) => Some(
                serde_json::from_str::<ExportLine>(&l)
                    .map_err(|e| e.to_string())
                    .and_then(ExportLine::into_event)
                    .map_err(|reason| ExportError::BadLine {
                        line: line_no,
                        reason,
                    }),
            ),
        }
    })
}

/// Writes a Party's stream as JSON Lines; returns the number of events written.
pub async fn export_party<R: crate::log::EventReader>(
    reader: &R,
    party: crate::PartyCode,
    out: &mut impl Write,
) -> Result<u64, ExportFailure> {
    use futures::StreamExt;
    let mut events = reader.read_party(party, 1).await?;
    let mut n = 0;
    while let Some(ev) = events.next().await {
        write_line(out, &ev?)?;
        n += 1;
    }
    out.flush()?;
    Ok(n)
}

#[derive(Debug, thiserror::Error)]
pub enum ExportFailure {
    #[error(transparent)]
    Read(#[from] crate::log::ReadError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
