//! The layers every request passes, outermost first:
//!
//! 1. [`request_log`]: one line per request (method, path, status, time).
//! 2. [`security_headers`]: `nosniff`, referrer policy, framing, CSP — on
//!    every response, redirects and refusals included.
//! 3. [`error_pages`]: dresses error responses (see [`crate::error`]).
//! 4. [`uri_guard`]: refuses over-long targets, folds trailing slashes.

pub mod error_pages;
pub mod request_log;
pub mod security_headers;
pub mod uri_guard;

pub use error_pages::error_pages;
pub use request_log::request_log;
pub use security_headers::security_headers;
pub use uri_guard::uri_guard;
