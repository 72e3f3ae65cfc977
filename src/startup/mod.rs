//! Wiring: settings → storage, cTrader client (or the built-in simulator) →
//! routes and layers → a bound listener. Tests build the same application on
//! port 0 and talk to it over real HTTP.

use secrecy::ExposeSecret;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;

use crate::config::Settings;
use crate::ctrader::CtraderClient;
use crate::deposit::bank::BankTransfer;
use crate::deposit::sandbox::{spawn_deliverer, SandboxClient, SandboxPsp};
use crate::deposit::stripe::{sim::StripeSim, StripeCheckout};
use crate::deposit::{credit, Payments};
use crate::domain::MethodKind;
use crate::sim::SimState;
use crate::state::AppState;
use crate::store::{self, StoreError};

mod housekeeping;
mod routes;
mod serve;

pub use housekeeping::housekeep;
use housekeeping::spawn_housekeeping;
use routes::router;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    #[error("data directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("object storage ([storage.objects]): {0}")]
    Objects(std::io::Error),
    #[error("{0} (broker.theme_file)")]
    Theme(#[from] crate::theme::ThemeError),
    #[error("{0} (kyc.screening.lists)")]
    Screening(String),
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    addr: SocketAddr,
    state: AppState,
    psp: Option<SandboxPsp>,
    /// The admin listener (`server.admin_addr`), if any.
    admin: Option<TcpListener>,
}

/// The payment providers this process serves itself, in development.
#[derive(Clone, Default)]
pub(super) struct ProviderSims {
    pub sandbox: Option<SandboxPsp>,
    pub stripe: Option<StripeSim>,
}

/// The adapters of the configured methods; the sandbox provider, when a
/// method uses it, is served by this process too.
async fn payment_providers(settings: &Settings, addr: SocketAddr, css_href: String) -> Result<(Payments, ProviderSims), StartupError> {
    let p = &settings.payments;
    let mut payments = Payments::default();
    let mut sims = ProviderSims::default();
    for kind in settings.deposit.methods.iter().map(|m| m.kind) {
        if payments.provider(kind).is_some() {
            continue;
        }
        payments = match kind {
            MethodKind::BankTransfer => payments.with(kind, Arc::new(BankTransfer)),
            MethodKind::Sandbox => {
                let own = local_base(addr);
                sims.sandbox = Some(
                    SandboxPsp::open(
                        &p.sandbox_database_url,
                        p.api_key.expose_secret(),
                        p.webhook_secret.expose_secret(),
                        format!("{own}/payments/webhook/sandbox"),
                        p.sandbox_async_delay_ms,
                        css_href.clone(),
                    )
                    .await?,
                );
                let client = SandboxClient::new(
                    &format!("{own}/psp/sandbox"),
                    p.api_key.expose_secret(),
                    p.webhook_secret.expose_secret(),
                    p.webhook_tolerance_seconds,
                    Duration::from_secs(10),
                );
                payments.with(kind, Arc::new(client))
            }
            MethodKind::StripeCheckout => {
                let s = &p.stripe;
                let api_base = if s.api_base.is_empty() {
                    let own = local_base(addr);
                    let sim = StripeSim::new(
                        s.secret_key.expose_secret(),
                        s.webhook_secret.expose_secret(),
                        format!("{own}/payments/webhook/stripe"),
                        s.simulator_async_delay_ms,
                        css_href.clone(),
                    );
                    sims.stripe = Some(sim);
                    format!("{own}/psp/stripe")
                } else {
                    s.api_base.clone()
                };
                let client = StripeCheckout::new(
                    &api_base,
                    s.secret_key.expose_secret(),
                    s.webhook_secret.expose_secret(),
                    p.webhook_tolerance_seconds,
                    &settings.server.public_url,
                    (p.pending_expiry_minutes * 60) as i64,
                );
                payments.with(kind, Arc::new(client))
            }
        };
    }
    Ok((payments, sims))
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
        let admin = match settings.server.admin_addr.parse::<SocketAddr>() {
            Ok(wanted) => Some(TcpListener::bind(wanted).await.map_err(|source| StartupError::Bind { addr: wanted, source })?),
            Err(_) => None,
        };
        // Before anything is counted: what is recorded before there is a recorder is lost.
        crate::metrics::handle();
        std::fs::create_dir_all(&settings.storage.data_dir)
            .map_err(|source| StartupError::DataDir { path: settings.storage.data_dir.display().to_string(), source })?;
        let store = store::connect(&settings.storage.database_url).await?;
        if settings.is_staging() {
            tracing::warn!(
                ctrader = %settings.ctrader.base_url,
                "server.staging: this cTrader is declared a test one, so development values (sandbox payment methods, shipped secrets) are allowed; never point this at a live platform"
            );
        }

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
            Duration::from_millis(settings.ctrader.shown_fresh_ms),
        );
        let mut leptos_options = settings.leptos_options();
        leptos_options.site_addr = addr;
        let assets = crate::assets::Assets::load(&leptos_options);
        // Leptos names the hydration scripts after the same hashes.
        leptos_options.hash_files = assets.hashed;
        let sim = sim.map(|s| s.with_css(assets.css_href.clone()));
        let (payments, sims) = payment_providers(&settings, addr, assets.css_href.clone()).await?;
        let documents = crate::kyc::ObjectFiles::open(&settings.storage).map_err(StartupError::Objects)?;
        let theme = crate::theme::ThemeSource::open(&settings.broker.theme_file)?;
        let screening = crate::kyc::screening::Screening::open(&settings.kyc.screening).map_err(StartupError::Screening)?;
        let state = AppState::new(crate::state::Shared {
            documents: Arc::new(documents),
            theme: Arc::new(theme),
            screening: Arc::new(screening),
            settings: Arc::new(settings),
            store,
            ctrader: Arc::new(ctrader),
            payments: Arc::new(payments),
            credit_queued: Arc::new(tokio::sync::Notify::new()),
            debit_queued: Arc::new(tokio::sync::Notify::new()),
            streams: Arc::default(),
            notifier: Arc::new(crate::live::LocalNotifier::default()),
            instance_id: uuid::Uuid::new_v4().simple().to_string(),
            clock: Default::default(),
            leptos_options,
            assets,
        });
        let psp = sims.sandbox.clone();
        let router = router(state.clone(), sim, sims);
        Ok(Application { listener, router, addr, state, psp, admin })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where the admin listener (metrics, probes) is bound, if configured.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin.as_ref().and_then(|l| l.local_addr().ok())
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Every route with its layers, to call in-process (the `fuzz/` targets do).
    pub fn router(&self) -> axum::Router {
        self.router.clone()
    }

    /// Serves until the process is asked to stop (Ctrl-C or SIGTERM).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        if let Some(admin) = self.admin {
            let router = routes::admin_router(self.state.clone());
            tokio::spawn(async move {
                if let Err(e) = axum::serve(admin, router).await {
                    tracing::error!(error = %e, "admin listener stopped");
                }
            });
        }
        spawn_housekeeping(self.state.clone());
        crate::kyc::screening::spawn_reloader(self.state.clone());
        crate::kyc::orphans::spawn_sweeper(self.state.clone());
        crate::live::notifier::spawn_watcher(
            self.state.store.clone(),
            self.state.notifier.clone(),
            self.state.instance_id.clone(),
            Duration::from_millis(self.state.settings.chat.watch_interval_ms),
        );
        if let Some(psp) = self.psp.clone() {
            spawn_deliverer(psp);
        }
        let mut workers = Vec::new();
        if self.state.settings.payments.worker {
            workers.push(credit::spawn_worker(self.state.clone()));
            workers.push(crate::withdrawal::debit::spawn_worker(self.state.clone()));
            workers.push(crate::kyc::access::spawn_worker(self.state.clone()));
            workers.push(crate::notify::spawn_worker(self.state.clone()));
        }
        let streams = self.state.streams.clone();
        let drain = Duration::from_millis(self.state.settings.server.drain_ms);
        let shutdown = async move {
            shutdown_signal().await;
            // From here on /readyz fails and the workers take no new job; a
            // load balancer stops sending new requests while this instance
            // still answers them (and keeps its live streams) for `drain`.
            streams.begin_shutdown();
            if !drain.is_zero() {
                tracing::info!(drain_ms = drain.as_millis() as u64, "draining: not ready, still serving");
                tokio::time::sleep(drain).await;
            }
            // Live event streams never finish by themselves: end them now
            // (their clients reconnect to an instance the balancer still
            // sends to), so the graceful shutdown waits only for real requests.
            streams.stop_all();
        };
        let served = serve::serve(self.listener, self.router, &self.state.settings.server, shutdown).await;
        // The workers saw the shutdown too: they take no new jobs and finish
        // the attempts they started (each ends inside its lease).
        let finishing = futures::future::join_all(workers);
        if tokio::time::timeout(Duration::from_millis(crate::ledger::lease_ms(&self.state) as u64), finishing).await.is_err() {
            tracing::warn!("workers still busy at the end of a lease after the shutdown; stopping anyway");
        }
        served
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
