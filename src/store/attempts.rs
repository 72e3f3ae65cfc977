//! Failed sign-in attempts, counted per key across every instance.

use async_trait::async_trait;

use super::StoreError;

#[async_trait]
pub trait AttemptStore: Send + Sync {
    async fn record_failure(&self, key_hash: &str, now: i64) -> Result<(), StoreError>;
    async fn failures_since(&self, key_hash: &str, since: i64) -> Result<i64, StoreError>;
    /// Forgets a key's failures (after a successful sign-in) and anything older than `before`.
    async fn clear_failures(&self, key_hash: &str, before: i64) -> Result<(), StoreError>;
}
