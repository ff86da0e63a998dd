//! XML text escaping.

/// Escapes `s` for XML text and attribute values, dropping characters that
/// XML 1.0 does not allow at all (C0 controls other than tab, newline and
/// carriage return, and the non-characters U+FFFE and U+FFFF).
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 16 + 8);
    let _ = std::fmt::Write::write_fmt(&mut out, format_args!("{}", escaped(s)));
    out
}

/// [`xml_escape`] as it is written into a document: `write!(o, "{}",
/// escaped(s))` copies the escaped text straight into `o`, with no string
/// of its own.
pub fn escaped(s: &str) -> Escaped<'_> {
    Escaped(s)
}

/// Text that formats as [`xml_escape`] of it; made by [`escaped`].
#[derive(Debug, Clone, Copy)]
pub struct Escaped<'a>(&'a str);

impl std::fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (s, bytes) = (self.0, self.0.as_bytes());
        // Runs that need nothing are written whole; `i` only ever stops at
        // an ASCII byte or at the lead byte of U+FFFE or U+FFFF, both
        // character boundaries.
        let (mut start, mut i) = (0, 0);
        while let Some(&b) = bytes.get(i) {
            let (len, put) = match b {
                b'&' => (1, "&amp;"),
                b'<' => (1, "&lt;"),
                b'>' => (1, "&gt;"),
                b'"' => (1, "&quot;"),
                b'\'' => (1, "&apos;"),
                b'\t' | b'\n' | b'\r' => {
                    i += 1;
                    continue;
                }
                0..=0x1f => (1, ""),
                0xef if matches!(bytes.get(i + 1..i + 3), Some([0xbf, 0xbe | 0xbf])) => (3, ""),
                _ => {
                    i += 1;
                    continue;
                }
            };
            f.write_str(&s[start..i])?;
            f.write_str(put)?;
            i += len;
            start = i;
        }
        f.write_str(&s[start..])
    }
}

/// Removes characters JSON consumers choke on (C0 controls other than tab,
/// newline and carriage return); JSON escaping itself is serde's job.
pub(crate) fn clean_text(s: &str) -> String {
    let dropped = |b: u8| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r');
    if !s.bytes().any(dropped) {
        return s.to_owned();
    }
    s.chars().filter(|&c| (c as u32) >= 0x20 || matches!(c, '\t' | '\n' | '\r')).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_forbidden_characters() {
        assert_eq!(
            xml_escape("a < b & \"c\" ]]> 'd'"),
            "a &lt; b &amp; &quot;c&quot; ]]&gt; &apos;d&apos;"
        );
        assert_eq!(xml_escape("bell\u{7}tab\tend\u{FFFF}"), "belltab\tend");
        assert_eq!(
            xml_escape("\u{FFFE}é\u{FFFD}\u{EFFF}→\u{1F600}&"),
            "é\u{FFFD}\u{EFFF}→\u{1F600}&amp;"
        );
        assert_eq!(clean_text("a\u{1}b\tc\u{FFFF}"), "ab\tc\u{FFFF}");
        assert_eq!(clean_text("plain é"), "plain é");
    }
}
