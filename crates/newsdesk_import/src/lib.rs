//! Newsdesk's importers.
//!
//! Content from other systems comes in through the application layer's
//! use cases ([`newsdesk_app::Write`]), one transaction per item, so pages,
//! search, related stories, feeds and caches follow as they do for an
//! editor's work, and an import stopped half-way leaves whole items only.
//! Each item's origin is noted (`import_items`), so running an importer
//! again skips what it already brought in and finishes the rest.

pub mod backup;
pub mod feed;
pub mod ghost;
pub mod html;
pub mod ninjs;
pub mod report;
pub mod wordpress;
pub mod wxr;

pub use report::Report;
