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
//!   a client the account signed in from before may try (a botnet spread
//!   over many addresses): the same address, or the same browser on any
//!   address. A successful sign-in leaves a device cookie (OWASP's "device
//!   cookie" against online guessing: a random token, remembered for the
//!   account for 90 days), so the real user on a new network, with the
//!   browser they used before, still gets in. Each successful sign-in
//!   issues a new token (one planted in the browser is never adopted), and
//!   a device token has `PER_DEVICE` tries a window of its own.
//!
//! A try is counted when it starts, in the transaction that checks the
//! limits, and forgotten only if it succeeds: tries sent all at once cannot
//! slip past a limit. A client's address is `web::ClientAddr` (the
//! connection, or what a trusted proxy says).
//!
//! cTrader's CRM API password has one key and is never locked (anyone could
//! lock cTrader out): past the limit each try waits a second.

use std::net::IpAddr;

use axum::http::{HeaderMap, HeaderValue};

use crate::session::{hash, new_session_id, session_ids, set_named};
use crate::state::AppState;
use crate::store::{AttemptClaim, StoreError};

pub const PER_PAIR: i64 = 5;
pub const PER_CLIENT: i64 = 20;
pub const PER_ACCOUNT: i64 = 50;
pub const WINDOW_MS: i64 = 15 * 60_000;

fn key(parts: &[&str]) -> String {
    hash(&parts.iter().map(|p| p.trim().to_ascii_lowercase()).collect::<Vec<_>>().join(":"))
}

/// The cookie naming a browser that signed in before (its token is random;
/// the database keeps only a hash of it with each account). Over https it
/// carries the `__Host-` prefix: no subdomain, no plain-http page can set it.
pub fn device_cookie_name(settings: &crate::config::Settings) -> &'static str {
    if settings.is_https() {
        "__Host-signin_device"
    } else {
        "signin_device"
    }
}
const DEVICE_DAYS: i64 = 90;
/// Tries one device token has in a window, whatever the addresses.
pub const PER_DEVICE: i64 = 10;

/// A sign-in try that was let through, counted until it succeeds.
pub struct Attempt {
    scope: String,
    account: String,
    pair: String,
    rows: Vec<i64>,
}

impl std::fmt::Debug for Attempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attempt").field("scope", &self.scope).field("rows", &self.rows).finish_non_exhaustive()
    }
}

fn device_key(scope: &str, account: &str, token: &str) -> String {
    key(&[scope, account, "device", token])
}

/// Counts a try at `account` in `scope` from `client` (with the request's
/// `headers`, for the device cookie) and lets it through, or `None` when a
/// limit is reached (refuse it without checking the password).
pub async fn begin(state: &AppState, scope: &str, account: &str, client: IpAddr, headers: &HeaderMap) -> Result<Option<Attempt>, StoreError> {
    // An IPv6 client by its /64: one host has all of it to rotate through.
    let client = crate::web::client::client_key(client).to_string();
    let pair = key(&[scope, account, &client]);
    // Only what we issue: 256 bits, base64url (a browser may hold a few, from parent domains).
    let devices: Vec<String> = session_ids(headers, device_cookie_name(&state.settings))
        .into_iter()
        .filter(|d| d.len() == 43 && d.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .map(|d| device_key(scope, account, &d))
        .collect();
    let mut known = vec![pair.clone()];
    known.extend(devices.iter().cloned());
    let mut limits =
        vec![(pair.clone(), PER_PAIR, vec![]), (key(&[scope, "client", &client]), PER_CLIENT, vec![]), (key(&[scope, "account", account]), PER_ACCOUNT, known)];
    limits.extend(devices.into_iter().map(|d| (d, PER_DEVICE, vec![])));
    let now = state.clock.now_ms();
    let claimed = state.store.attempts.claim(&AttemptClaim { limits }, now, now - WINDOW_MS).await?;
    Ok(claimed.map(|rows| Attempt { scope: scope.to_string(), account: account.to_string(), pair, rows }))
}

/// The password was right: the try is forgotten, the pair's earlier failures
/// too, and its address and this browser are ones the account is known to
/// sign in from. Answers the device cookie to set: always a new token, so
/// a token someone planted in the browser is never adopted.
pub async fn succeeded(state: &AppState, attempt: Attempt) -> Result<HeaderValue, StoreError> {
    let now = state.clock.now_ms();
    let token = new_session_id();
    let known = [attempt.pair.clone(), device_key(&attempt.scope, &attempt.account, &token)];
    state.store.attempts.release(&attempt.pair, &known, &attempt.rows, now, now - WINDOW_MS).await?;
    Ok(set_named(&state.settings, device_cookie_name(&state.settings), &token, cookie::time::Duration::days(DEVICE_DAYS)))
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
    state.store.attempts.release(&key(&["crm", "api"]), &[], &[], now, now - WINDOW_MS).await
}
