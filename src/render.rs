//! Server-rendered pages that need no WASM: token and session errors, the
//! success/failure/close landing pages and 404s. They reuse the screens'
//! components, so they carry the same brand, language and theme.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use leptos::prelude::*;

use crate::domain::{ErrorCode, PageContext};
use crate::i18n::t;
use crate::screens::{DoneKind, DonePage, ErrorPage};

/// How a page's `<head>` gets its styles.
pub enum Styles {
    /// Linked: the site's stylesheet (kept for good by the browser) and the
    /// broker's `/theme.css`.
    Linked(String),
    /// Written into the page under the response's CSP nonce: both
    /// stylesheets block the first paint, and on a slow phone network each
    /// is another round trip (562 ms on the slow-4G profile) after the page.
    /// The trader's screens, the first thing cTrader opens, paint from their
    /// own HTML; the site's CSS is small (4 KB compressed).
    Inline { site: std::sync::Arc<str>, theme: String, nonce: String },
}

/// What every page's `<head>` starts with, hydrated screens and static pages alike.
pub fn head_basics(page: &PageContext, styles: Styles) -> impl IntoView {
    let styles = match styles {
        Styles::Linked(href) => view! {
            <link rel="stylesheet" href=href/>
            // The broker's theme after the defaults, so its tokens win.
            <link rel="stylesheet" href="/theme.css"/>
        }
        .into_any(),
        // `inner_html`: text children would be HTML-escaped, and a style
        // element's text is not unescaped (`a > b` would break). Both texts
        // are ours: the build's CSS and the theme's checked values.
        Styles::Inline { site, theme, nonce } => view! {
            <style nonce=nonce.clone() inner_html=site.to_string()></style>
            <style nonce=nonce inner_html=theme></style>
        }
        .into_any(),
    };
    view! {
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover"/>
        <meta name="color-scheme" content=page.theme.as_str()/>
        <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
        {styles}
    }
}

/// A complete HTML document around `body`, rendered to a string.
pub fn document(page: &PageContext, css_href: &str, title: String, body: impl FnOnce() -> AnyView) -> String {
    let owner = Owner::new();
    owner.with(|| {
        provide_context(page.clone());
        let view = view! {
            <!DOCTYPE html>
            <html lang=page.lang.code() dir=page.lang.dir().as_str() class=page.theme.as_str()>
                <head>
                    {head_basics(page, Styles::Linked(css_href.to_string()))}
                    <title>{title}</title>
                </head>
                <body>{body()}</body>
            </html>
        };
        view.to_html()
    })
}

pub fn html_response(status: StatusCode, html: String) -> Response {
    let mut res = (status, html).into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The branded error page for `code`, with its HTTP status.
pub fn error_page(page: &PageContext, css_href: &str, code: ErrorCode) -> Response {
    let title = t(page.lang, &format!("error.{}.title", code.i18n_key()));
    let html = document(page, css_href, title, || view! { <ErrorPage code/> }.into_any());
    let status = StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    html_response(status, html)
}

/// The InApp JSON error body: `{"error", "message", "code"}`.
pub fn error_json(code: ErrorCode) -> Response {
    let status = StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = (status, axum::Json(serde_json::json!({ "error": code.title(), "message": code.message(), "code": code.code() }))).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

pub fn done_page(page: &PageContext, css_href: &str, kind: DoneKind) -> Response {
    let key = match kind {
        DoneKind::Success => "success",
        DoneKind::Failure => "failure",
        DoneKind::Close => "close",
    };
    let title = t(page.lang, &format!("done.{key}.title"));
    html_response(StatusCode::OK, document(page, css_href, title, || view! { <DonePage kind/> }.into_any()))
}

/// True when the client asked for JSON rather than a page (API clients, QA tools).
pub fn wants_json(headers: &axum::http::HeaderMap) -> bool {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    accept.contains("application/json") && !accept.contains("text/html")
}
