//! What an import did, for the person who ran it and, as JSON, for
//! scripts.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// An item and what happened to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    /// The item (`post 12 “Title”`, an image's address).
    pub item: String,
    /// Why.
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The importer (`wordpress`).
    pub importer: String,
    /// The file read.
    pub file: String,
    /// The site the content came from (`wordpress:https://old.example`).
    pub source: String,
    /// New things made, by kind.
    pub imported: BTreeMap<String, usize>,
    /// Things imported before and changed since, brought up to date.
    pub updated: BTreeMap<String, usize>,
    /// Things imported before and unchanged: left alone.
    pub unchanged: BTreeMap<String, usize>,
    /// What was not imported on purpose, by reason.
    pub skipped: BTreeMap<String, usize>,
    /// Items that could not be imported; the database has none of each.
    pub failed: Vec<Line>,
    /// Published items kept as drafts because they cannot be published
    /// here as they are (the reason says what to fix).
    pub kept_as_drafts: Vec<Line>,
    /// Images that could not be brought in; their figures were left out.
    pub missing_images: Vec<Line>,
    /// What the conversion changed, with how often.
    pub notes: BTreeMap<String, usize>,
    /// Comments in the export (Newsdesk has no comments).
    pub comments_skipped: usize,
    /// Old addresses that now redirect to their article.
    pub redirects: usize,
}

impl Report {
    /// An empty report.
    pub fn new(importer: &str, file: &str) -> Report {
        Report { importer: importer.into(), file: file.into(), ..Report::default() }
    }

    /// One more `kind` made.
    pub fn imported(&mut self, kind: &str) {
        *self.imported.entry(kind.into()).or_default() += 1;
    }

    /// One more `kind` brought up to date.
    pub fn updated(&mut self, kind: &str) {
        *self.updated.entry(kind.into()).or_default() += 1;
    }

    /// One more `kind` found unchanged.
    pub fn unchanged(&mut self, kind: &str) {
        *self.unchanged.entry(kind.into()).or_default() += 1;
    }

    /// One more thing skipped for `reason`.
    pub fn skip(&mut self, reason: &str) {
        *self.skipped.entry(reason.into()).or_default() += 1;
    }

    /// `item` could not be imported.
    pub fn failed(&mut self, item: &str, reason: &str) {
        self.failed.push(Line { item: item.into(), reason: reason.into() });
    }

    /// `item` stays a draft.
    pub fn kept_draft(&mut self, item: &str, reason: &str) {
        self.kept_as_drafts.push(Line { item: item.into(), reason: reason.into() });
    }

    /// The image at `image` is missing.
    pub fn missing_image(&mut self, image: &str, reason: &str) {
        if !self.missing_images.iter().any(|l| l.item == image) {
            self.missing_images.push(Line { item: image.into(), reason: reason.into() });
        }
    }

    /// One more of `note`.
    pub fn note(&mut self, note: &str) {
        *self.notes.entry(note.into()).or_default() += 1;
    }

    /// How many `kind` are counted under `which` (`imported`, `updated`,
    /// `unchanged`).
    pub fn count(&self, which: &str, kind: &str) -> usize {
        let map = match which {
            "imported" => &self.imported,
            "updated" => &self.updated,
            "unchanged" => &self.unchanged,
            _ => return 0,
        };
        map.get(kind).copied().unwrap_or(0)
    }

    /// Whether every item made it in.
    pub fn is_clean(&self) -> bool {
        self.failed.is_empty()
    }
}

fn counts(f: &mut fmt::Formatter<'_>, title: &str, map: &BTreeMap<String, usize>) -> fmt::Result {
    if map.is_empty() {
        return Ok(());
    }
    let parts: Vec<String> = map.iter().map(|(k, n)| format!("{n} {k}")).collect();
    writeln!(f, "{title}: {}", parts.join(", "))
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Import of {} ({})", self.file, self.source)?;
        counts(f, "Imported", &self.imported)?;
        counts(f, "Updated", &self.updated)?;
        counts(f, "Unchanged", &self.unchanged)?;
        counts(f, "Skipped", &self.skipped)?;
        if self.comments_skipped > 0 {
            writeln!(f, "Comments not imported: {}", self.comments_skipped)?;
        }
        if self.redirects > 0 {
            writeln!(f, "Old addresses redirected: {}", self.redirects)?;
        }
        for (title, lines) in [
            ("Failed (not imported)", &self.failed),
            ("Kept as drafts", &self.kept_as_drafts),
            ("Missing images", &self.missing_images),
        ] {
            if !lines.is_empty() {
                writeln!(f, "{title}: {}", lines.len())?;
                for l in lines.iter().take(50) {
                    writeln!(f, "  - {}: {}", l.item, l.reason)?;
                }
                if lines.len() > 50 {
                    writeln!(f, "  … and {} more (see --report)", lines.len() - 50)?;
                }
            }
        }
        if !self.missing_images.is_empty() {
            writeln!(
                f,
                "To bring the missing pictures in, copy the old site's uploads folder \
                 (WordPress: wp-content/uploads; Ghost: content/images) here and run the same \
                 command again with --uploads DIR (Ghost: --images DIR): the posts that lack \
                 them are brought up to date."
            )?;
        }
        if self.imported.contains_key("account (disabled)") {
            writeln!(
                f,
                "Imported accounts cannot sign in yet: give each a password with \
                 `newsdesk user set-password --email E`, then `newsdesk user enable --email E`."
            )?;
        }
        if !self.notes.is_empty() {
            writeln!(f, "Conversion notes:")?;
            for (n, c) in &self.notes {
                writeln!(f, "  - {n} ({c}×)")?;
            }
        }
        Ok(())
    }
}
