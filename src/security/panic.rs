use std::any::Any;

use axum::http::StatusCode;
use axum::response::Response;

use crate::domain::{ErrorCode, PageContext};

/// What a request that panicked gets: the branded "something went wrong" page
/// (500), while the server goes on serving. The panic message goes to the log
/// only, since it may contain request data.
pub fn panic_response(page: &PageContext, css_href: &str, err: Box<dyn Any + Send + 'static>) -> Response {
    let detail = err.downcast_ref::<String>().map(String::as_str).or_else(|| err.downcast_ref::<&str>().copied()).unwrap_or("non-string panic");
    tracing::error!(panic = detail, "handler panicked");
    let mut res = crate::render::error_page(page, css_href, ErrorCode::Internal);
    *res.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    res
}
