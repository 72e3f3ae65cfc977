//! The withdrawal records and the debiting outbox, for several instances at
//! once: a step that decides on a withdrawal locks its row first (`FOR
//! UPDATE`), or is one guarded `UPDATE … WHERE state = …`; a trader's new
//! request holds a per-trader lock while it counts and inserts. Locks are
//! taken withdrawal row first, then its `debit_outbox` row, so no two steps
//! wait on each other.

use async_trait::async_trait;

use super::listing::Listing;
use super::outbox::Outbox;
use super::PgStore;
use std::collections::HashMap;

use crate::domain::{DepositId, Login, WithdrawalId, WithdrawalState};
use crate::store::withdrawals::{DebitAudit, DebitJob, Decision, DuplicateDebit, RequestOutcome, WithdrawalRecord, WithdrawalStore, MAX_OPEN};
use crate::store::StoreError;

/// Debits: approved withdrawals' balance changes.
/// A state's queue oldest request first; all withdrawals latest change first.
const WITHDRAWALS: Listing = Listing { table: "withdrawals", in_state: "created_at, id", all: "updated_at DESC, id DESC" };
const DEBITS: Outbox = Outbox { table: "debit_outbox", key: "withdrawal_id", parent: "withdrawals", amount: "amount_minor", since: "approved_at" };

/// States whose amount is still to be debited: what a new request cannot take.
const HOLDING: &str = "('requested', 'approved')";
/// States in which nothing was or will be paid out.
const CLOSED: &str = "('rejected', 'cancelled')";

/// The advisory lock class of a trader's new requests
/// (`pg_advisory_xact_lock(class, hashint8(login))`): its own space, apart
/// from other classes and from sqlx's one-key migration lock.
const REQUEST_LOCK: i32 = 0x5744_5241; // "WDRA"

#[async_trait]
impl WithdrawalStore for PgStore {
    async fn request(&self, w: &WithdrawalRecord, balance_minor: i64, card_limit_minor: Option<i64>) -> Result<RequestOutcome, StoreError> {
        let mut tx = self.pool.begin().await?;
        // SQLite's single writer made count-then-insert safe; here two requests of
        // one trader (on any instance) would both count the same open requests, so
        // the trader's requests take turns until commit. A card is one of the
        // trader's own deposits, so this also guards the card's total.
        sqlx::query("SELECT pg_advisory_xact_lock($1, hashint8($2))").bind(REQUEST_LOCK).bind(w.login).execute(&mut *tx).await?;
        let existing: Option<WithdrawalRecord> = sqlx::query_as("SELECT * FROM withdrawals WHERE login = $1 AND idempotency_key = $2")
            .bind(w.login)
            .bind(&w.idempotency_key)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(existing) = existing {
            return Ok(RequestOutcome::Existing(existing));
        }
        // Counted under the lock, in the transaction that inserts: two requests
        // at once cannot both take the same balance.
        let held: i64 = sqlx::query_scalar(&format!("SELECT COALESCE(SUM(amount_minor), 0)::BIGINT FROM withdrawals WHERE login = $1 AND state IN {HOLDING}"))
            .bind(w.login)
            .fetch_one(&mut *tx)
            .await?;
        let available_minor = (balance_minor - held).max(0);
        if w.amount_minor > available_minor {
            return Ok(RequestOutcome::OverBalance { available_minor });
        }
        let open: i64 =
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM withdrawals WHERE login = $1 AND state IN {HOLDING}")).bind(w.login).fetch_one(&mut *tx).await?;
        if open >= MAX_OPEN {
            return Ok(RequestOutcome::TooManyOpen);
        }
        if let (Some(card), Some(limit)) = (&w.card_deposit_id, card_limit_minor) {
            let taken: i64 = sqlx::query_scalar(&format!(
                "SELECT COALESCE(SUM(amount_minor), 0)::BIGINT FROM withdrawals WHERE card_deposit_id = $1 AND state NOT IN {CLOSED}"
            ))
            .bind(card)
            .fetch_one(&mut *tx)
            .await?;
            let available_minor = (limit - taken).max(0);
            if w.amount_minor > available_minor {
                return Ok(RequestOutcome::OverCard { available_minor });
            }
        }
        // The lock already orders same-key requests; `ON CONFLICT` keeps a
        // stray duplicate key from aborting the transaction all the same.
        let stored: Option<WithdrawalRecord> = sqlx::query_as(
            "INSERT INTO withdrawals (id, login, user_id, idempotency_key, currency, digits, amount_minor, payout, iban, holder, card_deposit_id, \
             state, four_eyes, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,'requested',$12,$13,$14) \
             ON CONFLICT (login, idempotency_key) DO NOTHING RETURNING *",
        )
        .bind(&w.id)
        .bind(w.login)
        .bind(w.user_id)
        .bind(&w.idempotency_key)
        .bind(&w.currency)
        .bind(w.digits as i64)
        .bind(w.amount_minor)
        .bind(&w.payout)
        .bind(&w.iban)
        .bind(&w.holder)
        .bind(&w.card_deposit_id)
        .bind(w.four_eyes)
        .bind(w.created_at)
        .bind(w.updated_at)
        .fetch_optional(&mut *tx)
        .await?;
        let outcome = match stored {
            Some(stored) => RequestOutcome::Created(stored),
            None => RequestOutcome::Existing(
                sqlx::query_as("SELECT * FROM withdrawals WHERE login = $1 AND idempotency_key = $2")
                    .bind(w.login)
                    .bind(&w.idempotency_key)
                    .fetch_one(&mut *tx)
                    .await?,
            ),
        };
        tx.commit().await?;
        Ok(outcome)
    }

    async fn card_payouts_minor(&self, login: Login) -> Result<HashMap<DepositId, i64>, StoreError> {
        let rows: Vec<(DepositId, i64)> = sqlx::query_as(&format!(
            "SELECT card_deposit_id, SUM(amount_minor)::BIGINT FROM withdrawals \
             WHERE login = $1 AND card_deposit_id IS NOT NULL AND state NOT IN {CLOSED} GROUP BY card_deposit_id"
        ))
        .bind(login)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().collect())
    }

    async fn held_minor(&self, login: Login) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(&format!("SELECT COALESCE(SUM(amount_minor), 0)::BIGINT FROM withdrawals WHERE login = $1 AND state IN {HOLDING}"))
            .bind(login)
            .fetch_one(&self.pool)
            .await?)
    }

    async fn get(&self, id: &WithdrawalId) -> Result<Option<WithdrawalRecord>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM withdrawals WHERE id = $1").bind(id).fetch_optional(&self.pool).await?)
    }

    async fn for_login(&self, login: Login, limit: i64) -> Result<Vec<WithdrawalRecord>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM withdrawals WHERE login = $1 ORDER BY created_at DESC, id DESC LIMIT $2")
            .bind(login)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn list(&self, state: Option<WithdrawalState>, limit: i64, offset: i64) -> Result<Vec<WithdrawalRecord>, StoreError> {
        WITHDRAWALS.page(&self.pool, state, limit, offset).await
    }

    async fn count(&self, state: WithdrawalState) -> Result<i64, StoreError> {
        WITHDRAWALS.count(&self.pool, Some(state)).await
    }

    async fn cancel(&self, id: &WithdrawalId, login: Login, now: i64) -> Result<bool, StoreError> {
        // Guarded: racing an approval, it waits for that row lock and then finds the state moved.
        let done = sqlx::query("UPDATE withdrawals SET state = 'cancelled', updated_at = $1 WHERE id = $2 AND login = $3 AND state = 'requested'")
            .bind(now)
            .bind(id)
            .bind(login)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn approve(&self, id: &WithdrawalId, staff: i64, now: i64) -> Result<Decision, StoreError> {
        let mut tx = self.pool.begin().await?;
        // Locked before deciding: a second approver (here or on another instance)
        // or the trader's cancel waits, then sees this decision.
        let Some(w) = sqlx::query_as::<_, WithdrawalRecord>("SELECT * FROM withdrawals WHERE id = $1 FOR UPDATE").bind(id).fetch_optional(&mut *tx).await?
        else {
            return Ok(Decision::NotFound);
        };
        if w.state != WithdrawalState::Requested {
            return Ok(Decision::WrongState);
        }
        if w.four_eyes && w.first_approved_by.is_none() {
            sqlx::query("UPDATE withdrawals SET first_approved_by = $1, updated_at = $2 WHERE id = $3 AND state = 'requested' AND first_approved_by IS NULL")
                .bind(staff)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(Decision::AwaitingSecond);
        }
        if w.four_eyes && w.first_approved_by == Some(staff) {
            return Ok(Decision::SameApprover);
        }
        let done =
            sqlx::query("UPDATE withdrawals SET state = 'approved', approved_by = $1, approved_at = $2, updated_at = $3 WHERE id = $4 AND state = 'requested'")
                .bind(staff)
                .bind(now)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() != 1 {
            return Ok(Decision::WrongState);
        }
        sqlx::query("INSERT INTO debit_outbox (withdrawal_id, state, attempts, next_at) VALUES ($1, 'pending', 0, $2)")
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Decision::Done)
    }

    async fn reject(&self, id: &WithdrawalId, staff: i64, reason: &str, now: i64) -> Result<Decision, StoreError> {
        let done = sqlx::query(
            "UPDATE withdrawals SET state = 'rejected', reject_code = 'finance', reason = $1, rejected_by = $2, updated_at = $3 \
             WHERE id = $4 AND state = 'requested'",
        )
        .bind(reason)
        .bind(staff)
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(if done.rows_affected() == 1 { Decision::Done } else { self.missing_or_moved(id).await? })
    }

    async fn mark_paid(&self, id: &WithdrawalId, staff: i64, reference: &str, now: i64) -> Result<Decision, StoreError> {
        let done = sqlx::query(
            "UPDATE withdrawals SET state = 'paid', paid_reference = $1, paid_by = $2, paid_at = $3, updated_at = $4 WHERE id = $5 AND state = 'debited'",
        )
        .bind(reference)
        .bind(staff)
        .bind(now)
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(if done.rows_affected() == 1 { Decision::Done } else { self.missing_or_moved(id).await? })
    }

    async fn claim_debits(&self, now: i64, lease_ms: i64, limit: i64) -> Result<Vec<DebitJob>, StoreError> {
        DEBITS.claim(&self.pool, now, lease_ms, limit).await
    }

    async fn mark_debited(&self, id: &WithdrawalId, attempt: i64, balance_history_id: i64, now: i64, audit_at: Option<i64>) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE withdrawals SET state = 'debited', balance_history_id = $1, updated_at = $2 WHERE id = $3 AND state = 'approved'")
            .bind(balance_history_id)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let closed = DEBITS.close(&mut tx, id, attempt, audit_at).await?;
        tx.commit().await?;
        Ok(closed)
    }

    async fn retry_debit_at(&self, id: &WithdrawalId, attempt: i64, next_at: i64, error: &str) -> Result<(), StoreError> {
        DEBITS.retry_at(&self.pool, id, attempt, next_at, error).await
    }

    async fn refuse_debit(&self, id: &WithdrawalId, attempt: i64, code: &str, reason: &str, now: i64) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        // The withdrawal before its job, as `mark_debited` (a stale worker's) takes them.
        lock_withdrawal(&mut tx, id).await?;
        if DEBITS.park(&mut tx, id, attempt, "refused", reason, None).await? {
            reject_refused(&mut tx, id, code, reason, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn hold_refused_debit(&self, id: &WithdrawalId, attempt: i64, code: &str, reason: &str, audit_at: i64) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        if DEBITS.park(&mut tx, id, attempt, "refused", reason, Some(audit_at)).await? {
            sqlx::query("UPDATE debit_outbox SET refused_code = $1 WHERE withdrawal_id = $2").bind(code).bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn settle_refused_debit(&self, id: &WithdrawalId, copies: &[i64], now: i64) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        // The withdrawal, then the held job, locked before deciding: a second
        // settler (an audit lease that ran out) waits, then finds nothing held.
        lock_withdrawal(&mut tx, id).await?;
        let held: Option<(Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT refused_code, last_error FROM debit_outbox WHERE withdrawal_id = $1 AND state = 'refused' AND audit_at IS NOT NULL FOR UPDATE",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((code, reason)) = held else { return Ok(()) };
        match copies {
            [] => {
                sqlx::query("UPDATE debit_outbox SET audit_at = NULL WHERE withdrawal_id = $1").bind(id).execute(&mut *tx).await?;
                reject_refused(&mut tx, id, code.as_deref().unwrap_or("platform"), reason.as_deref().unwrap_or_default(), now).await?;
            }
            [first, ..] => {
                // The earlier attempt landed: the money is taken, so it is paid out.
                let (state, note) =
                    if copies.len() == 1 { ("done", None) } else { ("duplicate", Some(copies.iter().map(i64::to_string).collect::<Vec<_>>().join(", "))) };
                sqlx::query("UPDATE debit_outbox SET state = $1, audit_at = NULL, last_error = $2 WHERE withdrawal_id = $3")
                    .bind(state)
                    .bind(note)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE withdrawals SET state = 'debited', balance_history_id = $1, updated_at = $2 WHERE id = $3 AND state = 'approved'")
                    .bind(first)
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn schedule_audit(&self, id: &WithdrawalId, at: i64) -> Result<(), StoreError> {
        DEBITS.schedule_audit(&self.pool, id, at).await
    }

    async fn claim_audits(&self, now: i64, lease_ms: i64, limit: i64) -> Result<Vec<DebitAudit>, StoreError> {
        DEBITS.claim_audits(&self.pool, now, lease_ms, limit).await
    }

    async fn finish_audit(&self, id: &WithdrawalId, duplicate: Option<&str>) -> Result<(), StoreError> {
        DEBITS.finish_audit(&self.pool, id, duplicate).await
    }

    async fn duplicate_debits(&self, limit: i64, offset: i64) -> Result<Vec<DuplicateDebit>, StoreError> {
        Ok(DEBITS.duplicates(&self.pool, limit, offset).await?.into_iter().map(|(withdrawal, copies)| DuplicateDebit { withdrawal, copies }).collect())
    }

    async fn duplicate_count(&self) -> Result<i64, StoreError> {
        DEBITS.duplicate_count(&self.pool).await
    }

    async fn resolve_duplicate(&self, id: &WithdrawalId) -> Result<bool, StoreError> {
        DEBITS.resolve_duplicate(&self.pool, id).await
    }
}

/// Locks the withdrawal's row until commit (taken before its `debit_outbox` row).
async fn lock_withdrawal(tx: &mut sqlx::Transaction<'_, sqlx::Postgres>, id: &WithdrawalId) -> Result<(), StoreError> {
    sqlx::query("SELECT 1 FROM withdrawals WHERE id = $1 FOR UPDATE").bind(id).execute(&mut **tx).await?;
    Ok(())
}

/// cTrader refused the debit and nothing of it was taken: the withdrawal is rejected with the refusal.
async fn reject_refused(tx: &mut sqlx::Transaction<'_, sqlx::Postgres>, id: &WithdrawalId, code: &str, reason: &str, now: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE withdrawals SET state = 'rejected', reject_code = $1, reason = $2, updated_at = $3 WHERE id = $4 AND state = 'approved'")
        .bind(code)
        .bind(reason)
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl PgStore {
    /// Why a step that names its starting state changed nothing.
    async fn missing_or_moved(&self, id: &WithdrawalId) -> Result<Decision, StoreError> {
        let exists = sqlx::query("SELECT 1 FROM withdrawals WHERE id = $1").bind(id).fetch_optional(&self.pool).await?.is_some();
        Ok(if exists { Decision::WrongState } else { Decision::NotFound })
    }
}
