//! Every route and the layers around them, and the few small pages that
//! belong to no feature (health, theme CSS, the landing pages, 404).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

use crate::app::{shell, App};
use crate::deposit::sandbox;
use crate::deposit::webhook;
use crate::domain::{ErrorCode, PageContext};
use crate::screens::DoneKind;
use crate::security::{panic_response, redact, reject_cross_site, security_headers};
use crate::session::{inapp_gate, load_from_headers, page_context, Prefs};
use crate::sim::SimState;
use crate::state::AppState;
use crate::{render, sim};

pub(super) fn router(state: AppState, sim: Option<SimState>, psps: super::ProviderSims) -> Router {
    let settings = state.settings.clone();
    let screens = Router::new()
        .leptos_routes_with_context(
            &state,
            generate_route_list(App),
            {
                let state = state.clone();
                move || provide_context(state.clone())
            },
            {
                let (options, css) = (state.leptos_options.clone(), state.css_href());
                move || shell(options.clone(), css.clone())
            },
        )
        // The chat's message form as the browser posts it before the WASM.
        .route("/inapp/chat/send", post(crate::chat::trader::send_form))
        // A screen sends the trader into KYC (a plain form, before the WASM too).
        .route("/inapp/kyc/start", post(crate::kyc::start::start))
        // Inside the gate (it runs after it, with the session).
        .layer(from_fn_with_state(state.clone(), crate::limits::kyc_first))
        // leptos_routes also mounts every server function under /api; the
        // gate looks at the path and leaves them to `session::require`.
        .layer(from_fn_with_state(state.clone(), inapp_gate));
    let site = crate::assets::router(&state.leptos_options, &state.assets, axum::routing::any(not_found).with_state(state.clone()));

    let mut app = Router::new()
        .merge(screens)
        .route("/healthz", get(ready))
        .route("/readyz", get(ready))
        .route("/livez", get(live))
        .route("/theme.css", get(theme_css))
        .route("/gallery", get(crate::gallery::index))
        .route("/gallery/view", get(crate::gallery::view))
        .route("/done/{kind}", get(done))
        // "Continue on your phone": outside `/inapp`, the link makes its own session.
        .route("/kyc/handoff/{code}", get(crate::kyc::handoff::open))
        .route("/payments/webhook/{provider}", post(webhook::receive))
        .merge(crate::backoffice::router(&state))
        .fallback_service(site);
    if settings.identity.mode == crate::config::IdentityMode::FullSso {
        app = app.merge(crate::sso::router());
    }
    if let Some(sim) = sim {
        app = app.nest("/sim", sim::router(sim));
    }
    if let Some(psp) = psps.sandbox {
        app = app.nest("/psp/sandbox", sandbox::router(psp));
    }
    if let Some(stripe) = psps.stripe {
        app = app.nest("/psp/stripe", crate::deposit::stripe::sim::router(stripe));
    }
    if settings.server.test_routes {
        app = app.route("/__test/panic", get(deliberate_panic)).route("/__test/clock", post(advance_clock));
    }

    // Uploads get their own body limit (the file limit plus multipart framing);
    // everything else keeps the small global one.
    let upload_limit = (settings.kyc.max_upload_bytes + crate::kyc::upload::MULTIPART_OVERHEAD) as usize;
    let uploads = Router::new()
        .route("/inapp/kyc/documents", post(crate::kyc::upload::upload))
        .route("/inapp/chat/attachments", post(crate::chat::trader::upload))
        .route("/backoffice/chat/{id}/attachments", post(crate::backoffice::chat_upload))
        .layer(axum::extract::DefaultBodyLimit::max(upload_limit))
        .layer(RequestBodyLimitLayer::new(upload_limit))
        .layer(axum::middleware::map_response(crate::web::error::file_too_large_as_json));
    // Bank statements: larger than a form, far smaller than an upload's worst case.
    let statements = Router::new()
        .route("/backoffice/bank/statements", post(crate::backoffice::bank_statement_import))
        .layer(axum::extract::DefaultBodyLimit::max(crate::backoffice::MAX_STATEMENT_BYTES))
        .layer(RequestBodyLimitLayer::new(crate::backoffice::MAX_STATEMENT_BYTES))
        .layer(from_fn_with_state(state.clone(), crate::web::render_page_errors));
    let app = app
        .route("/inapp/kyc/documents/{id}", get(crate::kyc::serve::for_trader))
        .route("/inapp/chat/messages", post(crate::chat::trader::post_message))
        .route("/inapp/chat/receipts", post(crate::chat::trader::post_receipts))
        .route("/inapp/chat/typing", post(crate::chat::trader::post_typing))
        .route("/inapp/chat/events", get(crate::chat::trader::events))
        .route("/inapp/account/events", get(crate::live::account::events))
        .route("/inapp/chat/attachments/{id}", get(crate::chat::trader::attachment))
        .layer(RequestBodyLimitLayer::new(settings.server.max_body_bytes))
        .layer(axum::middleware::map_response(crate::web::error::body_too_large_as_json))
        .merge(uploads)
        .merge(statements);

    let panic_page = page_context(&state, Prefs::default(), None);
    let css = state.css_href();
    app.layer(CatchPanicLayer::custom(move |err| panic_response(&panic_page, &css, err)))
        // Pages and JSON compressed as they go (the site's files come
        // precompressed: see `assets`). Never event streams (the default
        // predicate leaves them out, with images), never a WASM without its
        // precompressed copy (a development build's is 16 MB, too much to
        // compress per request), and never a served document or attachment
        // (a PDF barely shrinks, and its length would be lost).
        .layer(
            CompressionLayer::new().compress_when(
                DefaultPredicate::new()
                    .and(NotForContentType::const_new("application/wasm"))
                    .and(NotForContentType::const_new("application/pdf"))
                    .and(NotForContentType::const_new("application/octet-stream")),
            ),
        )
        // A body trickled a byte at a time holds its connection only this long.
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(std::time::Duration::from_millis(settings.server.body_timeout_ms)))
        .layer(from_fn_with_state(state.clone(), reject_cross_site))
        .layer(from_fn_with_state(state.clone(), security_headers))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<Body>| {
            let request_id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
            // Never the raw URI: its query may hold a one-time token.
            tracing::info_span!("request", request_id, method = %req.method(), path = %req.uri().path(), query = %redact::query(req.uri().query()))
        }))
        .layer(tower_http::request_id::PropagateRequestIdLayer::x_request_id())
        .layer(tower_http::request_id::SetRequestIdLayer::x_request_id(crate::telemetry::RequestIds))
        .layer(axum::middleware::from_fn_with_state(Arc::new(settings.server.trusted_proxies.clone()), crate::telemetry::sane_request_id))
        .layer(axum::middleware::from_fn(crate::metrics::track_http))
        .with_state(state)
}

/// The admin listener's routes (`server.admin_addr`): metrics and the
/// probes, on an address the load balancer and Prometheus reach and the
/// public does not.
pub(super) fn admin_router(state: AppState) -> Router {
    Router::new().route("/metrics", get(crate::metrics::render)).route("/readyz", get(ready)).route("/livez", get(live)).with_state(state)
}

/// The theme's tokens as CSS; revalidated on every load so an edit shows at once.
async fn theme_css(State(theme): State<Arc<crate::theme::ThemeSource>>) -> Response {
    ([(axum::http::header::CONTENT_TYPE, "text/css; charset=utf-8"), (axum::http::header::CACHE_CONTROL, "no-cache")], theme.current().css()).into_response()
}

/// The process answers (`/livez`): nothing else is asked.
async fn live() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

/// Ready to take traffic: the database answers with this version's
/// migrations applied, and the instance is not draining. `/livez` only says
/// the process answers (a failing database is no reason to restart it).
async fn ready(State(state): State<AppState>) -> Response {
    let unavailable =
        |reason: &str| (StatusCode::SERVICE_UNAVAILABLE, axum::Json(serde_json::json!({ "status": "unavailable", "reason": reason }))).into_response();
    if state.streams.draining() {
        return unavailable("draining");
    }
    match state.store.ready().await {
        Ok(()) => axum::Json(serde_json::json!({ "status": "ok" })).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "readiness check failed");
            unavailable("database")
        }
    }
}

/// Language and theme for a page outside `/inapp`: the query, else the session.
async fn prefs_for(state: &AppState, headers: &HeaderMap, query: Option<&str>) -> PageContext {
    let session = load_from_headers(state, headers).await.ok().flatten();
    let base = session.as_ref().map(|s| s.prefs).unwrap_or_default();
    page_context(state, Prefs::from_query(query.unwrap_or(""), base), None)
}

async fn done(State(state): State<AppState>, Path(kind): Path<String>, req: Request<Body>) -> Response {
    let page = prefs_for(&state, req.headers(), req.uri().query()).await;
    let kind = match kind.as_str() {
        "success" => DoneKind::Success,
        "failure" => DoneKind::Failure,
        "close" => DoneKind::Close,
        _ => return render::error_page(&page, &state.css_href(), ErrorCode::NotFound),
    };
    render::done_page(&page, &state.css_href(), kind)
}

async fn not_found(State(state): State<AppState>, req: Request<Body>) -> Response {
    if render::wants_json(req.headers()) {
        return render::error_json(ErrorCode::NotFound);
    }
    let page = prefs_for(&state, req.headers(), req.uri().query()).await;
    render::error_page(&page, &state.css_href(), ErrorCode::NotFound)
}

/// `POST /__test/clock?advance_ms=…` (only with `server.test_routes`): moves
/// the application's clock forward (at most a day a call), so a browser test
/// can see a link or a session expire without waiting.
async fn advance_clock(State(state): State<AppState>, axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>) -> StatusCode {
    match q.get("advance_ms").and_then(|v| v.parse::<u64>().ok()).filter(|v| *v <= 24 * 60 * 60 * 1000) {
        Some(ms) => {
            state.clock.advance(std::time::Duration::from_millis(ms));
            StatusCode::NO_CONTENT
        }
        None => StatusCode::BAD_REQUEST,
    }
}

/// `/__test/panic` (only with `server.test_routes`): proves a panic becomes an error page.
async fn deliberate_panic() -> &'static str {
    panic!("deliberate panic from the test route")
}
