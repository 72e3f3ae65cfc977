use async_trait::async_trait;

use super::SqliteStore;
use crate::store::{AttemptStore, StoreError};

#[async_trait]
impl AttemptStore for SqliteStore {
    async fn record_failure(&self, key_hash: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO sign_in_failures (key_hash, at) VALUES (?, ?)").bind(key_hash).bind(now).execute(&self.pool).await?;
        Ok(())
    }

    async fn failures_since(&self, key_hash: &str, since: i64) -> Result<i64, StoreError> {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM sign_in_failures WHERE key_hash = ? AND at >= ?").bind(key_hash).bind(since).fetch_one(&self.pool).await?;
        Ok(n)
    }

    async fn clear_failures(&self, key_hash: &str, before: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sign_in_failures WHERE key_hash = ? OR at < ?").bind(key_hash).bind(before).execute(&self.pool).await?;
        Ok(())
    }
}
