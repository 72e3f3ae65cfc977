use md5::{Digest, Md5};
use sqlx::SqlitePool;

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
    /// Balance-change requests received and not finished (answered, dropped,
    /// or landed late under `slowApply`): zero means no change can still land.
    pub changes_in_flight: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

/// Counts one balance-change request in flight for as long as it lives,
/// whichever way it ends (a panic or a dropped connection included).
pub struct InFlight(std::sync::Arc<std::sync::atomic::AtomicI64>);

impl InFlight {
    pub fn new(counter: &std::sync::Arc<std::sync::atomic::AtomicI64>) -> Self {
        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        InFlight(counter.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
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
            changes_in_flight: Default::default(),
        })
    }

    /// Lets the simulator play cTrader's part of Full SSO against `base_url`.
    pub fn with_broker(mut self, base_url: String, crm_password: String) -> Self {
        let http =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).timeout(std::time::Duration::from_secs(10)).build().unwrap_or_default();
        self.broker = Some(BrokerPeer { base_url, crm_password, http });
        self
    }
}
