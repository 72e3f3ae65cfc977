//! Single flight per one-time token across every instance. The claim is one
//! `INSERT … ON CONFLICT DO NOTHING`: a concurrent claimer of the same hash
//! waits for the first insert to commit, then inserts nothing, so exactly one
//! sees a row inserted.

use async_trait::async_trait;

use super::PgStore;
use crate::store::{Claim, StoreError, TokenClaimStore};

#[async_trait]
impl TokenClaimStore for PgStore {
    async fn claim(&self, token_hash: &str, now_ms: i64) -> Result<Claim, StoreError> {
        let done = sqlx::query("INSERT INTO ot_token_claims (token_hash, claimed_at) VALUES ($1, $2) ON CONFLICT (token_hash) DO NOTHING")
            .bind(token_hash)
            .bind(now_ms)
            .execute(&self.pool)
            .await?;
        Ok(if done.rows_affected() == 1 { Claim::Won } else { Claim::Taken })
    }

    async fn release(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM ot_token_claims WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
        Ok(())
    }

    async fn purge(&self, older_than_ms: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM ot_token_claims WHERE claimed_at < $1").bind(older_than_ms).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }
}
