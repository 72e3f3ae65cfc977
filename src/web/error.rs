//! How errors leave the HTTP surfaces that are ours to shape.
//!
//! - [`ApiError`]: every JSON endpoint (chat, uploads, documents, the
//!   webhook, the back-office's script endpoints) answers a refusal as
//!   `{ "error": <English sentence>, "code": <MACHINE_CODE> }` with a precise
//!   status. The browser shows the translation of `code`.
//! - [`PageError`]: a back-office page answers with the branded, translated
//!   error page (or, for a client that asks for JSON, the InApp JSON error `{error, message, code}`).
//!   Rendering a page needs the theme and the language, which an error value
//!   does not have: the handler returns the bare status with the error in the
//!   response's extensions and [`render_page_errors`], a layer on the
//!   back-office router, draws it.
//!
//! Both convert from `StoreError`, logging the cause chain there and only
//! there; the client learns nothing about the storage.

use std::borrow::Cow;
use std::collections::HashMap;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::domain::{ErrorCode, Lang};
use crate::render::{error_json, error_page, wants_json};
use crate::state::AppState;
use crate::store::StoreError;

/// `error` and its sources, `: `-separated, for the one log line a failure gets.
pub fn cause_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// A refusal from a JSON endpoint.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: Cow<'static, str>,
    retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        ApiError { status, code, message: message.into(), retry_after: None }
    }

    /// The machine-readable code (`FILE_TOO_SMALL`, …).
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// With `Retry-After: secs`.
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    /// No trader session: reopen the screen from the platform.
    pub fn no_session() -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "SESSION_EXPIRED", "no session; reopen the screen from the platform")
    }

    /// Not there, or not the caller's to see (the same answer for both).
    pub fn not_found(what: &'static str) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "NOT_FOUND", what)
    }

    /// A failure on our side; the cause is logged, the client told to retry.
    pub fn internal(cause: &dyn std::error::Error) -> Self {
        tracing::error!(error = %cause_chain(cause), "request failed");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", "try again")
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::internal(&e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.message, "code": self.code });
        let mut res = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

/// A refusal from a back-office page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageError {
    /// No staff session: the sign-in page.
    SignIn,
    /// Signed in, but this role may not.
    Forbidden,
    NotFound,
    /// A form or path the page does not take.
    BadRequest,
    /// The record was decided or changed; the write does not apply.
    Conflict,
    /// Too much at once (password checks); come back in a moment.
    Busy,
    /// Our failure; logged where it was converted.
    Internal,
}

impl PageError {
    fn status(self) -> StatusCode {
        match self {
            PageError::SignIn => StatusCode::SEE_OTHER,
            PageError::Forbidden => StatusCode::FORBIDDEN,
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::BadRequest => StatusCode::BAD_REQUEST,
            PageError::Conflict => StatusCode::CONFLICT,
            PageError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            PageError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Whose title and text the page shows (a bad request reads as "no such
    /// page", a conflict as "you may not do that").
    fn code(self) -> ErrorCode {
        match self {
            PageError::SignIn => ErrorCode::SessionExpired,
            PageError::Forbidden | PageError::Conflict => ErrorCode::Forbidden,
            PageError::NotFound | PageError::BadRequest => ErrorCode::NotFound,
            PageError::Internal | PageError::Busy => ErrorCode::Internal,
        }
    }

    fn render(self, state: &AppState, lang: Lang, json: bool) -> Response {
        if self == PageError::SignIn && !json {
            return (StatusCode::SEE_OTHER, [(header::LOCATION, "/backoffice/sign-in")]).into_response();
        }
        let mut res = if json {
            error_json(self.code())
        } else {
            let ctx = crate::session::page_context(state, crate::session::Prefs { lang, ..Default::default() }, None);
            error_page(&ctx, &state.css_href(), self.code())
        };
        *res.status_mut() = if self == PageError::SignIn { StatusCode::UNAUTHORIZED } else { self.status() };
        if self == PageError::Busy {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        res
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %cause_chain(&e), "back-office request failed");
        PageError::Internal
    }
}

impl From<crate::security::password::Busy> for PageError {
    fn from(_: crate::security::password::Busy) -> Self {
        PageError::Busy
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let mut res = self.status().into_response();
        res.extensions_mut().insert(self);
        res
    }
}

/// The layer that draws a [`PageError`] as the branded page in the language
/// the page was asked in (`?lang=`), or as JSON for a client asking for JSON.
pub async fn render_page_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let json = wants_json(req.headers());
    let query = axum::extract::Query::<HashMap<String, String>>::try_from_uri(req.uri()).map(|q| q.0).unwrap_or_default();
    let lang = query.get("lang").and_then(|l| Lang::parse(l)).unwrap_or_default();
    let res = next.run(req).await;
    match res.extensions().get::<PageError>() {
        Some(e) => e.render(&state, lang, json),
        None => res,
    }
}

/// tower-http's body limit answers a bare, plain-text 413; these give it the
/// JSON error every other refusal has. For the JSON endpoints and server functions:
pub async fn body_too_large_as_json(res: Response) -> Response {
    too_large_as_json(res, "BODY_TOO_LARGE", "the request body is larger than the server takes")
}

/// For the upload endpoints: the same code as a file found too large while read.
pub async fn file_too_large_as_json(res: Response) -> Response {
    too_large_as_json(res, "FILE_TOO_LARGE", "file too large")
}

fn too_large_as_json(res: Response, code: &'static str, message: &'static str) -> Response {
    let is_json = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if res.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_json {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, code, message).into_response()
    } else {
        res
    }
}
