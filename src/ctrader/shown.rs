//! The trader as the screens show it (balance, currency, name), read from
//! cTrader at most once per `fresh` per login on this instance.
//!
//! Why: every render of the deposit, withdrawal and account screens showed
//! the balance from a fresh cTrader call, so a screen rendered no faster than
//! cTrader answered, and a reload storm became a storm of Manager API calls.
//! The freshness rule: a balance on a screen is at most `fresh` old (from
//! the moment cTrader answered), except that a balance change this instance
//! makes is shown at once (the entry is dropped when the change is sent).
//! Another instance's change shows within `fresh`.
//!
//! Only for showing. Money decisions (a withdrawal against the balance, the
//! credit worker's history lookups) always ask cTrader.

use std::sync::Arc;
use std::time::Duration;

use super::{CtraderError, Trader};
use crate::domain::Login;

/// Logins kept at once: a bound on memory, far above the traders one
/// instance has on screen within `fresh`.
const CAPACITY: u64 = 50_000;

pub(super) struct Shown {
    cache: Option<moka::future::Cache<Login, Trader>>,
}

impl Shown {
    /// `fresh` zero keeps nothing: every read goes to cTrader.
    pub(super) fn new(fresh: Duration) -> Self {
        let cache = (!fresh.is_zero()).then(|| moka::future::Cache::builder().max_capacity(CAPACITY).time_to_live(fresh).build());
        Shown { cache }
    }

    /// The kept trader, or `read`'s answer (kept when it is one). Renders
    /// asking at once for a login not kept share one read.
    pub(super) async fn get<F>(&self, login: Login, read: F) -> Result<Trader, CtraderError>
    where
        F: std::future::Future<Output = Result<Trader, CtraderError>>,
    {
        match &self.cache {
            Some(cache) => cache.try_get_with(login, read).await.map_err(|e: Arc<CtraderError>| (*e).clone()),
            None => read.await,
        }
    }

    /// Forgets the login's trader: its balance is about to change.
    pub(super) async fn forget(&self, login: Login) {
        if let Some(cache) = &self.cache {
            cache.invalidate(&login).await;
        }
    }
}
