//! The security baseline every route inherits: response headers with a
//! per-response CSP nonce, the cross-site check on server functions, log
//! redaction, and the panic page.

mod csrf;
mod headers;
mod panic;
pub mod password;
pub mod redact;
pub mod throttle;

pub use csrf::reject_cross_site;
pub use headers::{security_headers, CspNonce};
pub use panic::panic_response;
