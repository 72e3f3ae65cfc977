use async_trait::async_trait;

use super::listing::Listing;
use super::outbox::Outbox;
use super::SqliteStore;
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

#[async_trait]
impl WithdrawalStore for SqliteStore {
    async fn request(&self, w: &WithdrawalRecord, balance_minor: i64, card_limit_minor: Option<i64>) -> Result<RequestOutcome, StoreError> {
        let mut tx = super::write_tx(&self.pool).await?;
        let existing: Option<WithdrawalRecord> = sqlx::query_as("SELECT * FROM withdrawals WHERE login = ? AND idempotency_key = ?")
            .bind(w.login)
            .bind(&w.idempotency_key)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(existing) = existing {
            return Ok(RequestOutcome::Existing(existing));
        }
        // Counted in the transaction that inserts: two requests at once
        // cannot both take the same balance.
        let held: i64 = sqlx::query_scalar(&format!("SELECT COALESCE(SUM(amount_minor), 0) FROM withdrawals WHERE login = ? AND state IN {HOLDING}"))
            .bind(w.login)
            .fetch_one(&mut *tx)
            .await?;
        let available_minor = (balance_minor - held).max(0);
        if w.amount_minor > available_minor {
            return Ok(RequestOutcome::OverBalance { available_minor });
        }
        let open: i64 =
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM withdrawals WHERE login = ? AND state IN {HOLDING}")).bind(w.login).fetch_one(&mut *tx).await?;
        if open >= MAX_OPEN {
            return Ok(RequestOutcome::TooManyOpen);
        }
        if let (Some(card), Some(limit)) = (&w.card_deposit_id, card_limit_minor) {
            let taken: i64 =
                sqlx::query_scalar(&format!("SELECT COALESCE(SUM(amount_minor), 0) FROM withdrawals WHERE card_deposit_id = ? AND state NOT IN {CLOSED}"))
                    .bind(card)
                    .fetch_one(&mut *tx)
                    .await?;
            let available_minor = (limit - taken).max(0);
            if w.amount_minor > available_minor {
                return Ok(RequestOutcome::OverCard { available_minor });
            }
        }
        sqlx::query(
            "INSERT INTO withdrawals (id, login, user_id, idempotency_key, currency, digits, amount_minor, payout, iban, holder, card_deposit_id, \
             state, four_eyes, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,'requested',?,?,?)",
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
        .execute(&mut *tx)
        .await?;
        let stored = sqlx::query_as("SELECT * FROM withdrawals WHERE id = ?").bind(&w.id).fetch_one(&mut *tx).await?;
        tx.commit().await?;
        Ok(RequestOutcome::Created(stored))
    }

    async fn card_payouts_minor(&self, login: Login) -> Result<HashMap<DepositId, i64>, StoreError> {
        let rows: Vec<(DepositId, i64)> = sqlx::query_as(&format!(
            "SELECT card_deposit_id, SUM(amount_minor) FROM withdrawals WHERE login = ? AND card_deposit_id IS NOT NULL AND state NOT IN {CLOSED} GROUP BY card_deposit_id"
        ))
        .bind(login)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().collect())
    }

    async fn held_minor(&self, login: Login) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(&format!("SELECT COALESCE(SUM(amount_minor), 0) FROM withdrawals WHERE login = ? AND state IN {HOLDING}"))
            .bind(login)
            .fetch_one(&self.pool)
            .await?)
    }

    async fn get(&self, id: &WithdrawalId) -> Result<Option<WithdrawalRecord>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM withdrawals WHERE id = ?").bind(id).fetch_optional(&self.pool).await?)
    }

    async fn for_login(&self, login: Login, limit: i64) -> Result<Vec<WithdrawalRecord>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM withdrawals WHERE login = ? ORDER BY created_at DESC, id DESC LIMIT ?")
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
        let done = sqlx::query("UPDATE withdrawals SET state = 'cancelled', updated_at = ? WHERE id = ? AND login = ? AND state = 'requested'")
            .bind(now)
            .bind(id)
            .bind(login)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn approve(&self, id: &WithdrawalId, staff: i64, now: i64) -> Result<Decision, StoreError> {
        let mut tx = super::write_tx(&self.pool).await?;
        let Some(w) = sqlx::query_as::<_, WithdrawalRecord>("SELECT * FROM withdrawals WHERE id = ?").bind(id).fetch_optional(&mut *tx).await? else {
            return Ok(Decision::NotFound);
        };
        if w.state != WithdrawalState::Requested {
            return Ok(Decision::WrongState);
        }
        if w.four_eyes && w.first_approved_by.is_none() {
            sqlx::query("UPDATE withdrawals SET first_approved_by = ?, updated_at = ? WHERE id = ? AND state = 'requested' AND first_approved_by IS NULL")
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
        sqlx::query("UPDATE withdrawals SET state = 'approved', approved_by = ?, approved_at = ?, updated_at = ? WHERE id = ? AND state = 'requested'")
            .bind(staff)
            .bind(now)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO debit_outbox (withdrawal_id, state, attempts, next_at) VALUES (?, 'pending', 0, ?)")
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Decision::Done)
    }

    async fn reject(&self, id: &WithdrawalId, staff: i64, reason: &str, now: i64) -> Result<Decision, StoreError> {
        let done = sqlx::query(
            "UPDATE withdrawals SET state = 'rejected', reject_code = 'finance', reason = ?, rejected_by = ?, updated_at = ? WHERE id = ? AND state = 'requested'",
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
            "UPDATE withdrawals SET state = 'paid', paid_reference = ?, paid_by = ?, paid_at = ?, updated_at = ? WHERE id = ? AND state = 'debited'",
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
        let mut tx = super::write_tx(&self.pool).await?;
        sqlx::query("UPDATE withdrawals SET state = 'debited', balance_history_id = ?, updated_at = ? WHERE id = ? AND state = 'approved'")
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
        let mut tx = super::write_tx(&self.pool).await?;
        if DEBITS.park(&mut tx, id, attempt, "refused", reason, None).await? {
            reject_refused(&mut tx, id, code, reason, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn hold_refused_debit(&self, id: &WithdrawalId, attempt: i64, code: &str, reason: &str, audit_at: i64) -> Result<(), StoreError> {
        let mut tx = super::write_tx(&self.pool).await?;
        if DEBITS.park(&mut tx, id, attempt, "refused", reason, Some(audit_at)).await? {
            sqlx::query("UPDATE debit_outbox SET refused_code = ? WHERE withdrawal_id = ?").bind(code).bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn settle_refused_debit(&self, id: &WithdrawalId, copies: &[i64], now: i64) -> Result<(), StoreError> {
        let mut tx = super::write_tx(&self.pool).await?;
        let held: Option<(Option<String>, Option<String>)> =
            sqlx::query_as("SELECT refused_code, last_error FROM debit_outbox WHERE withdrawal_id = ? AND state = 'refused' AND audit_at IS NOT NULL")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((code, reason)) = held else { return Ok(()) };
        match copies {
            [] => {
                sqlx::query("UPDATE debit_outbox SET audit_at = NULL WHERE withdrawal_id = ?").bind(id).execute(&mut *tx).await?;
                reject_refused(&mut tx, id, code.as_deref().unwrap_or("platform"), reason.as_deref().unwrap_or_default(), now).await?;
            }
            [first, ..] => {
                // The earlier attempt landed: the money is taken, so it is paid out.
                let (state, note) =
                    if copies.len() == 1 { ("done", None) } else { ("duplicate", Some(copies.iter().map(i64::to_string).collect::<Vec<_>>().join(", "))) };
                sqlx::query("UPDATE debit_outbox SET state = ?, audit_at = NULL, last_error = ? WHERE withdrawal_id = ?")
                    .bind(state)
                    .bind(note)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE withdrawals SET state = 'debited', balance_history_id = ?, updated_at = ? WHERE id = ? AND state = 'approved'")
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

/// cTrader refused the debit and nothing of it was taken: the withdrawal is rejected with the refusal.
async fn reject_refused(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>, id: &WithdrawalId, code: &str, reason: &str, now: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE withdrawals SET state = 'rejected', reject_code = ?, reason = ?, updated_at = ? WHERE id = ? AND state = 'approved'")
        .bind(code)
        .bind(reason)
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl SqliteStore {
    /// Why a step that names its starting state changed nothing.
    async fn missing_or_moved(&self, id: &WithdrawalId) -> Result<Decision, StoreError> {
        let exists = sqlx::query("SELECT 1 FROM withdrawals WHERE id = ?").bind(id).fetch_optional(&self.pool).await?.is_some();
        Ok(if exists { Decision::WrongState } else { Decision::NotFound })
    }
}
