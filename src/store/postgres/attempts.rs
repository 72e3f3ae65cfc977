//! Sign-in tries, counted per key across every instance (see `security::throttle`).
//!
//! Needs `sign_in_failures.id` (an identity column): SQLite answers its
//! implicit `rowid`, which PostgreSQL has no stable equivalent of.

use async_trait::async_trait;
use sqlx::PgConnection;

use super::PgStore;
use crate::store::{AttemptClaim, AttemptStore, StoreError};

/// How long an address stays known for an account after its last sign-in.
const KNOWN_MS: i64 = 90 * 24 * 3_600_000;

/// The advisory lock class of a sign-in key (`pg_advisory_xact_lock(class, hashtext(key))`):
/// its own space, apart from other classes and from sqlx's one-key migration lock.
const ATTEMPT_LOCK: i32 = 0x5349_474E; // "SIGN"

#[async_trait]
impl AttemptStore for PgStore {
    async fn claim(&self, claim: &AttemptClaim, now: i64, since: i64) -> Result<Option<Vec<i64>>, StoreError> {
        // A read first: a flood of refused tries never takes a lock.
        let mut conn = self.pool.acquire().await?;
        if !within_limits(&mut conn, claim, now, since).await? {
            return Ok(None);
        }
        drop(conn);
        let mut tx = self.pool.begin().await?;
        // SQLite's single writer made count-then-insert exact; here tries run side
        // by side, so each key is locked (in one order: no deadlock) until commit,
        // and tries sent all at once still cannot slip past a limit.
        let mut keys: Vec<&str> = claim.limits.iter().map(|(key, _, _)| key.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        for key in keys {
            sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))").bind(ATTEMPT_LOCK).bind(key).execute(&mut *tx).await?;
        }
        if !within_limits(&mut tx, claim, now, since).await? {
            return Ok(None);
        }
        let mut rows = Vec::with_capacity(claim.limits.len());
        for (key, _, _) in &claim.limits {
            let row: i64 =
                sqlx::query_scalar("INSERT INTO sign_in_failures (key_hash, at) VALUES ($1, $2) RETURNING id").bind(key).bind(now).fetch_one(&mut *tx).await?;
            rows.push(row);
        }
        tx.commit().await?;
        Ok(Some(rows))
    }

    async fn release(&self, key: &str, known: &[String], rows: &[i64], now: i64, before: i64) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM sign_in_failures WHERE key_hash = $1 OR at < $2").bind(key).bind(before).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM sign_in_failures WHERE id = ANY($1)").bind(rows).execute(&mut *tx).await?;
        // Expired known keys go before the upserts (same end state as SQLite's
        // order), and the upserts run in key order: two releases at once
        // lock `sign_in_known` rows in the same order and cannot deadlock.
        sqlx::query("DELETE FROM sign_in_known WHERE at < $1").bind(now - KNOWN_MS).execute(&mut *tx).await?;
        let mut known: Vec<&str> = known.iter().map(String::as_str).collect();
        known.sort_unstable();
        known.dedup();
        for k in known {
            sqlx::query("INSERT INTO sign_in_known (key_hash, at) VALUES ($1, $2) ON CONFLICT (key_hash) DO UPDATE SET at = EXCLUDED.at")
                .bind(k)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn abandon(&self, rows: &[i64]) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sign_in_failures WHERE id = ANY($1)").bind(rows).execute(&self.pool).await?;
        Ok(())
    }

    async fn record_failure(&self, key_hash: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO sign_in_failures (key_hash, at) VALUES ($1, $2)").bind(key_hash).bind(now).execute(&self.pool).await?;
        Ok(())
    }

    async fn failures_since(&self, key_hash: &str, since: i64) -> Result<i64, StoreError> {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM sign_in_failures WHERE key_hash = $1 AND at >= $2").bind(key_hash).bind(since).fetch_one(&self.pool).await?;
        Ok(n)
    }
}

/// Whether no limit of `claim` is reached: each limit's tries since
/// `since`, unless one of its known keys signed in within `KNOWN_MS`.
async fn within_limits(conn: &mut PgConnection, claim: &AttemptClaim, now: i64, since: i64) -> Result<bool, StoreError> {
    for (key, most, known) in &claim.limits {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM sign_in_failures WHERE key_hash = $1 AND at >= $2").bind(key).bind(since).fetch_one(&mut *conn).await?;
        if n < *most {
            continue;
        }
        let mut exempt = false;
        for k in known {
            let seen =
                sqlx::query("SELECT 1 FROM sign_in_known WHERE key_hash = $1 AND at >= $2").bind(k).bind(now - KNOWN_MS).fetch_optional(&mut *conn).await?;
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
