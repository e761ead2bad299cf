//! Every query parameter, checked once before any handler reads it (issue #13): each name and
//! value must be UTF-8 text without control characters (C0 but tab, line feed and carriage
//! return; DEL; C1) and at most [`MAX_PARAM_CHARS`] characters. A NUL reaching PostgreSQL
//! fails the query, which answered 500 for what is the caller's mistake; checking here, rather
//! than in each handler, covers the parameters a handler ignores and those added later.

use crate::problem::ApiError;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The longest parameter value (and name) accepted, in characters: more than any filter,
/// list of codes or position token needs.
/// Long enough for a permit seal pasted on the customs page (`CP1:…`, about 380–700
/// characters), bounded all the same.
pub const MAX_PARAM_CHARS: usize = 1000;

/// The first bad parameter of a raw query string, named.
pub fn check(raw: Option<&str>) -> Result<(), ApiError> {
    let Some(raw) = raw else { return Ok(()) };
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name_bytes = decode(name);
        let shown = printable(&String::from_utf8_lossy(&name_bytes));
        let name = text(&shown, &name_bytes)?;
        if name.chars().count() > MAX_PARAM_CHARS {
            return Err(ApiError::bad(
                shown.chars().take(40).collect::<String>(),
                format!("a parameter name has at most {MAX_PARAM_CHARS} characters"),
            ));
        }
        let value_bytes = decode(value);
        let value = text(&shown, &value_bytes)?;
        if value.chars().count() > MAX_PARAM_CHARS {
            return Err(ApiError::bad(
                shown,
                format!("at most {MAX_PARAM_CHARS} characters"),
            ));
        }
    }
    Ok(())
}

/// Refuses a request whose query fails [`check`] with a problem naming the parameter.
pub async fn guard(req: Request, next: Next) -> Response {
    match check(req.uri().query()) {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

/// The bytes as text, or the refusal naming `param`.
fn text<'a>(param: &str, bytes: &'a [u8]) -> Result<&'a str, ApiError> {
    let s = std::str::from_utf8(bytes)
        .map_err(|_| ApiError::bad(param, "not UTF-8 text (check its percent-encoding)"))?;
    match s.chars().find(|c| forbidden(*c)) {
        Some(c) => Err(ApiError::bad(
            param,
            format!("holds the control character U+{:04X}", c as u32),
        )),
        None => Ok(s),
    }
}

/// C0 but tab, line feed and carriage return; DEL; C1.
pub fn forbidden(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// A name fit to be shown back: control characters escaped (`\u{0}`), so the answer never
/// carries them.
fn printable(name: &str) -> String {
    name.chars()
        .flat_map(|c| {
            if forbidden(c) {
                c.escape_unicode().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte; a `%` not
/// followed by two hex digits stands for itself (as browsers and axum's own parser read it).
fn decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => match (b.get(i + 1).and_then(hex), b.get(i + 2).and_then(hex)) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            other => out.push(other),
        }
        i += 1;
    }
    out
}

fn hex(b: &u8) -> Option<u8> {
    (*b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param_of(raw: &str) -> Option<String> {
        match check(Some(raw)) {
            Ok(()) => None,
            Err(ApiError::BadParameter { param, .. }) => Some(param),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn bad_parameters_are_named() {
        assert_eq!(param_of("q=a%00b"), Some("q".into()));
        assert_eq!(param_of("a=1&status=%C2%85"), Some("status".into()));
        assert_eq!(param_of("n=%7F"), Some("n".into()));
        assert_eq!(param_of("n=%FF"), Some("n".into()));
        assert_eq!(param_of("%00=1"), Some("\\u{0}".into()));
        assert_eq!(
            param_of(&format!("q={}", "é".repeat(MAX_PARAM_CHARS + 1))),
            Some("q".into())
        );
    }

    #[test]
    fn text_passes() {
        assert_eq!(param_of("q=Python+regius&x=%09%0A%0D&lang=fr"), None);
        assert_eq!(
            param_of(&format!("q={}", "é".repeat(MAX_PARAM_CHARS))),
            None
        );
        assert_eq!(param_of("q=100%&r=%2"), None);
        assert_eq!(param_of("flag&&=&q="), None);
        assert_eq!(decode("a+b%20c%41%"), b"a b cA%");
    }
}
