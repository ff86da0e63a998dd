//! Slugs and the public URL scheme of articles.
//!
//! An article lives at `/{section}/{yyyy}/{mm}/{dd}/{slug}`, the date being
//! the day of first publication in the site's time zone. The path is computed
//! once, when the article is first published, and stored: renaming a section,
//! changing the slug or the site's time zone later never moves a published
//! story.

/// Longest slug accepted, in bytes. Long enough for any headline-derived slug,
/// short enough to keep URLs shareable.
pub const MAX_SLUG_LEN: usize = 96;

/// Why a slug was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    /// The slug is empty.
    #[error("the slug is empty")]
    Empty,
    /// The slug is longer than [`MAX_SLUG_LEN`].
    #[error("the slug `{0}` is longer than {MAX_SLUG_LEN} characters")]
    TooLong(String),
    /// The slug has a character other than `a-z`, `0-9` and `-`, or a leading,
    /// trailing or doubled hyphen.
    #[error("the slug `{0}` may only hold a-z, 0-9 and single hyphens between them")]
    BadCharacters(String),
}

/// Checks that `slug` is a valid slug: `a-z`, `0-9`, single inner hyphens.
pub fn validate_slug(slug: &str) -> Result<(), SlugError> {
    if slug.is_empty() {
        return Err(SlugError::Empty);
    }
    if slug.len() > MAX_SLUG_LEN {
        return Err(SlugError::TooLong(slug.to_owned()));
    }
    let ok_chars = slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !ok_chars || slug.starts_with('-') || slug.ends_with('-') || slug.contains("--") {
        return Err(SlugError::BadCharacters(slug.to_owned()));
    }
    Ok(())
}

/// Turns a headline or name into a slug: lowercase ASCII words joined by
/// hyphens, common Latin accents folded, cut at a word boundary to
/// [`MAX_SLUG_LEN`]. Returns `"untitled"` when nothing usable is left.
pub fn slugify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_hyphen = false;
    for c in text.chars().flat_map(fold_char) {
        if c.is_ascii_alphanumeric() {
            if pending_hyphen && !out.is_empty() {
                out.push('-');
            }
            pending_hyphen = false;
            out.push(c.to_ascii_lowercase());
        } else if c == '\'' || c == '\u{2019}' {
            // "Court's ruling" → "courts-ruling", not "court-s-ruling".
        } else {
            pending_hyphen = true;
        }
    }
    if out.len() > MAX_SLUG_LEN {
        let cut = out[..=MAX_SLUG_LEN].rfind('-').unwrap_or(MAX_SLUG_LEN);
        out.truncate(cut);
    }
    if out.is_empty() { "untitled".to_owned() } else { out }
}

/// Folds the accented Latin letters most common in names to ASCII.
fn fold_char(c: char) -> impl Iterator<Item = char> {
    let folded: &str = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "a",
        'æ' | 'Æ' => "ae",
        'ç' | 'Ç' | 'č' | 'Č' | 'ć' | 'Ć' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' | 'ę' | 'ě' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' | 'ı' => "i",
        'ñ' | 'Ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'ő' => {
            "o"
        }
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' | 'ů' | 'ű' => "u",
        'ý' | 'ÿ' | 'Ý' => "y",
        'ß' => "ss",
        'ł' | 'Ł' => "l",
        'š' | 'Š' | 'ś' | 'ş' => "s",
        'ž' | 'Ž' | 'ź' | 'ż' => "z",
        'ř' => "r",
        'ğ' => "g",
        _ => "",
    };
    let single = if folded.is_empty() { Some(c) } else { None };
    folded.chars().chain(single)
}

/// The public path of an article first published on `date` (site time zone).
pub fn article_path(section_slug: &str, date: chrono::NaiveDate, slug: &str) -> String {
    use chrono::Datelike;
    format!("/{section_slug}/{:04}/{:02}/{:02}/{slug}", date.year(), date.month(), date.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugify_handles_punctuation_accents_and_apostrophes() {
        assert_eq!(slugify("Talks resume in Geneva — again!"), "talks-resume-in-geneva-again");
        assert_eq!(slugify("Court's ruling: Ñandú São Paulo"), "courts-ruling-nandu-sao-paulo");
        assert_eq!(slugify("  ---  "), "untitled");
        assert_eq!(slugify("Straße 42"), "strasse-42");
    }

    #[test]
    fn slugify_cuts_long_text_at_a_hyphen() {
        let long = "word ".repeat(60);
        let s = slugify(&long);
        assert!(s.len() <= MAX_SLUG_LEN, "{}", s.len());
        assert!(s.ends_with("word"));
        assert_eq!(validate_slug(&s), Ok(()));
    }

    #[test]
    fn validate_slug_names_the_problem() {
        assert_eq!(validate_slug(""), Err(SlugError::Empty));
        assert_eq!(validate_slug("a--b"), Err(SlugError::BadCharacters("a--b".into())));
        assert_eq!(validate_slug("../etc"), Err(SlugError::BadCharacters("../etc".into())));
        assert_eq!(validate_slug("Upper"), Err(SlugError::BadCharacters("Upper".into())));
        assert!(validate_slug(&"a".repeat(97)).is_err());
        assert_eq!(validate_slug("g7-summit-2026"), Ok(()));
    }

    #[test]
    fn article_path_is_zero_padded() {
        let d = chrono::NaiveDate::from_ymd_opt(2026, 3, 7).expect("valid date");
        assert_eq!(article_path("world", d, "talks-resume"), "/world/2026/03/07/talks-resume");
    }
}
