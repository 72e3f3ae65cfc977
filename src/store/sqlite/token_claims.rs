use async_trait::async_trait;

use super::SqliteStore;
use crate::store::{Claim, StoreError, TokenClaimStore};

#[async_trait]
impl TokenClaimStore for SqliteStore {
    async fn claim(&self, token_hash: &str, now_ms: i64) -> Result<Claim, StoreError> {
        let done = sqlx::query("INSERT INTO ot_token_claims (token_hash, claimed_at) VALUES (?, ?) ON CONFLICT DO NOTHING")
            .bind(token_hash)
            .bind(now_ms)
            .execute(&self.pool)
            .await?;
        Ok(if done.rows_affected() == 1 { Claim::Won } else { Claim::Taken })
    }

    async fn release(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM ot_token_claims WHERE token_hash = ?").bind(token_hash).execute(&self.pool).await?;
        Ok(())
    }

    async fn purge(&self, older_than_ms: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM ot_token_claims WHERE claimed_at < ?").bind(older_than_ms).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }
}
