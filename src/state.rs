//! What every handler and server function can reach. `FromRef` lets a
//! handler take only the part it uses (`State(store): State<Store>`).
//!
//! `AppState` is a handle (one `Arc`): axum, leptos and every server
//! function clone it several times per request, and cloning the parts
//! themselves (a score of `Arc`s, the Leptos options' strings) showed up as
//! a tenth of a rendered page's CPU time.

use std::ops::Deref;
use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::config::Settings;
use crate::ctrader::CtraderClient;
use crate::deposit::Payments;
use crate::store::Store;

#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        AppState(Arc::new(shared))
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl FromRef<AppState> for Store {
    fn from_ref(state: &AppState) -> Store {
        state.store.clone()
    }
}

impl FromRef<AppState> for Arc<crate::theme::ThemeSource> {
    fn from_ref(state: &AppState) -> Self {
        state.theme.clone()
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

pub struct Shared {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub ctrader: Arc<CtraderClient>,
    /// The adapter of each configured payment method's kind.
    pub payments: Arc<Payments>,
    /// Wakes this process's crediting worker when a credit is queued. Other
    /// instances find the job by polling the outbox; a shared notifier
    /// (PostgreSQL LISTEN/NOTIFY) can replace this without touching callers.
    pub credit_queued: Arc<tokio::sync::Notify>,
    /// Live event streams open on this instance, per session and person (`live::slots`).
    pub streams: Arc<crate::live::slots::StreamSlots>,
    /// The same for the debiting worker, when finance approves a withdrawal.
    pub debit_queued: Arc<tokio::sync::Notify>,
    /// KYC document files (local disk today; S3-compatible is another impl).
    pub documents: Arc<dyn crate::kyc::DocumentFiles>,
    /// The broker's theme file, re-read when it changes.
    pub theme: Arc<crate::theme::ThemeSource>,
    /// The sanctions and PEP lists, re-read when their files change.
    pub screening: Arc<crate::kyc::screening::Screening>,
    /// Wakes the live streams of this process (see `live::notifier`).
    pub notifier: Arc<dyn crate::live::Notifier>,
    /// Now, as expiry rules see it (see `time::Clock`).
    pub clock: crate::time::Clock,
    /// This process's name in the chat change log, so it skips its own changes.
    pub instance_id: String,
    pub leptos_options: LeptosOptions,
    /// The site's file names (hashed or not) and how long they may be kept.
    pub assets: crate::assets::Assets,
}

impl Shared {
    /// The stylesheet cargo-leptos builds from `style/main.css`.
    pub fn css_href(&self) -> String {
        self.assets.css_href.clone()
    }

    /// The trader screens' styles: in the page when the site's CSS can be
    /// read, linked otherwise ([`crate::render::Styles`]).
    pub fn screen_styles(&self, nonce: String) -> crate::render::Styles {
        match self.assets.css_text() {
            Some(site) => crate::render::Styles::Inline { site, theme: self.theme.current().css(), nonce },
            None => crate::render::Styles::Linked(self.css_href()),
        }
    }
}
