//! Completion notices to the page that embeds a screen (cTrader Web's
//! iframe): `window.parent.postMessage` to each configured origin, never
//! `*`. The browser itself delivers a message only if the parent's origin is
//! the one named, so a screen framed by any other page tells it nothing.
//! Not framed (cTrader's apps watch the success URL instead): nothing sent.

use crate::domain::notify::Notice;

/// Posts `notice` to the parent page; `origins` is the page's
/// `parent_origins` (`notify.parent_origins`).
#[cfg(feature = "hydrate")]
pub fn tell_parent(notice: &Notice, origins: &[String]) {
    let Some(window) = web_sys::window() else { return };
    let Ok(Some(parent)) = window.parent() else { return };
    if parent == window {
        return;
    }
    let Ok(text) = serde_json::to_string(notice) else { return };
    let Ok(message) = js_sys::JSON::parse(&text) else { return };
    for origin in origins {
        let _ = parent.post_message(&message, origin);
    }
    // For tests and brokers' QA: which notice the screen posted last.
    if let Some(body) = window.document().and_then(|d| d.body()) {
        let _ = body.set_attribute("data-notified", &notice.event);
    }
}

/// On the server there is no parent page.
#[cfg(not(feature = "hydrate"))]
pub fn tell_parent(_notice: &Notice, _origins: &[String]) {}
