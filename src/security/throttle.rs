//! Slows password guessing without letting anyone lock a real user out.
//!
//! Staff and SSO sign-ins are counted per (account, client address), per
//! client address and per account, in the database so every instance
//! agrees, over `WINDOW_MS`:
//! - `PER_PAIR` tries of one account from one address, then that address is
//!   refused for that account (what stops one client guessing one password);
//! - `PER_CLIENT` tries from one address, whatever the accounts (one client
//!   spraying many accounts);
//! - `PER_ACCOUNT` tries of one account from everywhere: from then on only
//!   addresses that signed in to it before may try (a botnet spread over
//!   many addresses), so the real user on their usual connection still can.
//!
//! A try is counted when it starts, in the transaction that checks the
//! limits, and forgotten only if it succeeds: tries sent all at once cannot
//! slip past a limit. A client's address is `web::ClientAddr` (the
//! connection, or what a trusted proxy says).
//!
//! cTrader's CRM API password has one key and is never locked (anyone could
//! lock cTrader out): past the limit each try waits a second.

use std::net::IpAddr;

use crate::session::hash;
use crate::state::AppState;
use crate::store::{AttemptClaim, StoreError};

pub const PER_PAIR: i64 = 5;
pub const PER_CLIENT: i64 = 20;
pub const PER_ACCOUNT: i64 = 50;
pub const WINDOW_MS: i64 = 15 * 60_000;

fn key(parts: &[&str]) -> String {
    hash(&parts.iter().map(|p| p.trim().to_ascii_lowercase()).collect::<Vec<_>>().join(":"))
}

/// A sign-in try that was let through, counted until it succeeds.
#[derive(Debug)]
pub struct Attempt {
    pair: String,
    rows: Vec<i64>,
}

/// Counts a try at `account` in `scope` from `client` and lets it through,
/// or `None` when a limit is reached (refuse it without checking the password).
pub async fn begin(state: &AppState, scope: &str, account: &str, client: IpAddr) -> Result<Option<Attempt>, StoreError> {
    // An IPv6 client by its /64: one host has all of it to rotate through.
    let client = crate::web::client::client_key(client).to_string();
    let pair = key(&[scope, account, &client]);
    let claim = AttemptClaim {
        limits: vec![
            (pair.clone(), PER_PAIR, None),
            (key(&[scope, "client", &client]), PER_CLIENT, None),
            (key(&[scope, "account", account]), PER_ACCOUNT, Some(pair.clone())),
        ],
    };
    let now = state.clock.now_ms();
    Ok(state.store.attempts.claim(&claim, now, now - WINDOW_MS).await?.map(|rows| Attempt { pair, rows }))
}

/// The password was right: the try is forgotten, the pair's earlier failures
/// too, and its address is one the account is known to sign in from.
pub async fn succeeded(state: &AppState, attempt: Attempt) -> Result<(), StoreError> {
    let now = state.clock.now_ms();
    state.store.attempts.release(&attempt.pair, &attempt.rows, now, now - WINDOW_MS).await
}

/// The try could not be checked (our failure: the password queue was full,
/// storage failed): it does not count against anyone.
pub async fn abandoned(state: &AppState, attempt: Attempt) {
    if let Err(e) = state.store.attempts.abandon(&attempt.rows).await {
        tracing::warn!(error = %e, "forgetting an unchecked sign-in try failed");
    }
}

/// Whether the CRM API password (one key, every caller) has used up its tries.
pub async fn crm_locked(state: &AppState) -> Result<bool, StoreError> {
    Ok(state.store.attempts.failures_since(&key(&["crm", "api"]), state.clock.now_ms() - WINDOW_MS).await? >= PER_PAIR)
}

pub async fn crm_failed(state: &AppState) -> Result<(), StoreError> {
    state.store.attempts.record_failure(&key(&["crm", "api"]), state.clock.now_ms()).await
}

pub async fn crm_succeeded(state: &AppState) -> Result<(), StoreError> {
    let now = state.clock.now_ms();
    state.store.attempts.release(&key(&["crm", "api"]), &[], now, now - WINDOW_MS).await
}
