use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// Where leptos_axum mounts server functions (its default prefix).
pub const SERVER_FN_PREFIX: &str = "/api/";

/// Server functions (and back-office forms) act with a session cookie, so a request another
/// site's page triggers must not reach them. Browsers say where a request came
/// from in `Sec-Fetch-Site` and `Origin`; either one pointing elsewhere is refused.
/// Requests with neither (curl, server-to-server) carry no ambient cookie risk.
pub async fn reject_cross_site(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let unsafe_method = req.method() != axum::http::Method::GET && req.method() != axum::http::Method::HEAD;
    let guarded =
        path.starts_with(SERVER_FN_PREFIX) || ((path.starts_with("/backoffice") || path.starts_with("/inapp/") || path == "/oauth2/sign-in") && unsafe_method);
    if !guarded {
        return next.run(req).await;
    }
    let headers = req.headers();
    // Browsers that send Sec-Fetch-Site (all current ones) are judged by it:
    // with `Referrer-Policy: no-referrer` they send `Origin: null` on a
    // same-origin form post, so the Origin cannot decide for them.
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if !matches!(site, "same-origin" | "none") {
            return refuse();
        }
    } else if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
        let public = state.settings.server.public_url.trim_end_matches('/');
        let same_host = origin.split_once("://").map(|(_, h)| h == host).unwrap_or(false);
        if origin != public && !same_host {
            return refuse();
        }
    }
    next.run(req).await
}

fn refuse() -> Response {
    (
        StatusCode::FORBIDDEN,
        axum::Json(serde_json::json!({
            "error": "Forbidden",
            "message": "Cross-site request refused",
            "code": "CROSS_SITE_REQUEST"
        })),
    )
        .into_response()
}
