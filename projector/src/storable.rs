//! Text that PostgreSQL can hold. A signed event may carry characters PostgreSQL refuses in
//! `text` and in the text of `json` it converts: U+0000 (refused at the command API since
//! issue #17, but older logs hold it) and, in hand-made JSON, unpaired UTF-16 surrogate
//! escapes. The log and the archive keep the exact signed bytes; the read models hold a
//! visible stand-in instead, so that no signed event can stop a projection:
//!
//! - U+0000 becomes U+2400 SYMBOL FOR NULL (`␀`): a reader sees that a NUL was there;
//! - an unpaired surrogate escape becomes U+FFFD REPLACEMENT CHARACTER.

use ecites_events::audit::VerifiedEvent;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// What stands for U+0000 in a read model.
pub const NUL_STAND_IN: char = '\u{2400}';

const NUL_ESCAPE: &str = "\\u2400";
const REPLACEMENT_ESCAPE: &str = "\\ufffd";

/// `json` (JSON text) with every `\u0000` escape and unpaired surrogate escape replaced; the
/// text unchanged (borrowed) when it has none, which is the common case.
pub fn json_text(json: &str) -> Cow<'_, str> {
    let bytes = json.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        // An escape: `\` and one character, or `\uXXXX`.
        let Some(code) = unicode_escape(bytes, i) else {
            i += 2;
            continue;
        };
        let (replacement, len) = match code {
            0 => (Some(NUL_ESCAPE), 6),
            0xD800..=0xDBFF => match unicode_escape(bytes, i + 6) {
                Some(0xDC00..=0xDFFF) => (None, 12),
                _ => (Some(REPLACEMENT_ESCAPE), 6),
            },
            0xDC00..=0xDFFF => (Some(REPLACEMENT_ESCAPE), 6),
            _ => (None, 6),
        };
        if let Some(r) = replacement {
            let o = out.get_or_insert_with(|| String::with_capacity(json.len()));
            o.push_str(&json[copied..i]);
            o.push_str(r);
            copied = i + len;
        }
        i += len;
    }
    match out {
        None => Cow::Borrowed(json),
        Some(mut o) => {
            o.push_str(&json[copied..]);
            Cow::Owned(o)
        }
    }
}

/// The code point of the `\uXXXX` escape starting at `at`, if there is one.
fn unicode_escape(bytes: &[u8], at: usize) -> Option<u32> {
    let hex = bytes.get(at..at + 6)?;
    if hex[0] != b'\\' || hex[1] != b'u' {
        return None;
    }
    let digits = std::str::from_utf8(&hex[2..]).ok()?;
    u32::from_str_radix(digits, 16).ok()
}

/// `text` with U+0000 replaced by [`NUL_STAND_IN`].
pub fn text(text: &str) -> Cow<'_, str> {
    if text.contains('\0') {
        Cow::Owned(text.replace('\0', &NUL_STAND_IN.to_string()))
    } else {
        Cow::Borrowed(text)
    }
}

/// The event as the read models store it: its payload and envelope text made storable. The
/// hash and the signature check stay those of the signed bytes. `None` when nothing needed a
/// change.
pub fn event(ev: &VerifiedEvent) -> Option<VerifiedEvent> {
    let e = &ev.envelope;
    let payload = json_text(e.payload.get());
    let fields = [&e.event_type, &e.actor.user_id, &e.actor.role];
    if matches!(payload, Cow::Borrowed(_)) && fields.iter().all(|f| !f.contains('\0')) {
        return None;
    }
    let mut copy = ev.clone();
    if let Cow::Owned(p) = payload {
        // Replacing one valid escape by another keeps the text valid JSON.
        copy.envelope.payload = RawValue::from_string(p).ok()?;
    }
    let c = &mut copy.envelope;
    c.event_type = text(&c.event_type).into_owned();
    c.actor.user_id = text(&c.actor.user_id).into_owned();
    c.actor.role = text(&c.actor.role).into_owned();
    Some(copy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_escapes_are_replaced_and_nothing_else() {
        assert!(matches!(
            json_text(r#"{"a":"b\n\u00e9"}"#),
            Cow::Borrowed(_)
        ));
        assert_eq!(json_text(r#"{"a":"x\u0000y"}"#), r#"{"a":"x\u2400y"}"#);
        // An escaped backslash followed by the letters u0000 is text, not a NUL.
        assert!(matches!(json_text(r#"{"a":"\\u0000"}"#), Cow::Borrowed(_)));
        assert_eq!(
            json_text(r#"["\\\u0000","\u0000\u0000"]"#),
            r#"["\\\u2400","\u2400\u2400"]"#
        );
    }

    #[test]
    fn unpaired_surrogates_are_replaced_and_pairs_kept() {
        assert!(matches!(json_text(r#""\ud83d\ude00""#), Cow::Borrowed(_)));
        assert_eq!(json_text(r#""\ud83dx""#), r#""\ufffdx""#);
        assert_eq!(json_text(r#""\ude00\ud83d""#), r#""\ufffd\ufffd""#);
        assert_eq!(json_text(r#""\uD83D\u0000""#), r#""\ufffd\u2400""#);
    }

    #[test]
    fn truncated_escapes_are_left_alone() {
        assert_eq!(json_text(r#""\u00"#), r#""\u00"#);
        assert_eq!(json_text("\\"), "\\");
    }

    #[test]
    fn plain_text_loses_its_nul() {
        assert_eq!(text("a\0b"), "a\u{2400}b");
        assert!(matches!(text("ab"), Cow::Borrowed(_)));
    }
}
