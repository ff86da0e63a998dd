//! Request handlers, grouped by audience: [`site`] for readers (HTML,
//! feeds, sitemaps), [`admin`] for the back office, [`api`] for other
//! programs. Handlers stay thin: extract, authorize, call the newsroom or
//! the store, turn the result into a view, respond.

pub mod admin;
pub mod api;
pub mod site;
