use async_trait::async_trait;
use sqlx::{Postgres, Transaction};

use super::PgStore;
use crate::domain::DepositId;
use crate::store::{BankStore, EntryRecord, NewEntry, NewWire, StoreError, WireOutcome, WireState, WireView};

/// `awaiting_funds → confirmed` with what arrived less the fee, and the
/// credit queued, in the caller's transaction; `false` if the deposit had moved on.
async fn confirm_deposit(tx: &mut Transaction<'_, Postgres>, deposit_id: &DepositId, amount_minor: i64, now: i64) -> Result<bool, sqlx::Error> {
    let moved = sqlx::query(
        "UPDATE deposits SET state = 'confirmed', confirmed_minor = $1 - fee_minor, failure_reason = NULL, updated_at = $2 \
         WHERE id = $3 AND state = 'awaiting_funds' AND confirmed_minor IS NULL AND $1 > fee_minor",
    )
    .bind(amount_minor)
    .bind(now)
    .bind(deposit_id)
    .execute(&mut **tx)
    .await?;
    if moved.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("INSERT INTO credit_outbox (deposit_id, state, attempts, next_at) VALUES ($1, 'pending', 0, $2)")
        .bind(deposit_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(true)
}

/// Locks a statement line until the transaction ends: recording a wire from
/// it and setting it aside then happen one after the other, and each sees
/// what the other did.
async fn lock_entry(tx: &mut Transaction<'_, Postgres>, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1 FROM bank_entries WHERE id = $1 FOR UPDATE").bind(id).fetch_optional(&mut **tx).await?;
    Ok(())
}

const WIRE_VIEW: &str = "SELECT w.id, w.deposit_id, d.login, d.currency, d.digits, d.requested_minor + d.fee_minor AS expected_minor, \
     w.amount_minor, w.value_date, w.state, w.recorded_by, r.email AS recorded_by_email, a.email AS approved_by_email, w.recorded_at \
     FROM bank_wires w JOIN deposits d ON d.id = w.deposit_id JOIN staff r ON r.id = w.recorded_by LEFT JOIN staff a ON a.id = w.approved_by";

const ENTRY_VIEW: &str = "SELECT e.id, e.statement_id, e.amount, e.currency, e.value_date, e.reference, e.remittance, e.debtor, \
     d.id AS deposit_id, w.id AS wire_id, EXISTS (SELECT 1 FROM bank_wires dw WHERE dw.deposit_id = d.id) AS recorded \
     FROM bank_entries e LEFT JOIN deposits d ON d.provider_payment_id = e.reference \
     LEFT JOIN bank_wires w ON w.entry_id = e.id";

#[async_trait]
impl BankStore for PgStore {
    async fn record_wire(&self, new: &NewWire) -> Result<WireOutcome, StoreError> {
        let mut tx = self.pool.begin().await?;
        // Locked, in id order (so two recorders never deadlock): the deposit,
        // and the deposits the line's reference names. Every wire for a
        // deposit is recorded under its lock, so the checks below see any
        // wire another instance records for them, and the one-wire-per-deposit
        // rule is decided here, not by a unique violation.
        let locked: Vec<(bool, String)> = sqlx::query_as(
            "SELECT id = $1 AS this, state FROM deposits \
             WHERE id = $1 OR provider_payment_id IN (SELECT reference FROM bank_entries WHERE id = $2) ORDER BY id FOR UPDATE",
        )
        .bind(&new.deposit_id)
        .bind(new.entry_id)
        .fetch_all(&mut *tx)
        .await?;
        let Some(state) = locked.into_iter().find_map(|(this, state)| this.then_some(state)) else { return Ok(WireOutcome::NotFound) };
        // Locked: the line is not set aside or used by another wire meanwhile.
        if let Some(entry) = new.entry_id {
            lock_entry(&mut tx, entry).await?;
        }
        if sqlx::query("SELECT 1 FROM bank_wires WHERE deposit_id = $1").bind(&new.deposit_id).fetch_optional(&mut *tx).await?.is_some() {
            return Ok(WireOutcome::AlreadyRecorded);
        }
        if state != "awaiting_funds" {
            return Ok(WireOutcome::NotAwaitingFunds);
        }
        // One payment pays one deposit: a line whose own reference names a
        // deposit already paid, or a deposit whose reference is on a line that
        // paid another, is refused here, inside the transaction that records.
        let elsewhere = match new.entry_id {
            Some(entry) => sqlx::query(
                "SELECT 1 FROM bank_entries e JOIN deposits d ON d.provider_payment_id = e.reference \
                 WHERE e.id = $1 AND d.id <> $2 AND EXISTS (SELECT 1 FROM bank_wires w WHERE w.deposit_id = d.id)",
            )
            .bind(entry)
            .bind(&new.deposit_id)
            .fetch_optional(&mut *tx)
            .await?
            .is_some(),
            None => sqlx::query(
                "SELECT 1 FROM deposits d JOIN bank_entries e ON e.reference = d.provider_payment_id JOIN bank_wires w ON w.entry_id = e.id \
                 WHERE d.id = $1 AND w.deposit_id <> d.id",
            )
            .bind(&new.deposit_id)
            .fetch_optional(&mut *tx)
            .await?
            .is_some(),
        };
        if elsewhere {
            return Ok(WireOutcome::RecordedElsewhere);
        }
        if let Some(entry) = new.entry_id {
            let used =
                "SELECT 1 FROM bank_entries e WHERE e.id = $1 AND (e.dismissed_at IS NOT NULL OR EXISTS (SELECT 1 FROM bank_wires w WHERE w.entry_id = e.id))";
            if sqlx::query(used).bind(entry).fetch_optional(&mut *tx).await?.is_some() {
                return Ok(WireOutcome::EntryUsed);
            }
        }
        let state = if new.four_eyes { WireState::AwaitingApproval } else { WireState::Approved };
        sqlx::query(
            "INSERT INTO bank_wires (deposit_id, amount_minor, value_date, entry_id, state, four_eyes, recorded_by, recorded_at, approved_by, approved_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&new.deposit_id)
        .bind(new.amount_minor)
        .bind(&new.value_date)
        .bind(new.entry_id)
        .bind(state)
        .bind(new.four_eyes)
        .bind(new.recorded_by)
        .bind(new.now)
        .bind((!new.four_eyes).then_some(new.recorded_by))
        .bind((!new.four_eyes).then_some(new.now))
        .execute(&mut *tx)
        .await?;
        if new.four_eyes {
            tx.commit().await?;
            return Ok(WireOutcome::AwaitingApproval);
        }
        if !confirm_deposit(&mut tx, &new.deposit_id, new.amount_minor, new.now).await? {
            return Ok(WireOutcome::NotAwaitingFunds);
        }
        tx.commit().await?;
        Ok(WireOutcome::Confirmed)
    }

    async fn approve_wire(&self, wire_id: i64, approver: i64, now: i64) -> Result<WireOutcome, StoreError> {
        let mut tx = self.pool.begin().await?;
        // Locked: of two approvals racing (or an approval and a discard), the
        // second sees what the first did.
        let row: Option<(DepositId, i64, WireState, i64)> =
            sqlx::query_as("SELECT deposit_id, amount_minor, state, recorded_by FROM bank_wires WHERE id = $1 FOR UPDATE")
                .bind(wire_id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((deposit_id, amount_minor, state, recorded_by)) = row else { return Ok(WireOutcome::NotFound) };
        if state == WireState::Approved {
            return Ok(WireOutcome::AlreadyRecorded);
        }
        if recorded_by == approver {
            return Ok(WireOutcome::SameApprover);
        }
        sqlx::query("UPDATE bank_wires SET state = 'approved', approved_by = $1, approved_at = $2 WHERE id = $3 AND state = 'awaiting_approval'")
            .bind(approver)
            .bind(now)
            .bind(wire_id)
            .execute(&mut *tx)
            .await?;
        if !confirm_deposit(&mut tx, &deposit_id, amount_minor, now).await? {
            return Ok(WireOutcome::NotAwaitingFunds);
        }
        tx.commit().await?;
        Ok(WireOutcome::Confirmed)
    }

    async fn discard_wire(&self, wire_id: i64) -> Result<bool, StoreError> {
        // Guarded: a wire an approval just moved on is rechecked and kept.
        let done = sqlx::query("DELETE FROM bank_wires WHERE id = $1 AND state = 'awaiting_approval'").bind(wire_id).execute(&self.pool).await?;
        Ok(done.rows_affected() == 1)
    }

    async fn wire(&self, wire_id: i64) -> Result<Option<WireView>, StoreError> {
        Ok(sqlx::query_as(&format!("{WIRE_VIEW} WHERE w.id = $1")).bind(wire_id).fetch_optional(&self.pool).await?)
    }

    async fn wires(&self, state: Option<WireState>, limit: i64) -> Result<Vec<WireView>, StoreError> {
        Ok(match state {
            Some(state) => {
                sqlx::query_as(&format!("{WIRE_VIEW} WHERE w.state = $1 ORDER BY w.recorded_at, w.id LIMIT $2"))
                    .bind(state)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => sqlx::query_as(&format!("{WIRE_VIEW} ORDER BY w.recorded_at DESC, w.id DESC LIMIT $1")).bind(limit).fetch_all(&self.pool).await?,
        })
    }

    async fn import_entries(&self, entries: &[NewEntry], now: i64) -> Result<u64, StoreError> {
        // In chunks: one short transaction per 250 lines. Lines already
        // imported are skipped (a copy another instance is importing right
        // now waits for it, then is skipped), so an import cut short is
        // completed by importing again. No pause between chunks: PostgreSQL
        // writers do not shut each other out as SQLite's do.
        // In key order: two imports of overlapping statements insert the
        // lines they share in the same order, so neither waits on a line the
        // other holds while holding one it waits for (a deadlock, a 500).
        let mut sorted: Vec<&NewEntry> = entries.iter().collect();
        sorted.sort_by(|a, b| a.entry_key.cmp(&b.entry_key));
        let mut added = 0;
        for chunk in sorted.chunks(250) {
            let mut tx = self.pool.begin().await?;
            for e in chunk {
                let done = sqlx::query(
                    "INSERT INTO bank_entries (entry_key, statement_id, amount, currency, value_date, reference, remittance, debtor, imported_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (entry_key) DO NOTHING",
                )
                .bind(&e.entry_key)
                .bind(&e.statement_id)
                .bind(e.amount.to_string())
                .bind(&e.currency)
                .bind(&e.value_date)
                .bind(&e.reference)
                .bind(&e.remittance)
                .bind(&e.debtor)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                added += done.rows_affected();
            }
            tx.commit().await?;
        }
        Ok(added)
    }

    async fn open_entries(&self, limit: i64) -> Result<Vec<EntryRecord>, StoreError> {
        Ok(sqlx::query_as(&format!("{ENTRY_VIEW} WHERE w.id IS NULL AND e.dismissed_at IS NULL ORDER BY e.id LIMIT $1"))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn dismiss_entry(&self, id: i64, staff: i64, now: i64) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        // Locked first: the `NOT EXISTS` below then runs after any wire being
        // recorded from this line has committed, and sees it (a lone UPDATE
        // would recheck only the line's row, not the subquery, after waiting).
        lock_entry(&mut tx, id).await?;
        let done = sqlx::query(
            "UPDATE bank_entries SET dismissed_by = $1, dismissed_at = $2 \
             WHERE id = $3 AND dismissed_at IS NULL AND NOT EXISTS (SELECT 1 FROM bank_wires WHERE entry_id = bank_entries.id)",
        )
        .bind(staff)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn entry(&self, id: i64) -> Result<Option<EntryRecord>, StoreError> {
        Ok(sqlx::query_as(&format!("{ENTRY_VIEW} WHERE e.id = $1")).bind(id).fetch_optional(&self.pool).await?)
    }
}
