//! A small element tree of a foreign document, built under hard limits by quick-xml's pull
//! parser. The tree keeps local names only: the permit is read by its element names, which
//! v1, v2 and the SOAP wrapping all share, whatever prefixes a sender chose.

use super::read::{EPermitError, Limits};
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

#[derive(Debug, Default)]
pub(super) struct Element {
    /// Without its prefix.
    pub name: String,
    /// Local names and values, entities resolved.
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    /// All the character data directly inside, entities resolved, line ends normalised.
    pub text: String,
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first element named `name`, this one or below, depth first.
    pub fn find(&self, names: &[&str]) -> Option<&Element> {
        if names.contains(&self.name.as_str()) {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(names))
    }
}

fn local(qname: &str) -> String {
    qname.rsplit(':').next().unwrap_or(qname).to_string()
}

/// XML 1.0's `Char` production: a control character (other than tab and line ends) or a
/// non-character in a document is an error of the sender, not text to carry into a box.
fn allowed_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        || c >= '\u{10000}'
}

fn checked_text(text: &str, position: u64) -> Result<&str, EPermitError> {
    match text.chars().find(|&c| !allowed_char(c)) {
        Some(c) => Err(EPermitError::Malformed {
            position,
            message: format!("character U+{:04X} is not allowed in XML", u32::from(c)),
        }),
        None => Ok(text),
    }
}

fn malformed(position: u64, e: impl std::fmt::Display) -> EPermitError {
    EPermitError::Malformed {
        position,
        message: e.to_string(),
    }
}

fn attribute(a: &Attribute<'_>, position: u64) -> Result<(String, String), EPermitError> {
    let value = a
        .normalized_value_with(XmlVersion::Implicit1_0, 1, resolve_predefined_entity)
        .map_err(|e| match e {
            quick_xml::Error::Escape(quick_xml::escape::EscapeError::UnrecognizedEntity(
                _,
                name,
            )) => EPermitError::Entity(name),
            other => malformed(position, other),
        })?;
    checked_text(&value, position)?;
    Ok((local(a.key.as_ref()), value.into_owned()))
}

fn element(
    start: &BytesStart<'_>,
    position: u64,
    count: &mut usize,
    depth: usize,
    limits: &Limits,
) -> Result<Element, EPermitError> {
    if depth > limits.max_depth {
        return Err(EPermitError::TooDeep(limits.max_depth));
    }
    *count += 1;
    if *count > limits.max_elements {
        return Err(EPermitError::TooManyElements(limits.max_elements));
    }
    let mut attrs = Vec::new();
    for a in start.attributes() {
        let a = a.map_err(|e| malformed(position, e))?;
        attrs.push(attribute(&a, position)?);
    }
    Ok(Element {
        name: local(start.name().as_ref()),
        attrs,
        ..Element::default()
    })
}

/// The document's root element, or why there is none.
pub(super) fn parse(input: &[u8], limits: &Limits) -> Result<Element, EPermitError> {
    if input.len() > limits.max_bytes {
        return Err(EPermitError::TooLarge {
            size: input.len(),
            limit: limits.max_bytes,
        });
    }
    let text = std::str::from_utf8(input).map_err(|e| EPermitError::NotUtf8 {
        position: e.valid_up_to() as u64,
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;

    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;
    loop {
        let position = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| malformed(reader.error_position(), e))?;
        match event {
            Event::DocType(_) => return Err(EPermitError::Doctype),
            Event::Decl(decl) => {
                if let Some(Ok(encoding)) = decl.encoding() {
                    let encoding = encoding.to_ascii_lowercase();
                    if !matches!(encoding.as_str(), "utf-8" | "utf8" | "us-ascii" | "ascii") {
                        return Err(EPermitError::Encoding(encoding));
                    }
                }
            }
            Event::Start(start) => {
                if root.is_some() && stack.is_empty() {
                    return Err(malformed(position, "a second root element"));
                }
                let el = element(&start, position, &mut count, stack.len() + 1, limits)?;
                stack.push(el);
            }
            Event::Empty(start) => {
                if root.is_some() && stack.is_empty() {
                    return Err(malformed(position, "a second root element"));
                }
                let el = element(&start, position, &mut count, stack.len() + 1, limits)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let Some(done) = stack.pop() else {
                    return Err(malformed(position, "an end tag without its start"));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            Event::Text(t) => {
                let content = t.xml10_content();
                let content = checked_text(&content, position)?;
                match stack.last_mut() {
                    Some(el) => el.text.push_str(content),
                    None if content.trim().is_empty() => {}
                    None => return Err(malformed(position, "text outside the root element")),
                }
            }
            Event::CData(c) => {
                let content = c.xml10_content();
                let content = checked_text(&content, position)?;
                match stack.last_mut() {
                    Some(el) => el.text.push_str(content),
                    None => return Err(malformed(position, "CDATA outside the root element")),
                }
            }
            Event::GeneralRef(r) => {
                let Some(el) = stack.last_mut() else {
                    return Err(malformed(position, "a reference outside the root element"));
                };
                if r.is_char_ref() {
                    let c = r.resolve_char_ref().map_err(|e| malformed(position, e))?;
                    match c {
                        Some(c) if allowed_char(c) => el.text.push(c),
                        _ => return Err(malformed(position, "a character reference XML forbids")),
                    }
                } else {
                    let name: &str = r.as_ref();
                    match resolve_predefined_entity(name) {
                        Some(s) => el.text.push_str(s),
                        None => return Err(EPermitError::Entity(name.to_string())),
                    }
                }
            }
            Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => {
                if let Some(open) = stack.last() {
                    return Err(EPermitError::Truncated(open.name.clone()));
                }
                return root.ok_or(EPermitError::NoPermit);
            }
        }
    }
}
