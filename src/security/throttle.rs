//! Slows password guessing: after `MAX_FAILURES` wrong passwords for one key
//! (a staff or trader email, or the CRM API password) within `WINDOW_MS`,
//! that key is refused until the window has passed, right password or not.
//! Counted in the database, so every instance agrees.

use crate::session::hash;
use crate::state::AppState;
use crate::store::StoreError;

pub const MAX_FAILURES: i64 = 5;
pub const WINDOW_MS: i64 = 15 * 60_000;

fn key(scope: &str, subject: &str) -> String {
    hash(&format!("{scope}:{}", subject.trim().to_ascii_lowercase()))
}

/// Whether `subject` in `scope` has used up its attempts for now.
pub async fn locked(state: &AppState, scope: &str, subject: &str) -> Result<bool, StoreError> {
    Ok(state.store.attempts.failures_since(&key(scope, subject), state.clock.now_ms() - WINDOW_MS).await? >= MAX_FAILURES)
}

pub async fn failed(state: &AppState, scope: &str, subject: &str) -> Result<(), StoreError> {
    state.store.attempts.record_failure(&key(scope, subject), state.clock.now_ms()).await
}

pub async fn succeeded(state: &AppState, scope: &str, subject: &str) -> Result<(), StoreError> {
    state.store.attempts.clear_failures(&key(scope, subject), state.clock.now_ms() - WINDOW_MS).await
}
