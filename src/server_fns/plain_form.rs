//! A form the browser posted by itself: the trader pressed the button before
//! the WASM arrived (a slow phone), so no script caught the submit and the
//! form went to its server function as a plain `POST`. Such a request asks for
//! `text/html` (the hydrated page's own calls never do) and is answered with a
//! redirect the browser follows: where the form leads on success, or back to
//! the screen with what was typed and why it was refused.
//!
//! Leptos has its own answer for this (back to the `Referer`, the error in
//! `__err`), but our pages send no `Referer` (`Referrer-Policy: no-referrer`)
//! and it would drop what the trader typed.

/// The current server-function call is a browser's own form post.
pub fn posted_by_browser() -> bool {
    let Some(parts) = leptos::prelude::use_context::<http::request::Parts>() else {
        return false;
    };
    parts.headers.get(http::header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|accept| accept.contains("text/html"))
}

/// Sends the browser to `to` (a 302, which a browser follows with a `GET`);
/// `false`, sending nothing, when `to` cannot be a `Location` (a partner's
/// URL with characters a header cannot carry: leptos would panic on it).
pub fn redirect(to: &str) -> bool {
    if http::HeaderValue::from_str(to).is_err() {
        return false;
    }
    leptos_axum::redirect(to);
    true
}
