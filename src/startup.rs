//! Wiring: settings → storage, cTrader client (or the built-in simulator) →
//! routes and layers → a bound listener. Tests build the same application on
//! port 0 and talk to it over real HTTP.

use secrecy::ExposeSecret;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

use crate::app::{shell, App};
use crate::config::{Provider, Settings};
use crate::ctrader::CtraderClient;
use crate::deposit::sandbox::{self, spawn_deliverer, SandboxClient, SandboxPsp};
use crate::deposit::{credit, webhook, PaymentProvider};
use crate::domain::{ErrorCode, PageContext};
use crate::screens::DoneKind;
use crate::security::{panic_response, redact, reject_cross_site, security_headers};
use crate::session::{inapp_gate, load_from_headers, page_context, Prefs};
use crate::sim::SimState;
use crate::state::AppState;
use crate::store::{self, StoreError};
use crate::{render, sim};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    #[error("data directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("{0} (broker.theme_file)")]
    Theme(#[from] crate::theme::ThemeError),
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    addr: SocketAddr,
    state: AppState,
    psp: Option<SandboxPsp>,
}

/// The configured provider; the sandbox one is served by this process too.
async fn payment_provider(settings: &Settings, addr: SocketAddr, css_href: String) -> Result<(Arc<dyn PaymentProvider>, Option<SandboxPsp>), StartupError> {
    let p = &settings.payments;
    match p.provider {
        Provider::Sandbox => {
            let own = local_base(addr);
            let psp = SandboxPsp::open(
                &p.sandbox_database_url,
                p.api_key.expose_secret(),
                p.webhook_secret.expose_secret(),
                format!("{own}/payments/webhook/sandbox"),
                p.sandbox_async_delay_ms,
                css_href,
            )
            .await?;
            let client = SandboxClient::new(
                &format!("{own}/psp/sandbox"),
                p.api_key.expose_secret(),
                p.webhook_secret.expose_secret(),
                p.webhook_tolerance_seconds,
                Duration::from_secs(10),
            );
            Ok((Arc::new(client), Some(psp)))
        }
    }
}

/// How this process reaches itself (the simulator and the sandbox provider).
fn local_base(addr: SocketAddr) -> String {
    let ip = if addr.ip().is_unspecified() { [127, 0, 0, 1].into() } else { addr.ip() };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Application, StartupError> {
        let wanted = settings.leptos.site_addr;
        let listener = TcpListener::bind(wanted).await.map_err(|source| StartupError::Bind { addr: wanted, source })?;
        let addr = listener.local_addr().map_err(|source| StartupError::Bind { addr: wanted, source })?;
        std::fs::create_dir_all(&settings.storage.data_dir)
            .map_err(|source| StartupError::DataDir { path: settings.storage.data_dir.display().to_string(), source })?;
        let store = store::connect(&settings.storage.database_url).await?;

        let (ctrader_base, sim) = if settings.uses_simulator() {
            let sim = SimState::open(
                &settings.simulator.database_url,
                settings.simulator.token_ttl_seconds,
                settings.ctrader.manager_login,
                settings.ctrader.manager_password.expose_secret(),
            )
            .await?;
            let sim = if settings.identity.mode == crate::config::IdentityMode::FullSso {
                sim.with_broker(local_base(addr), settings.simulator.crm_password.expose_secret().to_string())
            } else {
                sim
            };
            (format!("{}/sim", local_base(addr)), Some(sim))
        } else {
            (settings.ctrader.base_url.clone(), None)
        };
        let ctrader = CtraderClient::new(
            &ctrader_base,
            settings.ctrader.manager_login,
            settings.ctrader.manager_password.expose_secret(),
            settings.ctrader.token_contract,
            Duration::from_millis(settings.ctrader.timeout_ms),
        );
        let mut leptos_options = settings.leptos_options();
        leptos_options.site_addr = addr;
        let css_href = format!("/{}/{}.css", leptos_options.site_pkg_dir, leptos_options.output_name);
        let (payments, psp) = payment_provider(&settings, addr, css_href).await?;
        let documents = crate::kyc::LocalFiles::open(&settings.storage.data_dir)
            .map_err(|source| StartupError::DataDir { path: settings.storage.data_dir.display().to_string(), source })?;
        let theme = crate::theme::ThemeSource::open(&settings.broker.theme_file)?;
        let state = AppState {
            documents: Arc::new(documents),
            theme: Arc::new(theme),
            settings: Arc::new(settings),
            store,
            ctrader: Arc::new(ctrader),
            payments,
            credit_queued: Arc::new(tokio::sync::Notify::new()),
            chat_notifier: Arc::new(crate::chat::LocalNotifier::default()),
            instance_id: uuid::Uuid::new_v4().simple().to_string(),
            leptos_options,
        };
        let router = router(state.clone(), sim, psp.clone());
        Ok(Application { listener, router, addr, state, psp })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until the process is asked to stop (Ctrl-C or SIGTERM).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        spawn_housekeeping(self.state.clone());
        crate::chat::notifier::spawn_watcher(
            self.state.store.clone(),
            self.state.chat_notifier.clone(),
            self.state.instance_id.clone(),
            Duration::from_millis(self.state.settings.chat.watch_interval_ms),
        );
        if let Some(psp) = self.psp.clone() {
            spawn_deliverer(psp);
        }
        if self.state.settings.payments.worker {
            credit::spawn_worker(self.state.clone());
            crate::kyc::access::spawn_worker(self.state.clone());
        }
        let listener = self.listener.tap_io(|tcp| {
            // Streamed SSR otherwise waits on Nagle + delayed ACK (up to 40 ms per chunk on Linux).
            let _ = tcp.set_nodelay(true);
        });
        // `into_make_service`: serving the Router itself turns every new
        // connection into a deep copy of all routes and their layers (axum's
        // per-connection `with_state(())` on a shared router), ~350 KiB each;
        // the make-service shares one router between connections.
        axum::serve(listener, self.router.into_make_service()).with_graceful_shutdown(shutdown_signal()).await
    }
}

fn router(state: AppState, sim: Option<SimState>, psp: Option<SandboxPsp>) -> Router {
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
                let options = state.leptos_options.clone();
                move || shell(options.clone())
            },
        )
        // leptos_routes also mounts every server function under /api; the
        // gate looks at the path and leaves them to `session::require`.
        .layer(from_fn_with_state(state.clone(), inapp_gate));
    let site = ServeDir::new(state.leptos_options.site_root.as_ref()).not_found_service(axum::routing::any(not_found).with_state(state.clone()));

    let mut app = Router::new()
        .merge(screens)
        .route("/healthz", get(health))
        .route("/theme.css", get(theme_css))
        .route("/gallery", get(crate::gallery::index))
        .route("/gallery/view", get(crate::gallery::view))
        .route("/done/{kind}", get(done))
        .route("/payments/webhook/sandbox", post(webhook::receive))
        .merge(crate::backoffice::router(&state))
        .fallback_service(site);
    if settings.identity.mode == crate::config::IdentityMode::FullSso {
        app = app.merge(crate::sso::router());
    }
    if let Some(sim) = sim {
        app = app.nest("/sim", sim::router(sim));
    }
    if let Some(psp) = psp {
        app = app.nest("/psp/sandbox", sandbox::router(psp));
    }
    if settings.server.test_routes {
        app = app.route("/__test/panic", get(deliberate_panic));
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
    let app = app
        .route("/inapp/kyc/documents/{id}", get(crate::kyc::serve::for_trader))
        .route("/inapp/chat/messages", post(crate::chat::trader::post_message))
        .route("/inapp/chat/receipts", post(crate::chat::trader::post_receipts))
        .route("/inapp/chat/typing", post(crate::chat::trader::post_typing))
        .route("/inapp/chat/events", get(crate::chat::trader::events))
        .route("/inapp/chat/attachments/{id}", get(crate::chat::trader::attachment))
        .layer(RequestBodyLimitLayer::new(settings.server.max_body_bytes))
        .layer(axum::middleware::map_response(crate::web::error::body_too_large_as_json))
        .merge(uploads);

    let panic_page = page_context(&state, Prefs::default(), None);
    let css = state.css_href();
    app.layer(CatchPanicLayer::custom(move |err| panic_response(&panic_page, &css, err)))
        .layer(from_fn_with_state(state.clone(), reject_cross_site))
        .layer(from_fn_with_state(state.clone(), security_headers))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<Body>| {
            // Never the raw URI: its query may hold a one-time token.
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), query = %redact::query(req.uri().query()))
        }))
        .with_state(state)
}

/// The theme's tokens as CSS; revalidated on every load so an edit shows at once.
async fn theme_css(State(theme): State<Arc<crate::theme::ThemeSource>>) -> Response {
    ([(axum::http::header::CONTENT_TYPE, "text/css; charset=utf-8"), (axum::http::header::CACHE_CONTROL, "no-cache")], theme.current().css()).into_response()
}

async fn health(State(store): State<crate::store::Store>) -> Response {
    match store.ping().await {
        Ok(()) => axum::Json(serde_json::json!({ "status": "ok" })).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(serde_json::json!({ "status": "unavailable" }))).into_response()
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

/// Deletes expired sessions and old token claims every few minutes.
fn spawn_housekeeping(state: AppState) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            housekeep(&state).await;
        }
    });
}

/// One round of clean-up: expired sessions and token claims, and deposits the
/// trader never paid (so their screens stop waiting on them).
pub async fn housekeep(state: &AppState) {
    let now = crate::time::now_ms();
    let idle = state.settings.session.idle_minutes as i64 * 60_000;
    if let Err(e) = state.store.sessions.purge(now, now - idle).await {
        tracing::warn!(error = %e, "session purge failed");
    }
    if let Err(e) = state.store.token_claims.purge(now - 24 * 3_600_000).await {
        tracing::warn!(error = %e, "token claim purge failed");
    }
    if let Err(e) = state.store.sso.purge_one_time(now - 3_600_000).await {
        tracing::warn!(error = %e, "one-time token purge failed");
    }
    if let Err(e) = state.store.chat.purge_changes(now - 10 * 60_000).await {
        tracing::warn!(error = %e, "chat change log purge failed");
    }
    // An attachment uploaded but never sent (the trader removed it or left).
    match state.store.chat.purge_unsent_attachments(now - 24 * 3_600_000).await {
        Ok(ids) => {
            for id in ids {
                crate::kyc::upload::forget(state, &id).await;
            }
        }
        Err(e) => tracing::warn!(error = %e, "unsent chat attachment purge failed"),
    }
    let unpaid_before = now - state.settings.payments.pending_expiry_minutes as i64 * 60_000;
    match state.store.deposits.expire_pending(unpaid_before, now).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(deposits = n, "unpaid deposits expired"),
        Err(e) => tracing::warn!(error = %e, "expiring unpaid deposits failed"),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// `/__test/panic` (only with `server.test_routes`): proves a panic becomes an error page.
async fn deliberate_panic() -> &'static str {
    panic!("deliberate panic from the test route")
}
