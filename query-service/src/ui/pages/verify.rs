//! The permit's QR code and its check at the border. The code holds a link to
//! `/ui/{party}/verify?n=<number>&h=<hash of the issuing event>`: the number finds the permit,
//! the hash binds the printed document to the ledger. A code whose hash is not the ledger's
//! issuing event is shown in red, never as the permit. A `CP1` seal pasted or scanned on the
//! find page comes here as `?n=<its number>&s=<the seal>` and counts only if it is, to the
//! character, the seal the ledger recorded for that permit; the permit page then says
//! whether the permit is still valid (cancelled, replaced, lost, used, expired).

use super::permit::issuing_hash;
use super::*;
use maud::PreEscaped;
use qrcode::render::svg;
use qrcode::QrCode;

/// What the permit's QR code says: the verification link, absolute when the page knows its
/// origin (a phone's camera opens it), else the path (the customs page reads both).
pub(super) fn qr_content(
    ui: &Ui,
    origin: &str,
    party: PartyCode,
    number: &str,
    hash: &str,
) -> String {
    let query: String = url_encoded(&[("n", number), ("h", hash)]);
    format!("{origin}{}?{query}", ui.url(&format!("/{party}/verify")))
}

/// `k=v&…` with every byte of each value outside RFC 3986's unreserved set percent-encoded.
pub(super) fn url_encoded(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let v: String = v
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("{k}={v}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// `http://host` of the request, from its `Host` header (and `X-Forwarded-Proto` behind a
/// TLS proxy); empty when absent.
pub(super) fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        });
    let scheme = match headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
    {
        Some("https") => "https",
        _ => "http",
    };
    host.map(|h| format!("{scheme}://{h}")).unwrap_or_default()
}

/// The QR code as inline SVG (our own markup: the content is encoded as modules, never as
/// text), at least `side` pixels, or nothing if the content cannot be encoded.
fn qr_svg_at(content: &str, level: qrcode::EcLevel, side: u32) -> Option<String> {
    let code = QrCode::with_error_correction_level(content.as_bytes(), level).ok()?;
    let svg = code
        .render::<svg::Color<'_>>()
        .min_dimensions(side, side)
        .quiet_zone(true)
        .build();
    svg.find("<svg").map(|i| svg[i..].to_string())
}

fn qr_svg(content: &str) -> Option<String> {
    qr_svg_at(content, qrcode::EcLevel::M, 220)
}

/// The issued permit's QR code with its content written out beneath it.
pub(super) fn qr_section(
    ui: &Ui,
    ctx: &Ctx,
    tt: &TraderText,
    origin: &str,
    number: &str,
    hash: &str,
) -> Markup {
    let content = qr_content(ui, origin, ctx.party, number, hash);
    html! {
        section.qr aria-labelledby="qr-title" {
            h2 #qr-title { (tt.qr_code) }
            figure {
                @if let Some(svg) = qr_svg(&content) {
                    div.qr-image role="img" aria-label=(tt.qr_code) { (PreEscaped(svg)) }
                }
                figcaption {
                    p.hint { (tt.qr_hint) }
                    code #qr-content { (content) }
                }
            }
        }
    }
}

/// The permit's `CP1` seal as a QR code (alphanumeric mode: the seal is in its character
/// set), with its text beneath.
pub(super) fn seal_section(tt: &TraderText, seal: &str) -> Markup {
    let svg = qr_svg_at(seal, qrcode::EcLevel::M, 260);
    html! {
        section.qr #seal aria-labelledby="seal-title" {
            h2 #seal-title { (tt.seal_title) }
            figure {
                @if let Some(svg) = svg {
                    div.qr-image role="img" aria-label=(tt.seal_title) { (PreEscaped(svg)) }
                }
                figcaption {
                    p.hint { (tt.seal_hint) }
                    code #seal-content { (seal) }
                }
            }
        }
    }
}

/// Whether the QR code just checked matches the ledger (said in words and colour).
pub(super) fn qr_result(tt: &TraderText, matches: bool) -> Markup {
    html! {
        @if matches {
            p #qr-result.banner.good role="status" data-match="true" { "✓ " (tt.qr_matches) }
        } @else {
            p #qr-result.banner.bad role="alert" data-match="false" { "✗ " (tt.qr_mismatch) }
        }
    }
}

/// The number and hash of a QR code's content (a verification link, with or without origin).
pub(super) fn parse_qr(text: &str) -> Option<(String, String)> {
    let (_, query) = text.trim().split_once('?')?;
    let mut number = None;
    let mut hash = None;
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = percent_decoded(v)?;
        // Typed on a phone whose keyboard capitalises, the keys may come in upper case.
        match k.to_ascii_lowercase().as_str() {
            "n" => number = Some(v),
            "h" => hash = Some(v),
            _ => {}
        }
    }
    Some((number.filter(|n| !n.is_empty())?, hash.unwrap_or_default()))
}

fn percent_decoded(v: &str) -> Option<String> {
    let bytes = v.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = v.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// `GET /ui/{party}/verify?n=&h=`: the permit when the hash is its issuing event's, else a red
/// "does not match the ledger" (and no permit).
pub(in crate::ui) async fn verify(
    State(ui): State<Arc<Ui>>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Params,
    headers: HeaderMap,
) -> Response {
    let lang = lang(&headers);
    let (t, tt) = (text(lang), trader_text(lang));
    let number = param(&q, "n").unwrap_or("").trim().to_string();
    let hash = param(&q, "h").unwrap_or("").trim().to_ascii_lowercase();
    // A seal (`s`) is held against the seal the ledger recorded for that permit, to the byte:
    // its signature was checked when it was made, and the recorded one is in the signed log.
    let seal = param(&q, "s").map(str::trim);
    let checked = async {
        let p = json_of(
            permits::lookup(
                State(ui.query.clone()),
                Extension(ctx.clone()),
                Query(vec![("number".into(), number.clone())]),
            )
            .await,
        )
        .await?;
        let id = txt(&p["permit_id"]);
        let events = timeline_events(&ui, &ctx, &id).await?;
        // The ledger's seal, when a seal is to be held against it.
        let recorded = match seal {
            Some(_) => super::permit_json(&ui, &ctx, &id).await?["state"]["seal"]
                .as_str()
                .map(str::to_string),
            None => None,
        };
        Ok::<_, ApiError>((id, issuing_hash(&events), recorded))
    }
    .await;
    let body = match checked {
        Ok((id, Some(issued), Some(recorded))) if seal == Some(recorded.as_str()) => {
            let to = format!("/{}/permits/{id}?qr={issued}", ctx.party);
            return Redirect::to(&ui.url(&to)).into_response();
        }
        Ok((id, Some(issued), _)) if seal.is_none() && !hash.is_empty() && issued == hash => {
            // `issued` is the ledger's own hex hash: safe in a URL as it is.
            let to = format!("/{}/permits/{id}?qr={issued}", ctx.party);
            return Redirect::to(&ui.url(&to)).into_response();
        }
        Ok(_) => html! {
            (qr_result(tt, false))
            div #status-banner.banner.big.bad role="status" data-status="mismatch" { (t.banner_not_valid) }
            dl.facts {
                dt { (t.permit_number) } dd #qr-number { (number) }
                dt { (t.hash) } dd { code { (hash) } }
            }
            p { (tt.qr_mismatch_hint) }
        },
        Err(ApiError::NotFound(_) | ApiError::BadParameter { .. }) => html! {
            p.banner.bad role="alert" #not-found { (t.permit_not_found) }
        },
        Err(e) => return done(&ui, &ctx, lang, Err(e)),
    };
    let body = html! { (body) (super::home::find_form(&ui, &ctx, t, tt, "")) };
    done(&ui, &ctx, lang, Ok((tt.verify_title.into(), body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_content_reads_back() {
        let text = "http://h:1/query/ui/LK/verify?n=LK%2F2026%2F000001&h=ab12";
        assert_eq!(
            parse_qr(text),
            Some(("LK/2026/000001".into(), "ab12".into()))
        );
        assert_eq!(parse_qr("LK/2026/000001"), None);
        assert_eq!(
            parse_qr("HTTP://H/QUERY/UI/LK/VERIFY?N=LK%2F2026%2F000001&H=AB12"),
            Some(("LK/2026/000001".into(), "AB12".into()))
        );
        assert_eq!(parse_qr("x?h=ab"), None);
        assert!(
            qr_svg("http://h/query/ui/LK/verify?n=1&h=2").is_some_and(|s| s.starts_with("<svg"))
        );
    }
}
