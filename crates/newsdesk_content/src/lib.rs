//! Turning article data into reader-facing text: body blocks to safe HTML,
//! teasers cut at a word boundary, dates in the site's time zone, JSON for
//! `<script>` tags, and the related-articles scorer.
//!
//! Pure functions over [`newsdesk_core`] types: no database, no HTTP.

pub mod diff;
mod html;
pub mod markdown;
pub mod related;
pub mod structured;
mod text;

pub use html::{
    AI_LABEL, BodyContext, MEDIA_PREFIX, escape_html, escape_html_to, media_url, render_body,
    render_lead, rendition_srcset, srcset, webp_srcset,
};
pub use text::{display_date, display_datetime, json_for_script, rfc3339, teaser, url_encode};
