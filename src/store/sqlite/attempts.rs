use async_trait::async_trait;
use sqlx::SqliteConnection;

use super::SqliteStore;
use crate::store::{AttemptClaim, AttemptStore, StoreError};

/// How long an address stays known for an account after its last sign-in.
const KNOWN_MS: i64 = 90 * 24 * 3_600_000;

#[async_trait]
impl AttemptStore for SqliteStore {
    async fn claim(&self, claim: &AttemptClaim, now: i64, since: i64) -> Result<Option<Vec<i64>>, StoreError> {
        // A read first: a flood of refused tries never takes the writer's lock.
        let mut conn = self.pool.acquire().await?;
        if !within_limits(&mut conn, claim, now, since).await? {
            return Ok(None);
        }
        drop(conn);
        let mut tx = super::write_tx(&self.pool).await?;
        if !within_limits(&mut tx, claim, now, since).await? {
            return Ok(None);
        }
        let mut rows = Vec::with_capacity(claim.limits.len());
        for (key, _, _) in &claim.limits {
            let row: i64 =
                sqlx::query_scalar("INSERT INTO sign_in_failures (key_hash, at) VALUES (?, ?) RETURNING rowid").bind(key).bind(now).fetch_one(&mut *tx).await?;
            rows.push(row);
        }
        tx.commit().await?;
        Ok(Some(rows))
    }

    async fn release(&self, key: &str, known: &[String], rows: &[i64], now: i64, before: i64) -> Result<(), StoreError> {
        let mut tx = super::write_tx(&self.pool).await?;
        sqlx::query("DELETE FROM sign_in_failures WHERE key_hash = ? OR at < ?").bind(key).bind(before).execute(&mut *tx).await?;
        for row in rows {
            sqlx::query("DELETE FROM sign_in_failures WHERE rowid = ?").bind(row).execute(&mut *tx).await?;
        }
        for k in known {
            sqlx::query("INSERT INTO sign_in_known (key_hash, at) VALUES (?, ?) ON CONFLICT (key_hash) DO UPDATE SET at = excluded.at")
                .bind(k)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM sign_in_known WHERE at < ?").bind(now - KNOWN_MS).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn abandon(&self, rows: &[i64]) -> Result<(), StoreError> {
        for row in rows {
            sqlx::query("DELETE FROM sign_in_failures WHERE rowid = ?").bind(row).execute(&self.pool).await?;
        }
        Ok(())
    }

    async fn record_failure(&self, key_hash: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO sign_in_failures (key_hash, at) VALUES (?, ?)").bind(key_hash).bind(now).execute(&self.pool).await?;
        Ok(())
    }

    async fn failures_since(&self, key_hash: &str, since: i64) -> Result<i64, StoreError> {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM sign_in_failures WHERE key_hash = ? AND at >= ?").bind(key_hash).bind(since).fetch_one(&self.pool).await?;
        Ok(n)
    }
}

/// Whether no limit of `claim` is reached: each limit's tries since
/// `since`, unless one of its known keys signed in within `KNOWN_MS`.
async fn within_limits(conn: &mut SqliteConnection, claim: &AttemptClaim, now: i64, since: i64) -> Result<bool, StoreError> {
    for (key, most, known) in &claim.limits {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM sign_in_failures WHERE key_hash = ? AND at >= ?").bind(key).bind(since).fetch_one(&mut *conn).await?;
        if n < *most {
            continue;
        }
        let mut exempt = false;
        for k in known {
            let seen =
                sqlx::query("SELECT 1 FROM sign_in_known WHERE key_hash = ? AND at >= ?").bind(k).bind(now - KNOWN_MS).fetch_optional(&mut *conn).await?;
            if seen.is_some() {
                exempt = true;
                break;
            }
        }
        if !exempt {
            return Ok(false);
        }
    }
    Ok(true)
}
