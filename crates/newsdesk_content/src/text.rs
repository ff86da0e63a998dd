//! Small text helpers shared by every output.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

/// Cuts `text` to at most `max_chars` characters at a word boundary and adds
/// an ellipsis when anything was cut. Whitespace runs collapse to one space.
///
/// The ellipsis counts towards `max_chars`. A single word longer than the
/// limit is cut inside the word rather than dropped.
pub fn teaser(text: &str, max_chars: usize) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= max_chars {
        return collapsed;
    }
    let budget = max_chars.saturating_sub(1);
    let cut_at = collapsed.char_indices().nth(budget).map_or(collapsed.len(), |(i, _)| i);
    let head = &collapsed[..cut_at];
    // Cut at the last space when the next character is not already a space;
    // a head that ends exactly before a space is a whole word.
    let whole_words = if collapsed[cut_at..].starts_with(' ') {
        head
    } else {
        head.rfind(' ').map_or(head, |i| &head[..i])
    };
    let trimmed = whole_words.trim_end_matches(|c: char| c.is_ascii_punctuation() || c == ' ');
    let body = if trimmed.is_empty() { head } else { trimmed };
    format!("{body}…")
}

/// RFC 3339 in the site's time zone, e.g. `2026-03-07T14:05:00+01:00`, for
/// `<time datetime>` and structured data.
pub fn rfc3339(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// A reader-facing date and time, e.g. `7 March 2026, 14:05 CET`.
pub fn display_datetime(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%-d %B %Y, %H:%M %Z").to_string()
}

/// A reader-facing date, e.g. `7 March 2026`.
pub fn display_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// Serializes `value` as JSON that is safe inside a `<script>` element: `<`,
/// `>` and `&` are written as `\u003c`-style escapes so no string can close
/// the element or open a comment.
pub fn json_for_script(value: &serde_json::Value) -> String {
    let raw = value.to_string();
    let mut out = String::with_capacity(raw.len() + 16);
    for c in raw.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes `s` for a URL query value: everything but RFC 3986's
/// unreserved characters is encoded, UTF-8 byte by byte.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encode_keeps_only_unreserved_characters() {
        assert_eq!(url_encode("a b&c=d/é~"), "a%20b%26c%3Dd%2F%C3%A9~");
    }
    use chrono::TimeZone;

    #[test]
    fn teaser_keeps_short_text_whole() {
        assert_eq!(teaser("  Talks   resume. ", 160), "Talks resume.");
    }

    #[test]
    fn teaser_cuts_at_a_word_boundary_with_an_ellipsis() {
        let text =
            "Negotiators from both countries met again on Monday, hoping to settle the dispute.";
        let t = teaser(text, 40);
        assert_eq!(t, "Negotiators from both countries met…");
        assert!(t.chars().count() <= 40);
        // Exactly at a word end: keep the word.
        assert_eq!(teaser("aaaa bbbb cccc", 10), "aaaa bbbb…");
        // Trailing punctuation before the cut is dropped.
        assert_eq!(teaser("Monday, Tuesday, Wednesday", 18), "Monday, Tuesday…");
    }

    #[test]
    fn teaser_never_exceeds_the_limit_even_for_one_long_word() {
        let t = teaser(&"x".repeat(500), 160);
        assert_eq!(t.chars().count(), 160);
        assert!(t.ends_with('…'));
        let multi = "é".repeat(300);
        assert_eq!(teaser(&multi, 20).chars().count(), 20);
    }

    #[test]
    fn dates_are_shown_in_the_site_time_zone() {
        let t = Utc.with_ymd_and_hms(2026, 7, 1, 22, 30, 0).single().expect("valid time");
        let tz: Tz = "Europe/Berlin".parse().expect("known zone");
        assert_eq!(rfc3339(t, tz), "2026-07-02T00:30:00+02:00");
        assert_eq!(display_datetime(t, tz), "2 July 2026, 00:30 CEST");
    }

    #[test]
    fn json_for_script_cannot_close_the_script_element() {
        let v = serde_json::json!({"headline": "</script><script>alert(1)</script> & <!--"});
        let s = json_for_script(&v);
        assert!(!s.contains('<') && !s.contains('>'), "{s}");
        let back: serde_json::Value = serde_json::from_str(&s).expect("still JSON");
        assert_eq!(back, v);
    }
}
