//! The SQL both balance-change outboxes share (`credit_outbox` for deposits,
//! `debit_outbox` for withdrawals): leasing due jobs with the attempt counted,
//! closing, retrying and parking a job fenced by its attempt number, and the
//! audit's second look. Each store keeps the steps that change its own
//! records, in the same transaction where they must be.
//!
//! Several instances lease from the same table: the leases pick their rows
//! with `FOR UPDATE SKIP LOCKED`, so two workers never take the same job, and
//! every later step is fenced by `attempts` and `state` in its `WHERE`.

use sqlx::postgres::{PgPool, PgRow, Postgres};
use sqlx::{Encode, FromRow, Row, Transaction, Type};

use crate::store::{LedgerAudit, LedgerJob, StoreError};

/// One outbox table and the records its jobs belong to.
pub(super) struct Outbox {
    /// The outbox table.
    pub table: &'static str,
    /// Its column naming the record (`deposit_id`, `withdrawal_id`).
    pub key: &'static str,
    /// The records' table (`deposits`, `withdrawals`).
    pub parent: &'static str,
    /// The SQL expression of the amount to apply, over the record's columns.
    pub amount: &'static str,
    /// The record's column from which cTrader's history is searched (a
    /// little before the job was queued: no earlier copy can exist).
    pub since: &'static str,
}

/// An id type stored as text (`DepositId`, `WithdrawalId`).
pub(super) trait StoredId: for<'r> sqlx::Decode<'r, Postgres> + Type<Postgres> + for<'q> Encode<'q, Postgres> + Send + Sync + Unpin {}
impl<T> StoredId for T where T: for<'r> sqlx::Decode<'r, Postgres> + Type<Postgres> + for<'q> Encode<'q, Postgres> + Send + Sync + Unpin {}

impl Outbox {
    /// A column of the job's record, for a `RETURNING` list.
    fn of_parent(&self, column: &str) -> String {
        format!("(SELECT {column} FROM {p} WHERE id = {t}.{k})", p = self.parent, t = self.table, k = self.key)
    }

    /// Leases up to `limit` due jobs for `lease_ms`, counting the attempt.
    /// `SKIP LOCKED`: a job another instance is leasing right now is not taken twice.
    pub async fn claim<Id: StoredId>(&self, pool: &PgPool, now: i64, lease_ms: i64, limit: i64) -> Result<Vec<LedgerJob<Id>>, StoreError> {
        let (t, k) = (self.table, self.key);
        let sql = format!(
            "UPDATE {t} SET attempts = attempts + 1, locked_until = $1 WHERE {k} IN \
             (SELECT {k} FROM {t} WHERE state = 'pending' AND next_at <= $2 AND (locked_until IS NULL OR locked_until <= $2) \
              ORDER BY next_at LIMIT $3 FOR UPDATE SKIP LOCKED) \
             RETURNING {k} AS id, attempts, {login} AS login, {digits} AS digits, {amount} AS amount_minor, {since} AS since",
            login = self.of_parent("login"),
            digits = self.of_parent("digits"),
            amount = self.of_parent(self.amount),
            since = self.of_parent(self.since),
        );
        let rows = sqlx::query(&sql).bind(now + lease_ms).bind(now).bind(limit).fetch_all(pool).await?;
        rows.iter()
            .map(|r| {
                Ok(LedgerJob {
                    id: r.try_get("id")?,
                    login: r.try_get("login")?,
                    digits: r.try_get::<i64, _>("digits")? as u32,
                    amount_minor: r.try_get::<Option<i64>, _>("amount_minor")?.unwrap_or(0),
                    attempt: r.try_get("attempts")?,
                    since: r.try_get("since")?,
                    leased_until: now + lease_ms,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// Closes the job as applied if `attempt` is still the latest; `audit_at`
    /// schedules its second look.
    pub async fn close<Id: StoredId>(&self, tx: &mut Transaction<'_, Postgres>, id: &Id, attempt: i64, audit_at: Option<i64>) -> Result<bool, StoreError> {
        let sql = format!(
            "UPDATE {t} SET state = 'done', locked_until = NULL, last_error = NULL, audit_at = $1 WHERE {k} = $2 AND attempts = $3 AND state = 'pending'",
            t = self.table,
            k = self.key
        );
        Ok(sqlx::query(&sql).bind(audit_at).bind(id).bind(attempt).execute(&mut **tx).await?.rows_affected() == 1)
    }

    /// Parks the job in `state` (a person's, or refused) if `attempt` is still the latest.
    pub async fn park<Id: StoredId>(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        id: &Id,
        attempt: i64,
        state: &str,
        reason: &str,
        audit_at: Option<i64>,
    ) -> Result<bool, StoreError> {
        let sql = format!(
            "UPDATE {t} SET state = $1, locked_until = NULL, last_error = $2, audit_at = $3 WHERE {k} = $4 AND attempts = $5 AND state = 'pending'",
            t = self.table,
            k = self.key
        );
        Ok(sqlx::query(&sql).bind(state).bind(reason).bind(audit_at).bind(id).bind(attempt).execute(&mut **tx).await?.rows_affected() == 1)
    }

    /// Releases the job for another attempt at `next_at`, if `attempt` is still the latest.
    pub async fn retry_at<Id: StoredId>(&self, pool: &PgPool, id: &Id, attempt: i64, next_at: i64, error: &str) -> Result<(), StoreError> {
        let sql = format!(
            "UPDATE {t} SET next_at = $1, locked_until = NULL, last_error = $2 WHERE {k} = $3 AND attempts = $4 AND state = 'pending'",
            t = self.table,
            k = self.key
        );
        sqlx::query(&sql).bind(next_at).bind(error).bind(id).bind(attempt).execute(pool).await?;
        Ok(())
    }

    /// Schedules the second look of a closed job that has none due.
    pub async fn schedule_audit<Id: StoredId>(&self, pool: &PgPool, id: &Id, at: i64) -> Result<(), StoreError> {
        let sql = format!("UPDATE {t} SET audit_at = COALESCE(audit_at, $1) WHERE {k} = $2 AND state = 'done'", t = self.table, k = self.key);
        sqlx::query(&sql).bind(at).bind(id).execute(pool).await?;
        Ok(())
    }

    /// Leases up to `limit` due audits (of applied or refused changes) for `lease_ms`.
    /// `SKIP LOCKED`: an audit another instance is leasing right now is not taken twice.
    pub async fn claim_audits<Id: StoredId>(&self, pool: &PgPool, now: i64, lease_ms: i64, limit: i64) -> Result<Vec<LedgerAudit<Id>>, StoreError> {
        let (t, k) = (self.table, self.key);
        let sql = format!(
            "UPDATE {t} SET audit_at = $1 WHERE {k} IN \
             (SELECT {k} FROM {t} WHERE audit_at IS NOT NULL AND audit_at <= $2 AND state IN ('done', 'refused') \
              ORDER BY audit_at LIMIT $3 FOR UPDATE SKIP LOCKED) \
             RETURNING {k} AS id, {login} AS login, {since} AS since, {history} AS balance_history_id",
            login = self.of_parent("login"),
            since = self.of_parent(self.since),
            history = self.of_parent("balance_history_id"),
        );
        let rows = sqlx::query(&sql).bind(now + lease_ms).bind(now).bind(limit).fetch_all(pool).await?;
        rows.iter()
            .map(|r| {
                Ok(LedgerAudit {
                    id: r.try_get("id")?,
                    login: r.try_get("login")?,
                    since: r.try_get("since")?,
                    balance_history_id: r.try_get("balance_history_id")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// Ends an audit: `Some(copies)` marks the job a duplicate for a person.
    pub async fn finish_audit<Id: StoredId>(&self, pool: &PgPool, id: &Id, duplicate: Option<&str>) -> Result<(), StoreError> {
        let (t, k) = (self.table, self.key);
        match duplicate {
            Some(copies) => {
                let sql = format!("UPDATE {t} SET audit_at = NULL, state = 'duplicate', last_error = $1 WHERE {k} = $2 AND state IN ('done', 'refused')");
                sqlx::query(&sql).bind(copies).bind(id).execute(pool).await?
            }
            None => sqlx::query(&format!("UPDATE {t} SET audit_at = NULL WHERE {k} = $1 AND state IN ('done', 'refused')")).bind(id).execute(pool).await?,
        };
        Ok(())
    }

    /// Records whose change cTrader holds more than once, oldest first (a
    /// queue), with the copies found.
    pub async fn duplicates<R: for<'r> FromRow<'r, PgRow>>(&self, pool: &PgPool, limit: i64, offset: i64) -> Result<Vec<(R, String)>, StoreError> {
        let sql = format!(
            "SELECT p.*, o.last_error AS copies FROM {p} p JOIN {t} o ON o.{k} = p.id WHERE o.state = 'duplicate' ORDER BY p.updated_at, p.id LIMIT $1 OFFSET $2",
            p = self.parent,
            t = self.table,
            k = self.key
        );
        let rows = sqlx::query(&sql).bind(limit).bind(offset).fetch_all(pool).await?;
        rows.iter()
            .map(|r| Ok((R::from_row(r)?, r.try_get::<Option<String>, _>("copies")?.unwrap_or_default())))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// How many records wait for a person to reverse an extra copy.
    pub async fn duplicate_count(&self, pool: &PgPool) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {t} WHERE state = 'duplicate'", t = self.table)).fetch_one(pool).await?)
    }

    /// A person reversed the extra copy; `false` if the job was not flagged.
    pub async fn resolve_duplicate<Id: StoredId>(&self, pool: &PgPool, id: &Id) -> Result<bool, StoreError> {
        let sql = format!("UPDATE {t} SET state = 'reconciled' WHERE {k} = $1 AND state = 'duplicate'", t = self.table, k = self.key);
        Ok(sqlx::query(&sql).bind(id).execute(pool).await?.rows_affected() == 1)
    }
}
