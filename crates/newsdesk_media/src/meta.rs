//! The metadata a newsroom uses, read from a picture's EXIF, IPTC (IIM)
//! and XMP blocks.
//!
//! Where the three disagree, XMP wins over IPTC and IPTC over EXIF (the
//! order photo desks and the IPTC's own guidance use). Every value is
//! cleaned into plain, bounded text: invalid UTF-8 is read as Latin-1,
//! control characters are dropped and runs of white space become one
//! space. Values are never trusted as markup; templates escape them.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use serde::Serialize;

/// Longest value kept, in characters.
pub const MAX_VALUE_CHARS: usize = 2000;

/// What a picture's own metadata says about it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Metadata {
    /// The photographer or maker (EXIF Artist, IPTC By-line, XMP dc:creator).
    pub creator: Option<String>,
    /// The credit line (IPTC Credit, XMP photoshop:Credit).
    pub credit: Option<String>,
    /// The copyright notice (EXIF Copyright, IPTC 2:116, XMP dc:rights).
    pub copyright: Option<String>,
    /// The caption (EXIF ImageDescription, IPTC 2:120, XMP dc:description).
    pub caption: Option<String>,
    /// The headline (IPTC 2:105, XMP photoshop:Headline).
    pub headline: Option<String>,
    /// When it was taken, as written in the file.
    pub date_taken: Option<String>,
    /// IPTC Digital Source Type: a URI of the IPTC vocabulary, or a bare
    /// code such as `trainedAlgorithmicMedia`.
    pub digital_source_type: Option<String>,
}

impl Metadata {
    /// Fills every empty field of `self` from `other`.
    fn or(mut self, other: Metadata) -> Metadata {
        let fill = |a: &mut Option<String>, b: Option<String>| {
            if a.is_none() {
                *a = b;
            }
        };
        fill(&mut self.creator, other.creator);
        fill(&mut self.credit, other.credit);
        fill(&mut self.copyright, other.copyright);
        fill(&mut self.caption, other.caption);
        fill(&mut self.headline, other.headline);
        fill(&mut self.date_taken, other.date_taken);
        fill(&mut self.digital_source_type, other.digital_source_type);
        self
    }

    /// Reads and merges the three blocks (each may be absent).
    pub fn read(exif: Option<&[u8]>, iptc: Option<&[u8]>, xmp: Option<&[u8]>) -> Metadata {
        let x = xmp.map(from_xmp).unwrap_or_default();
        let i = iptc.map(from_iptc).unwrap_or_default();
        let e = exif.map(from_exif).unwrap_or_default();
        x.or(i).or(e)
    }

    /// Whether the digital source type says an algorithm made or composed
    /// the picture.
    pub fn is_synthetic(&self) -> bool {
        self.digital_source_type.as_deref().is_some_and(is_synthetic_source)
    }
}

/// The IPTC Digital Source Type codes that mean "made or composited by an
/// algorithm", as opposed to captured, edited or enhanced.
const SYNTHETIC_CODES: [&str; 5] = [
    "trainedAlgorithmicMedia",
    "compositeSynthetic",
    "algorithmicMedia",
    "compositeWithTrainedAlgorithmicMedia",
    "dataDrivenMedia",
];

/// Whether a Digital Source Type value names algorithmic media.
pub fn is_synthetic_source(value: &str) -> bool {
    let code = newsdesk_core::digital_source_code(value);
    SYNTHETIC_CODES.iter().any(|c| c.eq_ignore_ascii_case(code))
}

/// Plain, bounded text from raw metadata bytes; `None` when nothing is left.
pub fn clean(raw: &[u8]) -> Option<String> {
    let text = match std::str::from_utf8(raw) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        // Old IIM and EXIF text is often Latin-1.
        Err(_) => std::borrow::Cow::Owned(raw.iter().map(|&b| char::from(b)).collect()),
    };
    clean_str(&text)
}

/// Like [`clean`], for text already decoded.
pub fn clean_str(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() || c.is_control() || is_bidi_control(c) {
            // Controls (NUL included) and bidirectional overrides vanish;
            // white space collapses.
            space |= c.is_whitespace();
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.push(c);
        if out.chars().count() >= MAX_VALUE_CHARS {
            break;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Bidirectional embedding, override and isolate characters, which can
/// make text read differently from what it is.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

fn from_exif(raw: &[u8]) -> Metadata {
    let tiff = raw.strip_prefix(b"Exif\0\0").unwrap_or(raw);
    let Ok(exif) = exif::Reader::new().read_raw(tiff.to_vec()) else {
        return Metadata::default();
    };
    let ascii = |tag: exif::Tag| {
        let f = exif.get_field(tag, exif::In::PRIMARY)?;
        match &f.value {
            exif::Value::Ascii(parts) => parts.first().and_then(|p| clean(p)),
            _ => None,
        }
    };
    Metadata {
        creator: ascii(exif::Tag::Artist),
        copyright: ascii(exif::Tag::Copyright),
        caption: ascii(exif::Tag::ImageDescription),
        date_taken: ascii(exif::Tag::DateTimeOriginal),
        ..Metadata::default()
    }
}

/// The IIM records inside an APP13 block: Photoshop image resources
/// (`8BIM`, resource 0x0404), or bare IIM.
fn from_iptc(raw: &[u8]) -> Metadata {
    let mut iim = raw;
    if raw.starts_with(b"8BIM") {
        iim = photoshop_resource(raw, 0x0404).unwrap_or_default();
    }
    let mut m = Metadata::default();
    let mut i = 0;
    while i + 5 <= iim.len() && iim[i] == 0x1C {
        let (record, dataset) = (iim[i + 1], iim[i + 2]);
        let len = usize::from(u16::from_be_bytes([iim[i + 3], iim[i + 4]]));
        if len & 0x8000 != 0 {
            // Extended lengths are for binary data no field here uses.
            break;
        }
        let Some(value) = iim.get(i + 5..i + 5 + len) else { break };
        if record == 2 {
            let slot = match dataset {
                80 => Some(&mut m.creator),
                110 => Some(&mut m.credit),
                116 => Some(&mut m.copyright),
                120 => Some(&mut m.caption),
                105 => Some(&mut m.headline),
                55 => Some(&mut m.date_taken),
                _ => None,
            };
            if let Some(slot) = slot
                && slot.is_none()
            {
                *slot = clean(value);
            }
        }
        i += 5 + len;
    }
    m
}

/// The data of Photoshop image resource `id` in a block of resources.
fn photoshop_resource(mut data: &[u8], id: u16) -> Option<&[u8]> {
    while data.len() >= 12 && data.starts_with(b"8BIM") {
        let rid = u16::from_be_bytes([data[4], data[5]]);
        let name_len = usize::from(data[6]);
        // The Pascal name (length byte included) is padded to an even size.
        let name_total = (1 + name_len + 1) & !1;
        let size_at = 6 + name_total;
        let size_bytes: [u8; 4] = data.get(size_at..size_at + 4)?.try_into().ok()?;
        let size = usize::try_from(u32::from_be_bytes(size_bytes)).ok()?;
        let body = data.get(size_at + 4..size_at + 4 + size)?;
        if rid == id {
            return Some(body);
        }
        let next = size_at + 4 + ((size + 1) & !1);
        data = data.get(next..)?;
    }
    None
}

const NS_DC: &str = "http://purl.org/dc/elements/1.1/";
const NS_PHOTOSHOP: &str = "http://ns.adobe.com/photoshop/1.0/";
const NS_IPTC_EXT: &str = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/";
const NS_RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Creator,
    Credit,
    Copyright,
    Caption,
    Headline,
    DateTaken,
    SourceType,
}

fn xmp_field(ns: &str, local: &str) -> Option<Field> {
    match (ns, local) {
        (NS_DC, "creator") => Some(Field::Creator),
        (NS_DC, "rights") => Some(Field::Copyright),
        (NS_DC, "description") => Some(Field::Caption),
        (NS_PHOTOSHOP, "Credit") => Some(Field::Credit),
        (NS_PHOTOSHOP, "Headline") => Some(Field::Headline),
        (NS_PHOTOSHOP, "DateCreated") => Some(Field::DateTaken),
        (NS_IPTC_EXT, "DigitalSourceType") => Some(Field::SourceType),
        _ => None,
    }
}

fn slot(m: &mut Metadata, f: Field) -> &mut Option<String> {
    match f {
        Field::Creator => &mut m.creator,
        Field::Credit => &mut m.credit,
        Field::Copyright => &mut m.copyright,
        Field::Caption => &mut m.caption,
        Field::Headline => &mut m.headline,
        Field::DateTaken => &mut m.date_taken,
        Field::SourceType => &mut m.digital_source_type,
    }
}

/// Reads the XMP packet. Properties may be attributes of
/// `rdf:Description` or elements, simple or holding an `rdf:Seq`/`rdf:Alt`
/// of `rdf:li` (the values of a list are joined with ", "). A malformed
/// packet yields what was read before the fault.
fn from_xmp(raw: &[u8]) -> Metadata {
    let start = raw.iter().position(|&b| b == b'<').unwrap_or(raw.len());
    let mut reader = quick_xml::NsReader::from_reader(&raw[start..]);
    let mut m = Metadata::default();
    // The property being read, the depth it opened at, and its values.
    let mut open: Option<(Field, usize, Vec<String>)> = None;
    let mut text = String::new();
    let mut depth = 0usize;
    let bound = |r: &ResolveResult<'_>| match r {
        ResolveResult::Bound(ns) => Some(ns.as_ref().to_owned()),
        _ => None,
    };
    while let Ok((ns, event)) = reader.read_resolved_event() {
        let ns = bound(&ns);
        let empty = matches!(event, Event::Empty(_));
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let local = e.local_name();
                let field = ns.as_deref().and_then(|ns| xmp_field(ns, local.as_ref()));
                for attr in e.attributes().flatten() {
                    let (ans, local) = reader.resolver().resolve_attribute(attr.key);
                    let Some(ans) = bound(&ans) else { continue };
                    if let Some(f) = xmp_field(&ans, local.as_ref())
                        && slot(&mut m, f).is_none()
                        && let Ok(v) = attr.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    {
                        *slot(&mut m, f) = clean_str(&v);
                    }
                    // `<prop rdf:resource="…"/>`: a URI value.
                    if ans == NS_RDF
                        && local.as_ref() == "resource"
                        && let Some(f) = field
                        && slot(&mut m, f).is_none()
                        && let Ok(v) = attr.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    {
                        *slot(&mut m, f) = clean_str(&v);
                    }
                }
                text.clear();
                if empty {
                    continue;
                }
                depth += 1;
                if open.is_none()
                    && let Some(f) = field
                {
                    open = Some((f, depth, Vec::new()));
                }
            }
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::CData(t) => text.push_str(&t),
            Event::GeneralRef(r) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    text.push(c);
                } else {
                    text.push_str(match &*r {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        _ => "",
                    });
                }
            }
            Event::End(_) => {
                if let Some((f, d, vals)) = open.as_mut() {
                    if let Some(v) = clean_str(&text) {
                        vals.push(v);
                    }
                    if *d == depth {
                        let (f, vals) = (*f, std::mem::take(vals));
                        if slot(&mut m, f).is_none() && !vals.is_empty() {
                            *slot(&mut m, f) = clean_str(&vals.join(", "));
                        }
                        open = None;
                    }
                }
                text.clear();
                depth = depth.saturating_sub(1);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    const XMP: &str = r#"<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
  xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
  photoshop:Credit="Pool via Agency &amp; Co"
  photoshop:DateCreated="2026-11-02T09:15:00">
 <dc:creator><rdf:Seq><rdf:li>Ana Ruiz</rdf:li><rdf:li>Bo Lin</rdf:li></rdf:Seq></dc:creator>
 <dc:rights><rdf:Alt><rdf:li xml:lang="x-default">© 2026 Agency</rdf:li></rdf:Alt></dc:rights>
 <dc:description><rdf:Alt><rdf:li xml:lang="x-default">Rescuers search
   the rubble.</rdf:li></rdf:Alt></dc:description>
 <photoshop:Headline>Quake</photoshop:Headline>
 <Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia</Iptc4xmpExt:DigitalSourceType>
</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>"#;

    #[test]
    fn xmp_fields_are_read_from_attributes_and_lists() {
        let m = from_xmp(XMP.as_bytes());
        assert_eq!(m.creator.as_deref(), Some("Ana Ruiz, Bo Lin"));
        assert_eq!(m.credit.as_deref(), Some("Pool via Agency & Co"));
        assert_eq!(m.copyright.as_deref(), Some("© 2026 Agency"));
        assert_eq!(m.caption.as_deref(), Some("Rescuers search the rubble."));
        assert_eq!(m.headline.as_deref(), Some("Quake"));
        assert_eq!(m.date_taken.as_deref(), Some("2026-11-02T09:15:00"));
        assert!(m.is_synthetic(), "{m:?}");
    }

    #[test]
    fn source_type_codes() {
        assert!(is_synthetic_source("compositeSynthetic"));
        assert!(is_synthetic_source(
            "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
        ));
        assert!(!is_synthetic_source(
            "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"
        ));
        assert!(!is_synthetic_source("algorithmicallyEnhanced"));
    }

    /// IIM in an 8BIM resource, as an APP13 block holds it after its
    /// `Photoshop 3.0` prefix.
    fn iptc_block(fields: &[(u8, &[u8])]) -> Vec<u8> {
        newsdesk_test_support::photos::iptc_block(fields)[14..].to_vec()
    }

    #[test]
    fn iptc_records_are_read_and_latin1_is_understood() {
        let block = iptc_block(&[
            (80, b"Jos\xe9 Pe\xf1a"),
            (110, b"Reuters"),
            (116, b"(c) Reuters"),
            (120, b"Line one\r\nline\0 two"),
        ]);
        let m = from_iptc(&block);
        assert_eq!(m.creator.as_deref(), Some("José Peña"));
        assert_eq!(m.credit.as_deref(), Some("Reuters"));
        assert_eq!(m.copyright.as_deref(), Some("(c) Reuters"));
        assert_eq!(m.caption.as_deref(), Some("Line one line two"));
    }

    #[test]
    fn truncated_iptc_and_xmp_give_what_they_hold() {
        let block = iptc_block(&[(110, b"Reuters"), (120, b"A caption")]);
        let cut = &block[..block.len() - 4];
        // The resource now claims more bytes than it has: nothing is read,
        // nothing panics.
        assert_eq!(from_iptc(cut), Metadata::default());
        let xmp = &XMP.as_bytes()[..XMP.len() / 2];
        let m = from_xmp(xmp);
        assert_eq!(m.credit.as_deref(), Some("Pool via Agency & Co"));
        assert_eq!(m.headline, None);
    }

    #[test]
    fn values_are_bounded_plain_text() {
        let huge = "x".repeat(1_000_000);
        assert_eq!(clean_str(&huge).map(|s| s.chars().count()), Some(MAX_VALUE_CHARS));
        assert_eq!(clean_str("a\u{202E}b\u{0}c"), Some("abc".into()));
        assert_eq!(clean_str(" \t\n "), None);
        // Markup stays text here; escaping is the templates' job.
        assert_eq!(
            clean_str("<script>alert(1)</script>").as_deref(),
            Some("<script>alert(1)</script>")
        );
    }

    #[test]
    fn xmp_wins_over_iptc_which_wins_over_exif() {
        let iptc = iptc_block(&[(110, b"IIM credit"), (80, b"IIM creator"), (105, b"IIM head")]);
        let m = Metadata::read(None, Some(&iptc), Some(XMP.as_bytes()));
        assert_eq!(m.credit.as_deref(), Some("Pool via Agency & Co"));
        assert_eq!(m.creator.as_deref(), Some("Ana Ruiz, Bo Lin"));
        let m = Metadata::read(None, Some(&iptc), None);
        assert_eq!(m.headline.as_deref(), Some("IIM head"));
    }
}
