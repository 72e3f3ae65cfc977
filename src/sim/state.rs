use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use md5::{Digest, Md5};
use sqlx::SqlitePool;

use super::faults::ENDPOINTS;
use crate::store::StoreError;

#[derive(Clone)]
pub struct SimState {
    pub pool: SqlitePool,
    pub token_ttl_ms: i64,
    pub manager_login: u64,
    /// MD5 of the manager password, as cTrader compares it.
    pub hashed_password: String,
    /// In Full SSO mode, the broker the simulator calls as cTrader.
    pub broker: Option<BrokerPeer>,
    /// Balance changes accepted under `slowApply` that have not landed yet.
    /// Tests wait for it to reach zero instead of sleeping for the delay.
    pub slow_pending: std::sync::Arc<std::sync::atomic::AtomicI64>,
    /// Per contract endpoint, requests received and not finished (answered,
    /// dropped with their connection, or landed late under `slowApply`): zero
    /// means nothing of that endpoint can still happen. Tests wait on it
    /// instead of sleeping.
    in_flight: Arc<[AtomicI64; ENDPOINTS.len()]>,
    /// The site's stylesheet (its name may carry the build's hash).
    pub css_href: String,
}

/// Counts one request in flight for as long as it lives, whichever way it
/// ends (a panic or a dropped connection included).
pub struct InFlight(Arc<[AtomicI64; ENDPOINTS.len()]>, usize);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0[self.1].fetch_sub(1, Ordering::SeqCst);
    }
}

/// The broker's `/oauth2` endpoints as cTrader reaches them.
#[derive(Clone)]
pub struct BrokerPeer {
    pub base_url: String,
    pub crm_password: String,
    pub http: reqwest::Client,
}

impl SimState {
    pub async fn open(database_url: &str, token_ttl_seconds: u64, manager_login: u64, manager_password: &str) -> Result<Self, StoreError> {
        let pool = crate::store::sqlite::open_pool(database_url).await?;
        sqlx::migrate!("src/sim/migrations").run(&pool).await.map_err(|e| StoreError::Migration(e.to_string()))?;
        Ok(SimState {
            pool,
            token_ttl_ms: token_ttl_seconds as i64 * 1000,
            manager_login,
            hashed_password: hex::encode(Md5::digest(manager_password.as_bytes())),
            broker: None,
            slow_pending: Default::default(),
            in_flight: Default::default(),
            css_href: "/pkg/broker-inapp.css".into(),
        })
    }

    /// The launcher page links this stylesheet.
    pub fn with_css(mut self, css_href: String) -> Self {
        self.css_href = css_href;
        self
    }

    /// Marks one request of `endpoint` (one of [`ENDPOINTS`]) in flight until
    /// the guard is dropped.
    pub fn in_flight(&self, endpoint: &str) -> Option<InFlight> {
        let i = ENDPOINTS.iter().position(|e| *e == endpoint)?;
        self.in_flight[i].fetch_add(1, Ordering::SeqCst);
        Some(InFlight(self.in_flight.clone(), i))
    }

    /// How many requests of each endpoint are in flight now.
    pub fn in_flight_counts(&self) -> impl Iterator<Item = (&'static str, i64)> + '_ {
        ENDPOINTS.iter().zip(self.in_flight.iter()).map(|(e, n)| (*e, n.load(Ordering::SeqCst)))
    }

    /// Lets the simulator play cTrader's part of Full SSO against `base_url`.
    pub fn with_broker(mut self, base_url: String, crm_password: String) -> Self {
        let http =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).timeout(std::time::Duration::from_secs(10)).build().unwrap_or_default();
        self.broker = Some(BrokerPeer { base_url, crm_password, http });
        self
    }
}
