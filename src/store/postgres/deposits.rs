use async_trait::async_trait;
use sqlx::{Postgres, Transaction};

use super::listing::Listing;
use super::outbox::Outbox;
use super::PgStore;
use crate::domain::DepositState;
use crate::domain::{DepositId, Login};
use crate::store::deposits::COUNTED;
use crate::store::{AuditJob, Capped, CreditJob, DepositCap, DepositRecord, DepositStore, DuplicateCredit, EventOutcome, StoreError};

/// Credits: confirmed deposits' balance changes.
/// A state's queue oldest change first; all deposits newest first.
const DEPOSITS: Listing = Listing { table: "deposits", in_state: "updated_at, id", all: "created_at DESC, id DESC" };
const CREDITS: Outbox = Outbox { table: "credit_outbox", key: "deposit_id", parent: "deposits", amount: "confirmed_minor", since: "created_at" };

/// Records a provider event once; `false` when it was seen before. A copy of
/// the event being recorded by another transaction waits for it to end.
async fn record_event(tx: &mut Transaction<'_, Postgres>, event_id: &str, deposit_id: &DepositId, kind: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("INSERT INTO payment_events (event_id, deposit_id, kind, received_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
        .bind(event_id)
        .bind(deposit_id)
        .bind(kind)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether the deposit exists, locking its row until the transaction ends:
/// events for one deposit (on any instance) are then applied one at a time,
/// as under SQLite's single writer.
async fn lock_deposit(tx: &mut Transaction<'_, Postgres>, id: &DepositId) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query("SELECT 1 FROM deposits WHERE id = $1 FOR UPDATE").bind(id).fetch_optional(&mut **tx).await?.is_some())
}

#[async_trait]
impl DepositStore for PgStore {
    async fn create_or_get(&self, d: &DepositRecord) -> Result<(DepositRecord, bool), StoreError> {
        // A racing insert of the same key waits for the other to commit, then
        // does nothing; the read that follows sees the winner's row.
        let inserted = insert(&self.pool, d).await?;
        Ok((stored(&self.pool, d).await?, inserted))
    }

    async fn create_capped(&self, d: &DepositRecord, cap: &DepositCap) -> Result<Capped, StoreError> {
        let mut tx = self.pool.begin().await?;
        // One trader's capped inserts take turns (on every instance): the
        // sum below sees every deposit inserted before this one.
        sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))").bind(DEPOSIT_CAP_LOCKS).bind(d.login.to_string()).execute(&mut *tx).await?;
        if let Some(existing) = sqlx::query_as("SELECT * FROM deposits WHERE login = $1 AND idempotency_key = $2")
            .bind(d.login)
            .bind(&d.idempotency_key)
            .fetch_optional(&mut *tx)
            .await?
        {
            return Ok(Capped::Stored(Box::new(existing), false));
        }
        let (window, lifetime) = usage(&mut *tx, d.login, cap.since).await?;
        if over(cap, window, lifetime, d.requested_minor) {
            return Ok(Capped::Over);
        }
        insert(&mut *tx, d).await?;
        let record = stored(&mut *tx, d).await?;
        tx.commit().await?;
        Ok(Capped::Stored(Box::new(record), true))
    }

    async fn usage(&self, login: Login, since: i64) -> Result<(i64, i64), StoreError> {
        Ok(usage(&self.pool, login, since).await?)
    }

    async fn set_provider_payment(&self, id: &DepositId, provider_payment_id: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE deposits SET provider_payment_id = $1, updated_at = $2 WHERE id = $3 AND provider_payment_id IS NULL")
            .bind(provider_payment_id)
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn get(&self, id: &DepositId) -> Result<Option<DepositRecord>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM deposits WHERE id = $1").bind(id).fetch_optional(&self.pool).await?)
    }

    async fn by_payment_id(&self, provider_payment_id: &str) -> Result<Option<DepositRecord>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM deposits WHERE provider_payment_id = $1").bind(provider_payment_id).fetch_optional(&self.pool).await?)
    }

    async fn known_payment_ids(&self, ids: &[String]) -> Result<std::collections::HashSet<String>, StoreError> {
        // One array parameter: no limit on bound variables to chunk around.
        let known: Vec<String> =
            sqlx::query_scalar("SELECT provider_payment_id FROM deposits WHERE provider_payment_id = ANY($1)").bind(ids).fetch_all(&self.pool).await?;
        Ok(known.into_iter().collect())
    }

    async fn recent(&self, login: Login, limit: i64) -> Result<Vec<DepositRecord>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM deposits WHERE login = $1 ORDER BY created_at DESC, id DESC LIMIT $2")
            .bind(login)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn page(&self, state: Option<DepositState>, limit: i64, offset: i64) -> Result<Vec<DepositRecord>, StoreError> {
        DEPOSITS.page(&self.pool, state, limit, offset).await
    }

    async fn count(&self, state: Option<DepositState>) -> Result<i64, StoreError> {
        DEPOSITS.count(&self.pool, state).await
    }

    async fn duplicate_count(&self) -> Result<i64, StoreError> {
        CREDITS.duplicate_count(&self.pool).await
    }

    async fn confirm(&self, event_id: &str, deposit_id: &DepositId, confirmed_minor: i64, now: i64) -> Result<EventOutcome, StoreError> {
        let mut tx = self.pool.begin().await?;
        // Locked: two webhooks for this payment (any instance) decide one after the other.
        if !lock_deposit(&mut tx, deposit_id).await? {
            return Ok(EventOutcome::UnknownDeposit);
        }
        if !record_event(&mut tx, event_id, deposit_id, "succeeded", now).await? {
            return Ok(EventOutcome::Duplicate);
        }
        // A success outranks an earlier failure or cancel of the same payment
        // (events can arrive out of order): the money was taken, so it is credited.
        let moved = sqlx::query(
            "UPDATE deposits SET state = 'confirmed', confirmed_minor = $1, failure_reason = NULL, updated_at = $2 \
             WHERE id = $3 AND state IN ('pending', 'failed', 'cancelled', 'expired') AND confirmed_minor IS NULL",
        )
        .bind(confirmed_minor)
        .bind(now)
        .bind(deposit_id)
        .execute(&mut *tx)
        .await?;
        let outcome = if moved.rows_affected() == 1 {
            sqlx::query("INSERT INTO credit_outbox (deposit_id, state, attempts, next_at) VALUES ($1, 'pending', 0, $2)")
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
        let mut tx = self.pool.begin().await?;
        // Locked: this event and a racing success are decided one after the other.
        if !lock_deposit(&mut tx, deposit_id).await? {
            return Ok(EventOutcome::UnknownDeposit);
        }
        if !record_event(&mut tx, event_id, deposit_id, state.as_str(), now).await? {
            return Ok(EventOutcome::Duplicate);
        }
        let moved = sqlx::query("UPDATE deposits SET state = $1, failure_reason = $2, updated_at = $3 WHERE id = $4 AND state = 'pending'")
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
        let mut tx = self.pool.begin().await?;
        // Locked: this event and a racing confirmation are decided one after the other.
        if !lock_deposit(&mut tx, deposit_id).await? {
            return Ok(EventOutcome::UnknownDeposit);
        }
        if !record_event(&mut tx, event_id, deposit_id, "succeeded", now).await? {
            return Ok(EventOutcome::Duplicate);
        }
        let moved = sqlx::query(
            "UPDATE deposits SET state = 'review', failure_reason = $1, updated_at = $2 \
             WHERE id = $3 AND state IN ('pending', 'failed', 'cancelled', 'expired') AND confirmed_minor IS NULL",
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
        CREDITS.claim(&self.pool, now, lease_ms, limit).await
    }

    async fn mark_credited(&self, deposit_id: &DepositId, attempt: i64, balance_history_id: i64, now: i64, audit_at: Option<i64>) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        // Deposit row first, then the job: the order every transaction here
        // takes them in, so two never wait on each other.
        lock_deposit(&mut tx, deposit_id).await?;
        sqlx::query("UPDATE deposits SET state = 'credited', balance_history_id = $1, updated_at = $2 WHERE id = $3 AND state = 'confirmed'")
            .bind(balance_history_id)
            .bind(now)
            .bind(deposit_id)
            .execute(&mut *tx)
            .await?;
        let closed = CREDITS.close(&mut tx, deposit_id, attempt, audit_at).await?;
        tx.commit().await?;
        Ok(closed)
    }

    async fn schedule_audit(&self, deposit_id: &DepositId, at: i64) -> Result<(), StoreError> {
        CREDITS.schedule_audit(&self.pool, deposit_id, at).await
    }

    async fn claim_audits(&self, now: i64, lease_ms: i64, limit: i64) -> Result<Vec<AuditJob>, StoreError> {
        CREDITS.claim_audits(&self.pool, now, lease_ms, limit).await
    }

    async fn finish_audit(&self, deposit_id: &DepositId, duplicate: Option<&str>) -> Result<(), StoreError> {
        CREDITS.finish_audit(&self.pool, deposit_id, duplicate).await
    }

    async fn duplicate_credits(&self, limit: i64, offset: i64) -> Result<Vec<DuplicateCredit>, StoreError> {
        Ok(CREDITS.duplicates(&self.pool, limit, offset).await?.into_iter().map(|(deposit, copies)| DuplicateCredit { deposit, copies }).collect())
    }

    async fn resolve_duplicate(&self, deposit_id: &DepositId) -> Result<bool, StoreError> {
        CREDITS.resolve_duplicate(&self.pool, deposit_id).await
    }

    async fn retry_credit_at(&self, deposit_id: &DepositId, attempt: i64, next_at: i64, error: &str) -> Result<(), StoreError> {
        CREDITS.retry_at(&self.pool, deposit_id, attempt, next_at, error).await
    }

    async fn review_credit(&self, deposit_id: &DepositId, attempt: i64, reason: &str, now: i64) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        // Deposit row before the job, as `mark_credited` takes them (else the two could deadlock).
        lock_deposit(&mut tx, deposit_id).await?;
        let fenced = CREDITS.park(&mut tx, deposit_id, attempt, "review", reason, None).await?;
        if fenced {
            sqlx::query("UPDATE deposits SET state = 'review', failure_reason = $1, updated_at = $2 WHERE id = $3 AND state = 'confirmed'")
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
        let mut tx = self.pool.begin().await?;
        // Deposit row before the job, as `mark_credited` takes them (else the two could deadlock).
        lock_deposit(&mut tx, deposit_id).await?;
        // Guarded: of two people requeueing at once, one moves the job.
        let moved = sqlx::query("UPDATE credit_outbox SET state = 'pending', next_at = $1, locked_until = NULL WHERE deposit_id = $2 AND state = 'review'")
            .bind(now)
            .bind(deposit_id)
            .execute(&mut *tx)
            .await?;
        if moved.rows_affected() == 1 {
            sqlx::query("UPDATE deposits SET state = 'confirmed', failure_reason = NULL, updated_at = $1 WHERE id = $2 AND state = 'review'")
                .bind(now)
                .bind(deposit_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(moved.rows_affected() == 1)
    }

    async fn expire_pending(&self, before: i64, now: i64) -> Result<u64, StoreError> {
        // Guarded by `state = 'pending'`, rechecked on a row a webhook just moved.
        let done =
            sqlx::query("UPDATE deposits SET state = 'expired', failure_reason = 'expired', updated_at = $1 WHERE state = 'pending' AND created_at < $2")
                .bind(now)
                .bind(before)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected())
    }
}

/// The class of the advisory locks one trader's capped deposits take turns on.
const DEPOSIT_CAP_LOCKS: i32 = 0x4450_4350;

/// Inserts `d` unless its form was submitted before; whether it was new.
async fn insert<'c>(db: impl sqlx::Executor<'c, Database = Postgres>, d: &DepositRecord) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO deposits (id, login, user_id, idempotency_key, currency, digits, requested_minor, fee_minor, method, state, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (login, idempotency_key) DO NOTHING",
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
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The deposit stored for `d`'s form.
async fn stored<'c>(db: impl sqlx::Executor<'c, Database = Postgres>, d: &DepositRecord) -> Result<DepositRecord, sqlx::Error> {
    sqlx::query_as("SELECT * FROM deposits WHERE login = $1 AND idempotency_key = $2").bind(d.login).bind(&d.idempotency_key).fetch_one(db).await
}

async fn usage<'c>(db: impl sqlx::Executor<'c, Database = Postgres>, login: Login, since: i64) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT COALESCE(SUM(CASE WHEN created_at >= $1 THEN COALESCE(confirmed_minor, requested_minor) ELSE 0 END), 0)::BIGINT, \
                COALESCE(SUM(COALESCE(confirmed_minor, requested_minor)), 0)::BIGINT \
         FROM deposits WHERE login = $2 AND {COUNTED}"
    ))
    .bind(since)
    .bind(login)
    .fetch_one(db)
    .await
}

/// Whether `requested` on top of what is counted passes a cap.
fn over(cap: &DepositCap, window: i64, lifetime: i64, requested: i64) -> bool {
    cap.window_minor.is_some_and(|max| window.saturating_add(requested) > max) || cap.lifetime_minor.is_some_and(|max| lifetime.saturating_add(requested) > max)
}
