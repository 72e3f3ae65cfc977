use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use rand::RngCore;

use crate::state::AppState;

/// The nonce of this response's Content-Security-Policy. The shell hands it to
/// Leptos so the hydration scripts carry the same value.
#[derive(Debug, Clone)]
pub struct CspNonce(pub String);

impl CspNonce {
    fn generate() -> Self {
        let mut bytes = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut bytes);
        CspNonce(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }
}

/// Adds the security headers to every response. Pages under `/inapp`, `/api`,
/// `/sim` and `/done` carry personal data or tokens and are never cached.
pub async fn security_headers(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let nonce = CspNonce::generate();
    let path = req.uri().path().to_string();
    req.extensions_mut().insert(nonce.clone());
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let logo = origin(&state.theme.current().logo).map(|o| format!(" {o}")).unwrap_or_default();
    let csp = format!(
        "default-src 'self'; script-src 'self' 'nonce-{n}' 'wasm-unsafe-eval'; style-src 'self' 'nonce-{n}'; \
         img-src 'self' data: blob:{logo}; font-src 'self'; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action {forms}; frame-ancestors {fa}",
        n = nonce.0,
        forms = form_targets(&state.settings),
        fa = state.settings.server.frame_ancestors.join(" "),
    );
    // A response that brought its own policy keeps it: served documents and
    // attachments carry `sandbox`, which this page policy would undo.
    if let (false, Ok(v)) = (h.contains_key(header::CONTENT_SECURITY_POLICY), HeaderValue::from_str(&csp)) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if state.settings.is_https() {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    let personal = ["/inapp", "/api", "/sim", "/done", "/backoffice"].iter().any(|p| path.starts_with(p));
    if personal && !h.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("no-store")) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// The CSP source for where `url` points: its origin for http(s), its scheme
/// for an app link (`ctrader-sso:`); `None` for a path on this server.
fn origin(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    match u.scheme() {
        "http" | "https" => Some(u.origin().ascii_serialization()),
        scheme => Some(format!("{scheme}:")),
    }
}

/// Where forms may go: this server, the broker's hand-off pages (the posted
/// assertion), the app the SSO sign-in redirects to with its code, and the
/// payment pages a deposit form posted before the WASM is redirected to
/// (browsers hold a form's redirects to `form-action` too).
fn form_targets(settings: &crate::config::Settings) -> String {
    let mut targets = vec!["'self'".to_string()];
    let handoffs = settings.actions.types.values().filter(|a| a.kind == crate::domain::action::ActionKind::Handoff).map(|a| a.url.as_str());
    let sign_in = (settings.identity.mode == crate::config::IdentityMode::FullSso).then_some(settings.identity.app_redirect_url.as_str());
    let payments = crate::deposit::stripe::payment_page_origins(settings);
    for o in handoffs.chain(sign_in).filter_map(origin).chain(payments) {
        if !targets.contains(&o) {
            targets.push(o);
        }
    }
    targets.join(" ")
}
