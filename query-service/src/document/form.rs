//! Boxes 1–15 drawn on A4 with krilla: a fixed grid, text wrapped inside each box (shrunk,
//! then cut with "…", never overflowing), the lines in blocks A–D, and the seal's QR code.

use super::words::{DocumentLang, Words};
use ecites_events::cites::DocumentType;
use ecites_projector::read_models::permit_view::{status, PermitView};
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Transform};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla::Document;

const REGULAR: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../../fonts/DejaVuSans-Bold.ttf");
const W: f32 = 595.28;
const H: f32 = 841.89;
const M: f32 = 28.0;
/// Specimen lines per page (blocks A–D of the form).
const BLOCKS: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("the embedded font does not load")]
    Font,
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
}

/// What the document shows beyond the permit's own view.
pub struct PermitDocument<'a> {
    pub view: &'a PermitView,
    /// The applicant organisation's registered name (box 4).
    pub exporter: &'a str,
    /// The country names of the codes on the permit, in the document's language.
    pub country: &'a dyn Fn(&str) -> String,
    /// The issuing signatory's specimen signature and the Authority's specimen stamp in force
    /// when the permit was issued (PNG), printed in box 13.
    pub signature: Option<&'a [u8]>,
    pub stamp: Option<&'a [u8]>,
}

struct Fonts {
    regular: Font,
    bold: Font,
}

/// A rectangle of the grid, top-left origin, y down.
#[derive(Clone, Copy)]
struct BoxAt {
    x: f32,
    y: f32,
    w: f32,
    h: f32,
}

impl BoxAt {
    fn new(x: f32, y: f32, w: f32, h: f32) -> Self {
        Self { x, y, w, h }
    }
}

/// The permit's PDF in `lang`.
pub fn permit_pdf(d: &PermitDocument<'_>, lang: DocumentLang) -> Result<Vec<u8>, DocumentError> {
    let fonts = Fonts {
        regular: Font::new(REGULAR.into(), 0).ok_or(DocumentError::Font)?,
        bold: Font::new(BOLD.into(), 0).ok_or(DocumentError::Font)?,
    };
    let words = lang.words();
    let mut document = Document::new();
    let number = d.view.permit_number.clone().unwrap_or_default();
    document.set_metadata(
        Metadata::new()
            .title(format!("{} {number}", words.number))
            .language(lang.tag().into()),
    );
    let lines = d.view.content.as_ref().map_or(0, |c| c.lines.len());
    let pages = lines.div_ceil(BLOCKS).max(1);
    for page_no in 0..pages {
        let settings = PageSettings::from_wh(W, H).ok_or(DocumentError::Font)?;
        let mut page = document.start_page_with(settings);
        let mut s = page.surface();
        draw_page(&mut s, &fonts, words, d, page_no, pages);
        s.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| DocumentError::Pdf(format!("{e:?}")))
}

fn black_fill(s: &mut Surface<'_>) {
    s.set_fill(Some(Fill {
        paint: rgb::Color::black().into(),
        ..Fill::default()
    }));
}

fn frame(s: &mut Surface<'_>, b: BoxAt) {
    let Some(rect) = Rect::from_xywh(b.x, b.y, b.w, b.h) else {
        return;
    };
    let mut pb = PathBuilder::new();
    pb.push_rect(rect);
    if let Some(path) = pb.finish() {
        s.set_fill(None);
        s.set_stroke(Some(Stroke {
            width: 0.6,
            ..Stroke::default()
        }));
        s.draw_path(&path);
        s.set_stroke(None);
    }
    black_fill(s);
}

/// Lines of `text` that fit `width` at `size` (DejaVu Sans averages under 0.56 em a glyph).
fn wrap(text: &str, width: f32, size: f32) -> Vec<String> {
    let per_line = ((width / (size * 0.56)) as usize).max(4);
    let mut out: Vec<String> = vec![];
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let mut word = word.to_string();
            while word.chars().count() > per_line {
                let head: String = word.chars().take(per_line).collect();
                word = word.chars().skip(per_line).collect();
                if !line.is_empty() {
                    out.push(std::mem::take(&mut line));
                }
                out.push(head);
            }
            let fits = line.chars().count() + 1 + word.chars().count() <= per_line;
            if line.is_empty() {
                line = word;
            } else if fits {
                line.push(' ');
                line.push_str(&word);
            } else {
                out.push(std::mem::replace(&mut line, word));
            }
        }
        out.push(line);
    }
    out
}

/// A box: its heading, then `value` wrapped inside it (9 pt, else 7 pt, else cut with "…").
fn field(s: &mut Surface<'_>, f: &Fonts, b: BoxAt, heading: &str, value: &str) {
    frame(s, b);
    let inner = b.w - 6.0;
    let mut y = b.y + 8.0;
    for line in wrap(heading, inner, 5.8) {
        s.draw_text(
            Point::from_xy(b.x + 3.0, y),
            f.regular.clone(),
            5.8,
            &line,
            false,
            TextDirection::Auto,
        );
        y += 6.6;
    }
    let room = b.y + b.h - y - 2.0;
    for size in [9.0_f32, 7.0] {
        let lines = wrap(value, inner, size);
        let lead = size * 1.2;
        let fits = (lines.len() as f32) * lead <= room;
        if fits || size < 8.0 {
            let max = ((room / lead) as usize).max(1);
            let mut y = y + size;
            for (i, line) in lines.iter().enumerate().take(max) {
                let cut = i + 1 == max && lines.len() > max;
                let text = if cut {
                    format!("{line}…")
                } else {
                    line.clone()
                };
                s.draw_text(
                    Point::from_xy(b.x + 3.0, y),
                    f.bold.clone(),
                    size,
                    &text,
                    false,
                    TextDirection::Auto,
                );
                y += lead;
            }
            return;
        }
    }
}

fn kind_index(t: DocumentType) -> usize {
    match t {
        DocumentType::ExportPermit => 0,
        DocumentType::ReExportCertificate => 1,
        DocumentType::ImportPermit => 2,
        _ => 3,
    }
}

fn draw_page(
    s: &mut Surface<'_>,
    f: &Fonts,
    w: &Words,
    d: &PermitDocument<'_>,
    page_no: usize,
    pages: usize,
) {
    black_fill(s);
    let v = d.view;
    let content = v.content.as_ref();
    let number = v.permit_number.clone().unwrap_or_default();
    let right = W - M;
    let full = right - M;
    // Top: the Convention, the kind of document and box 1.
    for (i, line) in wrap(w.convention, full, 8.0).iter().enumerate() {
        s.draw_text(
            Point::from_xy(M, M + 8.0 + i as f32 * 10.0),
            f.bold.clone(),
            8.0,
            line,
            false,
            TextDirection::Auto,
        );
    }
    let kind = content.map_or(3, |c| kind_index(c.document_type));
    let kinds: Vec<String> = w
        .kinds
        .iter()
        .enumerate()
        .map(|(i, k)| format!("{} {k}", if i == kind { "☒" } else { "☐" }))
        .collect();
    s.draw_text(
        Point::from_xy(M, M + 34.0),
        f.regular.clone(),
        8.5,
        &kinds.join("    "),
        false,
        TextDirection::Auto,
    );
    let top = M + 42.0;
    let half = full / 2.0;
    field(
        s,
        f,
        BoxAt::new(M, top, half, 30.0),
        &format!("1. {}", w.number),
        &format!("{number}    {} · {}/{pages}", w.original, page_no + 1),
    );
    let valid = v.valid_until.map(|d| d.to_string()).unwrap_or_default();
    field(s, f, BoxAt::new(M + half, top, half, 30.0), w.b2, &valid);
    // Importer, exporter.
    let y = top + 30.0;
    let import = content
        .map(|c| c.importing_country.to_string())
        .unwrap_or_default();
    let export = content
        .map(|c| c.exporting_country.to_string())
        .unwrap_or_default();
    field(
        s,
        f,
        BoxAt::new(M, y, half, 46.0),
        w.b3,
        &(d.country)(&import),
    );
    field(
        s,
        f,
        BoxAt::new(M, y + 46.0, half, 20.0),
        w.b3a,
        &format!("{import} · {}", (d.country)(&import)),
    );
    field(
        s,
        f,
        BoxAt::new(M + half, y, half, 66.0),
        w.b4,
        &format!("{}\n{}", d.exporter, (d.country)(&export)),
    );
    // Conditions, purpose, stamp, Management Authority.
    let y = y + 66.0;
    let mut conditions = v.conditions.join("; ");
    if let Some(replaced) = &v.replaces {
        conditions = format!("{} {replaced}. {conditions}", w.replaces);
    }
    field(s, f, BoxAt::new(M, y, half, 40.0), w.b5, &conditions);
    let purposes: Vec<&str> = content
        .map(|c| c.lines.iter().map(|l| l.purpose.code()).collect())
        .unwrap_or_default();
    let mut purpose = purposes.first().copied().unwrap_or_default().to_string();
    if purposes.iter().any(|p| *p != purpose) {
        purpose = purposes.join(", ");
    }
    field(
        s,
        f,
        BoxAt::new(M, y + 40.0, half / 2.0, 22.0),
        w.b5a,
        &purpose,
    );
    let stamp = v.security_stamp.map(|n| n.to_string()).unwrap_or_default();
    field(
        s,
        f,
        BoxAt::new(M + half / 2.0, y + 40.0, half / 2.0, 22.0),
        w.b5b,
        &stamp,
    );
    let party = content
        .map(|c| c.issuing_party.to_string())
        .unwrap_or_else(|| v.party.clone());
    let ma = format!(
        "{} {}\n{party}",
        w.management_authority,
        (d.country)(&party)
    );
    field(s, f, BoxAt::new(M + half, y, half, 62.0), w.b6, &ma);
    // Blocks A–D.
    let mut y = y + 62.0;
    let lines = content.map(|c| c.lines.as_slice()).unwrap_or_default();
    let this_page = lines.iter().skip(page_no * BLOCKS).take(BLOCKS);
    for (i, line) in this_page.enumerate() {
        let block = ["A", "B", "C", "D"][i];
        s.draw_text(
            Point::from_xy(M - 12.0, y + 12.0),
            f.bold.clone(),
            10.0,
            block,
            false,
            TextDirection::Auto,
        );
        let widths = [0.30, 0.26, 0.12, 0.16, 0.16];
        let mut x = M;
        let appendix = line
            .listing
            .as_ref()
            .map(|l| l.appendix.to_string())
            .unwrap_or_default();
        let quantity = format!(
            "{} {}",
            line.quantity,
            line.unit.clone().unwrap_or_default()
        );
        let used = v
            .quota_use
            .iter()
            .find(|q| q.line_no == line.line_no)
            .map(|q| format!("{} / {}", q.used_including_this, q.annual_quota))
            .unwrap_or_default();
        let description = [
            Some(line.term.clone()),
            line.description.clone(),
            line.marks.clone(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ");
        let cells = [
            (w.b78, line.scientific_name.clone()),
            (w.b9, description),
            (w.b10, format!("{appendix} · {}", line.source.code())),
            (w.b11, quantity),
            (w.b11a, used),
        ];
        for ((heading, value), share) in cells.iter().zip(widths) {
            field(s, f, BoxAt::new(x, y, full * share, 36.0), heading, value);
            x += full * share;
        }
        let reference = |r: &Option<ecites_events::payloads::permit::DocumentReference>| {
            r.as_ref()
                .map(|r| {
                    let date = r.date.map(|d| d.to_string()).unwrap_or_default();
                    format!("{} · {} · {date}", r.country, r.number)
                })
                .unwrap_or_default()
        };
        let third = full / 3.0;
        let operation = line
            .registered_operation
            .clone()
            .or_else(|| line.acquisition_date.map(|d| d.to_string()))
            .unwrap_or_default();
        field(
            s,
            f,
            BoxAt::new(M, y + 36.0, third, 22.0),
            w.b12,
            &reference(&line.origin),
        );
        field(
            s,
            f,
            BoxAt::new(M + third, y + 36.0, third, 22.0),
            w.b12a,
            &reference(&line.last_reexport),
        );
        field(
            s,
            f,
            BoxAt::new(M + 2.0 * third, y + 36.0, third, 22.0),
            w.b12b,
            &operation,
        );
        y += 62.0;
    }
    if lines.len() > (page_no + 1) * BLOCKS {
        s.draw_text(
            Point::from_xy(M, y + 8.0),
            f.regular.clone(),
            7.0,
            w.more_lines,
            false,
            TextDirection::Auto,
        );
    }
    // Issuance, endorsement, transport document; the seal.
    let y = y.max(H - M - 250.0) + 12.0;
    let issued = v.issued_on.map(|d| d.to_string()).unwrap_or_default();
    field(
        s,
        f,
        BoxAt::new(M, y, half, 34.0),
        w.b13,
        &format!("{} · {issued}", (d.country)(&party)),
    );
    field(
        s,
        f,
        BoxAt::new(M, y + 34.0, half, 46.0),
        w.b13_seal,
        &format!("{} {stamp}", w.b5b),
    );
    // The specimens sit at the right of box 13's two rows, clear of their text.
    if let Some(png) = d.signature {
        specimen(
            s,
            png,
            BoxAt::new(M + half * 0.55, y + 3.0, half * 0.43, 29.0),
        );
    }
    if let Some(png) = d.stamp {
        specimen(
            s,
            png,
            BoxAt::new(M + half * 0.62, y + 36.0, half * 0.36, 42.0),
        );
    }
    let endorsement = if v.endorsed.is_empty() {
        String::new()
    } else {
        let blocks: Vec<String> = v
            .endorsed
            .iter()
            .map(|(line_no, q)| format!("{} {line_no}: {q}", w.block))
            .collect();
        let date = v.endorsed_on.map(|d| d.to_string()).unwrap_or_default();
        format!(
            "{} · {} · {date}",
            blocks.join("; "),
            v.port.clone().unwrap_or_default()
        )
    };
    field(
        s,
        f,
        BoxAt::new(M, y + 80.0, half, 46.0),
        w.b14,
        &endorsement,
    );
    field(s, f, BoxAt::new(M, y + 126.0, half, 24.0), w.b15, "");
    if let Some(seal) = &v.seal {
        draw_seal(
            s,
            f,
            w,
            seal,
            BoxAt::new(M + half + 10.0, y, half - 10.0, 150.0),
        );
    }
    watermark(s, f, w, v);
}

/// A specimen image scaled to fit `b`, keeping its proportions. An image that does not
/// decode is left out rather than failing the permit's document.
fn specimen(s: &mut Surface<'_>, png: &[u8], b: BoxAt) {
    let Ok(image) = krilla::image::Image::from_png(png.to_vec().into(), true) else {
        return;
    };
    let (iw, ih) = image.size();
    if iw == 0 || ih == 0 {
        return;
    }
    let scale = (b.w / iw as f32).min(b.h / ih as f32);
    let (w, h) = (iw as f32 * scale, ih as f32 * scale);
    let Some(size) = krilla::geom::Size::from_wh(w, h) else {
        return;
    };
    s.push_transform(&Transform::from_translate(
        b.x + b.w - w,
        b.y + (b.h - h) / 2.0,
    ));
    s.draw_image(image, size);
    s.pop();
}

/// The seal as vector squares (no raster image), its caption under it.
fn draw_seal(s: &mut Surface<'_>, f: &Fonts, w: &Words, seal: &str, b: BoxAt) {
    let Ok(code) = qrcode::QrCode::with_error_correction_level(seal.as_bytes(), qrcode::EcLevel::M)
    else {
        return;
    };
    let n = code.width();
    let colors = code.to_colors();
    // At least 35 mm across with a quiet zone of four modules.
    let side = (b.h - 20.0).min(b.w).max(100.0);
    let module = side / (n as f32 + 8.0);
    let x0 = b.x + (b.w - side) / 2.0 + 4.0 * module;
    let y0 = b.y + 4.0 * module;
    let mut pb = PathBuilder::new();
    for (i, c) in colors.iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (col, row) = ((i % n) as f32, (i / n) as f32);
            if let Some(r) = Rect::from_xywh(x0 + col * module, y0 + row * module, module, module) {
                pb.push_rect(r);
            }
        }
    }
    if let Some(path) = pb.finish() {
        black_fill(s);
        s.draw_path(&path);
    }
    let caption_y = b.y + side + 6.0;
    for (i, line) in wrap(w.seal_caption, b.w, 6.0).iter().enumerate() {
        s.draw_text(
            Point::from_xy(b.x, caption_y + i as f32 * 7.0),
            f.regular.clone(),
            6.0,
            line,
            false,
            TextDirection::Auto,
        );
    }
}

/// Across the page when the permit is not, or no longer, a valid document.
fn watermark(s: &mut Surface<'_>, f: &Fonts, w: &Words, v: &PermitView) {
    let word = match v.status.as_str() {
        status::CANCELLED => w.cancelled,
        status::REPLACED => w.replaced,
        status::LOST => w.lost,
        status::ISSUED | status::USED | status::EXPIRED => return,
        _ => w.not_issued,
    };
    s.push_transform(&Transform::from_rotate_at(-35.0, W / 2.0, H / 2.0));
    s.set_fill(Some(Fill {
        paint: rgb::Color::new(200, 30, 30).into(),
        opacity: krilla::num::NormalizedF32::new(0.35).unwrap_or(krilla::num::NormalizedF32::ONE),
        ..Fill::default()
    }));
    let size = 64.0;
    let width = word.chars().count() as f32 * size * 0.62;
    s.draw_text(
        Point::from_xy(W / 2.0 - width / 2.0, H / 2.0),
        f.bold.clone(),
        size,
        word,
        false,
        TextDirection::Auto,
    );
    s.pop();
    black_fill(s);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_never_gives_a_line_longer_than_the_box() {
        for text in ["", "short", &"Word ".repeat(80), &"x".repeat(300)] {
            for line in wrap(text, 100.0, 9.0) {
                assert!(
                    line.chars().count() <= (100.0 / (9.0 * 0.56)) as usize,
                    "{line}"
                );
            }
        }
    }
}
