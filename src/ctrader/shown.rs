//! The trader as the screens show it (balance, currency, name), read from
//! cTrader at most once per `fresh` per login on this instance.
//!
//! Why: every render of the deposit, withdrawal and account screens showed
//! the balance from a fresh cTrader call, so a screen rendered no faster than
//! cTrader answered, and a reload storm became a storm of Manager API calls.
//! The freshness rule: a balance on a screen is at most `fresh` old (from
//! the moment cTrader answered), except that a balance change this instance
//! sends shows at the next render: the login is forgotten before and after
//! the change is sent, and a read that was already on its way when it was
//! forgotten is not kept. Another instance's change shows within `fresh`, as
//! does one whose call was cut off at its deadline (its outcome unknown).
//!
//! Only for showing. Money decisions (a withdrawal against the balance, the
//! credit worker's history lookups) always ask cTrader.

use std::sync::Arc;
use std::time::{Duration, Instant};

use moka::future::Cache;

use super::{CtraderError, Trader};
use crate::domain::Login;

/// Logins kept at once: a bound on memory, far above the traders one
/// instance has on screen within `fresh`.
const CAPACITY: u64 = 50_000;

pub(super) struct Shown {
    caches: Option<Caches>,
}

struct Caches {
    /// The trader, and when the read that brought it started.
    traders: Cache<Login, (Instant, Trader)>,
    /// When each login was last forgotten: kept as long as a read started
    /// before then could stay kept (`fresh` after the slowest read).
    forgotten: Cache<Login, Instant>,
}

impl Shown {
    /// `fresh` zero keeps nothing: every read goes to cTrader. `slowest` is
    /// the longest a read can take (its calls' timeouts: a manager sign-in
    /// and two tries).
    pub(super) fn new(fresh: Duration, slowest: Duration) -> Self {
        let caches = (!fresh.is_zero()).then(|| Caches {
            traders: Cache::builder().max_capacity(CAPACITY).time_to_live(fresh).build(),
            forgotten: Cache::builder().max_capacity(CAPACITY).time_to_live(fresh + slowest).build(),
        });
        Shown { caches }
    }

    /// The kept trader, or `read`'s answer (kept when it is one). Renders
    /// asking at once for a login not kept share one read.
    pub(super) async fn get<F>(&self, login: Login, read: F) -> Result<Trader, CtraderError>
    where
        F: std::future::Future<Output = Result<Trader, CtraderError>>,
    {
        let Some(c) = &self.caches else { return read.await };
        // When the read started, not when it answered: a change that landed
        // in between may or may not be in the answer.
        let started = Instant::now();
        let (read_at, trader) =
            c.traders.try_get_with(login, async move { read.await.map(|t| (started, t)) }).await.map_err(|e: Arc<CtraderError>| (*e).clone())?;
        // Asked before the login was last forgotten: possibly the balance
        // before this instance's change. Dropped; the next render asks again.
        if c.forgotten.get(&login).await.is_some_and(|at| read_at <= at) {
            c.traders.invalidate(&login).await;
        }
        Ok(trader)
    }

    /// Forgets the login's trader: its balance is about to change, or did.
    pub(super) async fn forget(&self, login: Login) {
        if let Some(c) = &self.caches {
            c.forgotten.insert(login, Instant::now()).await;
            c.traders.invalidate(&login).await;
        }
    }
}
