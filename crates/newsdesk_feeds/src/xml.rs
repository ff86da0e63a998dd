//! XML text escaping.

/// Escapes `s` for XML text and attribute values, dropping characters that
/// XML 1.0 does not allow at all (C0 controls other than tab, newline and
/// carriage return, and the non-characters U+FFFE and U+FFFF).
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Removes characters JSON consumers choke on (C0 controls other than tab,
/// newline and carriage return); JSON escaping itself is serde's job.
pub(crate) fn clean_text(s: &str) -> String {
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
    }
}
