//! Sign-in tries, counted per key across every instance (see `security::throttle`).

use async_trait::async_trait;

use super::StoreError;

/// The limits one sign-in try is checked against, each `(key, most tries in
/// the window, known)`: a limit does not apply when one of its `known` keys
/// has signed in before. The try is recorded under every key.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptClaim {
    pub limits: Vec<(String, i64, Vec<String>)>,
}

#[async_trait]
pub trait AttemptStore: Send + Sync {
    /// In one transaction: if no limit counted since `since` is reached,
    /// records the try under every key and answers its rows; else `None`.
    async fn claim(&self, claim: &AttemptClaim, now: i64, since: i64) -> Result<Option<Vec<i64>>, StoreError>;
    /// A try succeeded: forgets its `rows` and every failure of `key`, marks
    /// the `known` keys as having signed in, and drops what is older than `before`.
    async fn release(&self, key: &str, known: &[String], rows: &[i64], now: i64, before: i64) -> Result<(), StoreError>;
    /// A try that could not be checked (our failure, not a wrong password): its rows go.
    async fn abandon(&self, rows: &[i64]) -> Result<(), StoreError>;
    async fn record_failure(&self, key_hash: &str, now: i64) -> Result<(), StoreError>;
    async fn failures_since(&self, key_hash: &str, since: i64) -> Result<i64, StoreError>;
}
