//! The command API's JSON bodies, checked once before any handler reads them (issue #17):
//! what is signed into the log must be text every reader can hold, and must say one thing.
//!
//! - A key given twice in one object is refused (DATA-JSON-DUPLICATE-KEY): "last wins" would
//!   sign something other than what a reviewer of the request saw.
//! - Control characters are refused in every string (DATA-TEXT-CONTROL) but for tab, line
//!   feed and carriage return, which multi-line free text (reasons, notes, descriptions)
//!   needs. A NUL in particular cannot be stored by PostgreSQL.
//! - A string longer than [`MAX_TEXT_CHARS`] is refused (DATA-TEXT-LENGTH); fields with
//!   tighter limits check them where they are read.
//! - A value of the wrong type names its JSON path (DATA-JSON-TYPE), e.g. `lines[0].quantity`.

use super::problem::{Problem, Violation};
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::fmt;

/// The longest string any command field holds, in characters.
pub const MAX_TEXT_CHARS: usize = 10_000;

/// A JSON request body that passed the checks above.
pub struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                let essence = v.split(';').next().unwrap_or("").trim();
                essence.eq_ignore_ascii_case("application/json")
                    || essence.to_ascii_lowercase().ends_with("+json")
            });
        if !json {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "The body must be JSON",
                "send the command as JSON with `Content-Type: application/json`",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                Problem::new(
                    e.status(),
                    "malformed-request",
                    "The request body could not be read",
                    e.body_text(),
                )
            })?;
        parse(&bytes).map(JsonBody)
    }
}

/// A refusal of the body at a JSON path (`""` for the body as a whole).
fn malformed(rule: &str, field: &str, detail: String) -> Problem {
    let mut p = Problem::bad_request(if field.is_empty() {
        detail.clone()
    } else {
        format!("{field}: {detail}")
    });
    p.violations.push(Violation {
        rule: rule.into(),
        message: detail,
        field: (!field.is_empty()).then(|| field.to_string()),
    });
    p
}

/// Parses and checks a body.
pub fn parse(bytes: &[u8]) -> Result<Value, Problem> {
    let found = RefCell::new(None);
    let path = RefCell::new(Vec::new());
    let seed = Checked {
        path: &path,
        found: &found,
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = seed.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    match (value, found.into_inner()) {
        (Ok(v), None) => Ok(v),
        (_, Some((rule, field, detail))) => Err(malformed(rule, &field, detail)),
        (Err(e), None) => Err(malformed(
            "DATA-JSON-SYNTAX",
            "",
            format!("not valid JSON: {e}"),
        )),
    }
}

/// The body as `T`, a wrong type or a missing field named by its JSON path.
pub fn typed<T: DeserializeOwned>(value: Value) -> Result<T, Problem> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { String::new() } else { path };
        malformed("DATA-JSON-TYPE", &field, e.into_inner().to_string())
    })
}

/// One step of a JSON path.
#[derive(Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn render(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(k) if out.is_empty() => out.push_str(k),
            Step::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

type Found = Option<(&'static str, String, String)>;

/// Builds a [`Value`] while checking it; the first problem is kept with its path.
#[derive(Clone, Copy)]
struct Checked<'a> {
    path: &'a RefCell<Vec<Step>>,
    found: &'a RefCell<Found>,
}

impl Checked<'_> {
    fn refuse<E: de::Error>(&self, rule: &'static str, detail: String) -> E {
        let field = render(&self.path.borrow());
        let message = format!("{field}: {detail}");
        self.found.borrow_mut().get_or_insert((rule, field, detail));
        E::custom(message)
    }

    fn text<E: de::Error>(&self, s: &str) -> Result<Value, E> {
        if let Some(c) = s
            .chars()
            .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        {
            let what = if c == '\0' {
                "a NUL character (U+0000)".to_string()
            } else {
                format!("the control character U+{:04X}", c as u32)
            };
            return Err(self.refuse(
                "DATA-TEXT-CONTROL",
                format!(
                    "contains {what}; only tab, line feed and carriage return are allowed in text"
                ),
            ));
        }
        let chars = s.chars().count();
        if chars > MAX_TEXT_CHARS {
            return Err(self.refuse(
                "DATA-TEXT-LENGTH",
                format!("is {chars} characters long; at most {MAX_TEXT_CHARS} are accepted"),
            ));
        }
        Ok(Value::String(s.to_string()))
    }
}

impl<'de> DeserializeSeed<'de> for Checked<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Checked<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| self.refuse("DATA-JSON-TYPE", "is not a finite number".into()))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.text(v)
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        self.text(&v)
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = vec![];
        loop {
            self.path.borrow_mut().push(Step::Index(items.len()));
            let item = seq.next_element_seed(self);
            self.path.borrow_mut().pop();
            match item? {
                Some(v) => items.push(v),
                None => return Ok(Value::Array(items)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            self.path.borrow_mut().push(Step::Key(key.clone()));
            let result = if object.contains_key(&key) {
                Err(self.refuse(
                    "DATA-JSON-DUPLICATE-KEY",
                    "is given twice in one object; give each field once".into(),
                ))
            } else {
                self.text(&key).and_then(|_| map.next_value_seed(self))
            };
            self.path.borrow_mut().pop();
            object.insert(key, result?);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(body: &str) -> (String, Option<String>) {
        let p = parse(body.as_bytes()).expect_err("refused");
        let v = p.violations.first().expect("a violation");
        (v.rule.clone(), v.field.clone())
    }

    #[test]
    fn a_clean_body_parses_as_serde_json_would() {
        let body = r#"{"a":[1,-2,3.5,"x\ny\tz",{"b":null,"c":true}],"d":"\u00e9"}"#;
        let expected: Value = serde_json::from_str(body).expect("json");
        assert_eq!(parse(body.as_bytes()).expect("accepted"), expected);
    }

    #[test]
    fn a_nul_anywhere_is_refused_with_its_path() {
        assert_eq!(
            refusal(r#"{"lines":[{"description":"ok"},{"description":"a\u0000b"}]}"#),
            (
                "DATA-TEXT-CONTROL".into(),
                Some("lines[1].description".into())
            )
        );
        assert_eq!(
            refusal(r#"{"reason":"\u001b[31m"}"#),
            ("DATA-TEXT-CONTROL".into(), Some("reason".into()))
        );
        assert_eq!(
            refusal(r#"{"note":"\u0085"}"#),
            ("DATA-TEXT-CONTROL".into(), Some("note".into()))
        );
    }

    #[test]
    fn a_key_given_twice_is_refused() {
        assert_eq!(
            refusal(r#"{"payment":{"amount":1,"amount":1000}}"#),
            (
                "DATA-JSON-DUPLICATE-KEY".into(),
                Some("payment.amount".into())
            )
        );
    }

    #[test]
    fn a_key_with_a_nul_is_refused() {
        assert_eq!(refusal("{\"a\\u0000\":1}").0, "DATA-TEXT-CONTROL");
    }

    #[test]
    fn overlong_text_and_bad_syntax_are_refused() {
        let long = format!(r#"{{"reason":"{}"}}"#, "x".repeat(MAX_TEXT_CHARS + 1));
        assert_eq!(
            refusal(&long),
            ("DATA-TEXT-LENGTH".into(), Some("reason".into()))
        );
        assert_eq!(refusal(r#"{"a":1"#).0, "DATA-JSON-SYNTAX");
        assert_eq!(refusal(r#"{"a":1} x"#).0, "DATA-JSON-SYNTAX");
    }

    #[test]
    fn a_wrong_type_names_its_path() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Line {
            quantity: String,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Body {
            lines: Vec<Line>,
        }
        let v = parse(br#"{"lines":[{"quantity":"1"},{"quantity":2}]}"#).expect("json");
        let p = typed::<Body>(v).expect_err("refused");
        let v = &p.violations[0];
        assert_eq!(v.rule, "DATA-JSON-TYPE");
        assert_eq!(v.field.as_deref(), Some("lines[1].quantity"));
    }
}
