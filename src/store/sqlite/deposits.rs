use async_trait::async_trait;
use sqlx::{FromRow, Row, Sqlite, Transaction};

use super::SqliteStore;
use crate::domain::DepositState;
use crate::domain::{DepositId, Login};
use crate::store::{AuditJob, CreditJob, DepositRecord, DepositStore, DuplicateCredit, EventOutcome, StoreError};

/// Records a provider event once; `false` when it was seen before.
async fn record_event(tx: &mut Transaction<'_, Sqlite>, event_id: &str, deposit_id: &DepositId, kind: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("INSERT INTO payment_events (event_id, deposit_id, kind, received_at) VALUES (?,?,?,?) ON CONFLICT DO NOTHING")
        .bind(event_id)
        .bind(deposit_id)
        .bind(kind)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

async fn deposit_exists(tx: &mut Transaction<'_, Sqlite>, id: &str) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query("SELECT 1 FROM deposits WHERE id = ?").bind(id).fetch_optional(&mut **tx).await?.is_some())
}

#[async_trait]
impl DepositStore for SqliteStore {
    async fn create_or_get(&self, d: &DepositRecord) -> Result<(DepositRecord, bool), StoreError> {
        let done = sqlx::query(
            "INSERT INTO deposits (id, login, user_id, idempotency_key, currency, digits, requested_minor, fee_minor, method, state, created_at, updated_at) \
             VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (login, idempotency_key) DO NOTHING",
        )
        .bind(&d.id)
        .bind(d.login)
        .bind(d.user_id)
        .bind(&d.idempotency_key)
        .bind(&d.currency)
        .bind(d.digits as i64)
        .bind(d.requested_minor)
        .bind(d.fee_minor)
        .bind(&d.method)
        .bind(d.state)
        .bind(d.created_at)
        .bind(d.updated_at)
        .execute(&self.pool)
        .await?;
        let stored = sqlx::query_as("SELECT * FROM deposits WHERE login = ? AND idempotency_key = ?")
            .bind(d.login)
            .bind(&d.idempotency_key)
            .fetch_one(&self.pool)
            .await?;
        Ok((stored, done.rows_affected() == 1))
    }

    async fn set_provider_payment(&self, id: &DepositId, provider_payment_id: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE deposits SET provider_payment_id = ?, updated_at = ? WHERE id = ? AND provider_payment_id IS NULL")
            .bind(provider_payment_id)
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn get(&self, id: &DepositId) -> Result<Option<DepositRecord>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM deposits WHERE id = ?").bind(id).fetch_optional(&self.pool).await?)
    }

    async fn by_payment_id(&self, provider_payment_id: &str) -> Result<Option<DepositRecord>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM deposits WHERE provider_payment_id = ?").bind(provider_payment_id).fetch_optional(&self.pool).await?)
    }

    async fn known_payment_ids(&self, ids: &[String]) -> Result<std::collections::HashSet<String>, StoreError> {
        let mut known = std::collections::HashSet::new();
        for chunk in ids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(",");
            let sql = format!("SELECT provider_payment_id FROM deposits WHERE provider_payment_id IN ({marks})");
            let mut q = sqlx::query_scalar::<_, String>(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            known.extend(q.fetch_all(&self.pool).await?);
        }
        Ok(known)
    }

    async fn recent(&self, login: Login, limit: i64) -> Result<Vec<DepositRecord>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM deposits WHERE login = ? ORDER BY created_at DESC, id DESC LIMIT ?")
            .bind(login)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn latest(&self, limit: i64) -> Result<Vec<DepositRecord>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM deposits ORDER BY created_at DESC, id DESC LIMIT ?").bind(limit).fetch_all(&self.pool).await?)
    }

    async fn confirm(&self, event_id: &str, deposit_id: &DepositId, confirmed_minor: i64, now: i64) -> Result<EventOutcome, StoreError> {
        let mut tx = super::write_tx(&self.pool).await?;
        if !deposit_exists(&mut tx, deposit_id).await? {
            return Ok(EventOutcome::UnknownDeposit);
        }
        if !record_event(&mut tx, event_id, deposit_id, "succeeded", now).await? {
            return Ok(EventOutcome::Duplicate);
        }
        // A success outranks an earlier failure or cancel of the same payment
        // (events can arrive out of order): the money was taken, so it is credited.
        let moved = sqlx::query(
            "UPDATE deposits SET state = 'confirmed', confirmed_minor = ?, failure_reason = NULL, updated_at = ? \
             WHERE id = ? AND state IN ('pending', 'failed', 'cancelled', 'expired') AND confirmed_minor IS NULL",
        )
        .bind(confirmed_minor)
        .bind(now)
        .bind(deposit_id)
        .execute(&mut *tx)
        .await?;
        let outcome = if moved.rows_affected() == 1 {
            sqlx::query("INSERT INTO credit_outbox (deposit_id, state, attempts, next_at) VALUES (?, 'pending', 0, ?)")
                .bind(deposit_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            EventOutcome::Applied
        } else {
            EventOutcome::Ignored
        };
        tx.commit().await?;
        Ok(outcome)
    }

    async fn close_unpaid(&self, event_id: &str, deposit_id: &DepositId, state: DepositState, reason: &str, now: i64) -> Result<EventOutcome, StoreError> {
        let mut tx = super::write_tx(&self.pool).await?;
        if !deposit_exists(&mut tx, deposit_id).await? {
            return Ok(EventOutcome::UnknownDeposit);
        }
        if !record_event(&mut tx, event_id, deposit_id, state.as_str(), now).await? {
            return Ok(EventOutcome::Duplicate);
        }
        let moved = sqlx::query("UPDATE deposits SET state = ?, failure_reason = ?, updated_at = ? WHERE id = ? AND state = 'pending'")
            .bind(state)
            .bind(reason)
            .bind(now)
            .bind(deposit_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(if moved.rows_affected() == 1 { EventOutcome::Applied } else { EventOutcome::Ignored })
    }

    async fn hold_for_review(&self, event_id: &str, deposit_id: &DepositId, reason: &str, now: i64) -> Result<EventOutcome, StoreError> {
        let mut tx = super::write_tx(&self.pool).await?;
        if !deposit_exists(&mut tx, deposit_id).await? {
            return Ok(EventOutcome::UnknownDeposit);
        }
        if !record_event(&mut tx, event_id, deposit_id, "succeeded", now).await? {
            return Ok(EventOutcome::Duplicate);
        }
        let moved = sqlx::query(
            "UPDATE deposits SET state = 'review', failure_reason = ?, updated_at = ? \
             WHERE id = ? AND state IN ('pending', 'failed', 'cancelled', 'expired') AND confirmed_minor IS NULL",
        )
        .bind(reason)
        .bind(now)
        .bind(deposit_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(if moved.rows_affected() == 1 { EventOutcome::Applied } else { EventOutcome::Ignored })
    }

    async fn claim_credits(&self, now: i64, lease_ms: i64, limit: i64) -> Result<Vec<CreditJob>, StoreError> {
        let mut tx = super::write_tx(&self.pool).await?;
        let ids: Vec<String> = sqlx::query_scalar(
            "UPDATE credit_outbox SET attempts = attempts + 1, locked_until = ? WHERE deposit_id IN \
             (SELECT deposit_id FROM credit_outbox WHERE state = 'pending' AND next_at <= ? \
              AND (locked_until IS NULL OR locked_until <= ?) ORDER BY next_at LIMIT ?) RETURNING deposit_id",
        )
        .bind(now + lease_ms)
        .bind(now)
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let mut jobs = Vec::with_capacity(ids.len());
        for id in ids {
            let r = sqlx::query(
                "SELECT d.id, d.login, d.digits, d.confirmed_minor, d.created_at, o.attempts \
                 FROM deposits d JOIN credit_outbox o ON o.deposit_id = d.id WHERE d.id = ?",
            )
            .bind(&id)
            .fetch_one(&mut *tx)
            .await?;
            jobs.push(CreditJob {
                id: r.try_get("id")?,
                login: r.try_get("login")?,
                digits: r.try_get::<i64, _>("digits")? as u32,
                amount_minor: r.try_get::<Option<i64>, _>("confirmed_minor")?.unwrap_or(0),
                attempt: r.try_get("attempts")?,
                created_at: r.try_get("created_at")?,
                leased_until: now + lease_ms,
            });
        }
        tx.commit().await?;
        Ok(jobs)
    }

    async fn mark_credited(&self, deposit_id: &DepositId, attempt: i64, balance_history_id: i64, now: i64, audit_at: Option<i64>) -> Result<bool, StoreError> {
        let mut tx = super::write_tx(&self.pool).await?;
        sqlx::query("UPDATE deposits SET state = 'credited', balance_history_id = ?, updated_at = ? WHERE id = ? AND state = 'confirmed'")
            .bind(balance_history_id)
            .bind(now)
            .bind(deposit_id)
            .execute(&mut *tx)
            .await?;
        let closed = sqlx::query(
            "UPDATE credit_outbox SET state = 'done', locked_until = NULL, last_error = NULL, audit_at = ? \
             WHERE deposit_id = ? AND attempts = ? AND state = 'pending'",
        )
        .bind(audit_at)
        .bind(deposit_id)
        .bind(attempt)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(closed.rows_affected() == 1)
    }

    async fn schedule_audit(&self, deposit_id: &DepositId, at: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE credit_outbox SET audit_at = COALESCE(audit_at, ?) WHERE deposit_id = ? AND state = 'done'")
            .bind(at)
            .bind(deposit_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn claim_audits(&self, now: i64, lease_ms: i64, limit: i64) -> Result<Vec<AuditJob>, StoreError> {
        let rows = sqlx::query(
            "UPDATE credit_outbox SET audit_at = ? WHERE deposit_id IN \
             (SELECT deposit_id FROM credit_outbox WHERE audit_at IS NOT NULL AND audit_at <= ? AND state = 'done' ORDER BY audit_at LIMIT ?) \
             RETURNING deposit_id, (SELECT login FROM deposits WHERE id = credit_outbox.deposit_id) AS login, \
             (SELECT created_at FROM deposits WHERE id = credit_outbox.deposit_id) AS created_at, \
             (SELECT balance_history_id FROM deposits WHERE id = credit_outbox.deposit_id) AS balance_history_id",
        )
        .bind(now + lease_ms)
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditJob {
                    id: r.try_get("deposit_id")?,
                    login: r.try_get("login")?,
                    created_at: r.try_get("created_at")?,
                    balance_history_id: r.try_get("balance_history_id")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    async fn finish_audit(&self, deposit_id: &DepositId, duplicate: Option<&str>) -> Result<(), StoreError> {
        let sql = match duplicate {
            Some(_) => "UPDATE credit_outbox SET audit_at = NULL, state = 'duplicate', last_error = ? WHERE deposit_id = ? AND state = 'done'",
            None => "UPDATE credit_outbox SET audit_at = NULL WHERE deposit_id = ? AND state = 'done'",
        };
        let mut q = sqlx::query(sql);
        if let Some(copies) = duplicate {
            q = q.bind(copies);
        }
        q.bind(deposit_id).execute(&self.pool).await?;
        Ok(())
    }

    async fn duplicate_credits(&self, limit: i64) -> Result<Vec<DuplicateCredit>, StoreError> {
        let rows = sqlx::query(
            "SELECT d.*, o.last_error AS copies FROM deposits d JOIN credit_outbox o ON o.deposit_id = d.id \
             WHERE o.state = 'duplicate' ORDER BY d.updated_at DESC LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok(DuplicateCredit { deposit: DepositRecord::from_row(r)?, copies: r.try_get::<Option<String>, _>("copies")?.unwrap_or_default() }))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    async fn resolve_duplicate(&self, deposit_id: &DepositId) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE credit_outbox SET state = 'reconciled' WHERE deposit_id = ? AND state = 'duplicate'")
            .bind(deposit_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn retry_credit_at(&self, deposit_id: &DepositId, attempt: i64, next_at: i64, error: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE credit_outbox SET next_at = ?, locked_until = NULL, last_error = ? WHERE deposit_id = ? AND attempts = ? AND state = 'pending'")
            .bind(next_at)
            .bind(error)
            .bind(deposit_id)
            .bind(attempt)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn review_credit(&self, deposit_id: &DepositId, attempt: i64, reason: &str, now: i64) -> Result<(), StoreError> {
        let mut tx = super::write_tx(&self.pool).await?;
        let fenced = sqlx::query(
            "UPDATE credit_outbox SET state = 'review', locked_until = NULL, last_error = ? WHERE deposit_id = ? AND attempts = ? AND state = 'pending'",
        )
        .bind(reason)
        .bind(deposit_id)
        .bind(attempt)
        .execute(&mut *tx)
        .await?;
        if fenced.rows_affected() == 1 {
            sqlx::query("UPDATE deposits SET state = 'review', failure_reason = ?, updated_at = ? WHERE id = ? AND state = 'confirmed'")
                .bind(reason)
                .bind(now)
                .bind(deposit_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn requeue_credit(&self, deposit_id: &DepositId, now: i64) -> Result<bool, StoreError> {
        let mut tx = super::write_tx(&self.pool).await?;
        let moved = sqlx::query("UPDATE credit_outbox SET state = 'pending', next_at = ?, locked_until = NULL WHERE deposit_id = ? AND state = 'review'")
            .bind(now)
            .bind(deposit_id)
            .execute(&mut *tx)
            .await?;
        if moved.rows_affected() == 1 {
            sqlx::query("UPDATE deposits SET state = 'confirmed', failure_reason = NULL, updated_at = ? WHERE id = ? AND state = 'review'")
                .bind(now)
                .bind(deposit_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(moved.rows_affected() == 1)
    }

    async fn expire_pending(&self, before: i64, now: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("UPDATE deposits SET state = 'expired', failure_reason = 'expired', updated_at = ? WHERE state = 'pending' AND created_at < ?")
            .bind(now)
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
