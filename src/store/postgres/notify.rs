use async_trait::async_trait;

use super::PgStore;
use crate::store::{NoticeRecord, NotifyStore, StoreError};

#[async_trait]
impl NotifyStore for PgStore {
    async fn claim_notices(&self, now: i64, lease_ms: i64, limit: i64) -> Result<Vec<NoticeRecord>, StoreError> {
        Ok(sqlx::query_as(CLAIM).bind(now + lease_ms).bind(now).bind(limit).fetch_all(&self.pool).await?)
    }

    async fn notice_sent(&self, id: i64, attempt: i64, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE notify_outbox SET delivered_at = $1, locked_until = NULL, last_error = NULL WHERE id = $2 AND attempts = $3")
            .bind(now)
            .bind(id)
            .bind(attempt)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn notice_retry(&self, id: i64, attempt: i64, next_at: i64, error: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE notify_outbox SET next_at = $1, locked_until = NULL, last_error = $2 WHERE id = $3 AND attempts = $4")
            .bind(next_at)
            .bind(error)
            .bind(id)
            .bind(attempt)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn notices_unsent_nowhere(&self, now: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("UPDATE notify_outbox SET delivered_at = $1, last_error = 'no CRM configured' WHERE delivered_at IS NULL")
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    async fn purge_notices(&self, before: i64) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM notify_outbox WHERE delivered_at < $1").bind(before).execute(&self.pool).await?.rows_affected())
    }
}

/// SKIP LOCKED: two instances claiming at once take different rows. Due,
/// not leased, and no earlier event of the same subject still unsent.
const CLAIM: &str = "UPDATE notify_outbox SET attempts = attempts + 1, locked_until = $1 WHERE id IN \
     (SELECT n.id FROM notify_outbox n WHERE n.delivered_at IS NULL AND n.next_at <= $2 AND (n.locked_until IS NULL OR n.locked_until <= $2) \
      AND NOT EXISTS (SELECT 1 FROM notify_outbox e WHERE e.kind = n.kind AND e.subject = n.subject AND e.id < n.id AND e.delivered_at IS NULL) \
      ORDER BY n.id LIMIT $3 FOR UPDATE SKIP LOCKED) \
     RETURNING id, kind, subject, login, state, amount_minor, digits, currency, kyc_type, occurred_at, attempts";
