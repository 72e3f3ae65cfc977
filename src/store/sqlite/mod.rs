//! The SQLite backend: the embedded default. WAL mode and a busy timeout let
//! concurrent requests write without "database is locked" errors.

mod actions;
mod attempts;
mod bank;
mod chat;
mod deposits;
mod kyc;
mod listing;
mod live;
mod notify;
mod outbox;
mod screening;
mod sessions;
mod sso;
mod staff;
mod token_claims;
mod withdrawals;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use super::{Health, StoreError};

pub struct SqliteStore {
    pool: SqlitePool,
}

/// Opens a SQLite pool with the settings every SQLite database here uses
/// (the simulator's too), creating the file and its folder if needed.
pub async fn open_pool(url: &str) -> Result<SqlitePool, StoreError> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true);
    if let Some(parent) = options.get_filename().parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent).map_err(|e| StoreError::Database(format!("{}: {e}", parent.display())))?;
        }
    }
    Ok(SqlitePoolOptions::new().max_connections(8).connect_with(options).await?)
}

/// A write transaction. `BEGIN IMMEDIATE` takes SQLite's write lock up front,
/// waiting out the busy timeout; a plain (deferred) `BEGIN` that reads first
/// fails at once with "database is locked" when it later tries to write while
/// another connection writes.
///
/// The `BEGIN` runs in its own task: if the caller is cancelled while waiting
/// for the lock (a client that hung up, an aborted worker), the task still
/// finishes and the transaction it returns is dropped and rolled back, instead
/// of a pooled connection being left inside an open transaction holding the lock.
pub async fn write_tx(pool: &SqlitePool) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
    let pool = pool.clone();
    tokio::spawn(async move { pool.begin_with("BEGIN IMMEDIATE").await }).await.map_err(|e| sqlx::Error::Protocol(format!("transaction task failed: {e}")))?
}

impl SqliteStore {
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let pool = open_pool(url).await?;
        MIGRATOR.run(&pool).await.map_err(|e| StoreError::Migration(e.to_string()))?;
        Ok(SqliteStore { pool })
    }
}

#[async_trait]
impl Health for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn migrations(&self) -> Result<(i64, i64), StoreError> {
        let applied: i64 = sqlx::query_scalar(super::APPLIED_MIGRATION).fetch_one(&self.pool).await?;
        Ok((applied, super::carried(&MIGRATOR)))
    }

    async fn backlogs(&self) -> Result<Vec<(i64, Option<i64>)>, StoreError> {
        let mut out = Vec::with_capacity(super::BACKLOGS.len());
        for (_, sql) in super::BACKLOGS {
            out.push(sqlx::query_as(sql).fetch_one(&self.pool).await?);
        }
        Ok(out)
    }
}

/// This build's migrations. A database a newer version already migrated
/// further still opens (during a rolling upgrade, or after a rollback): only
/// a migration this build carries and the database lacks is applied, and
/// `/readyz` checks that none is missing.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate::Migrator { ignore_missing: true, ..sqlx::migrate!("src/store/sqlite/migrations") };

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::kyc::{CaseState, DocumentState, DocumentType, FileKind};
    use crate::domain::DepositState;
    use crate::store::Role;

    /// One row in each table with a state column, every state valid.
    const ROWS: &str = "\
        INSERT INTO deposits (id, login, user_id, idempotency_key, currency, digits, requested_minor, fee_minor, method, state, created_at, updated_at) \
            VALUES ('dep_00000000000000000000000000000001', 1, 1, 'k', 'USD', 2, 100, 0, 'card', 'pending', 0, 0); \
        INSERT INTO credit_outbox (deposit_id, state, next_at) VALUES ('dep_00000000000000000000000000000001', 'pending', 0); \
        INSERT INTO staff (email, password_hash, role, created_at) VALUES ('a@b.example', 'x', 'admin', 0); \
        INSERT INTO kyc_cases (login, user_id, kyc_type, state, created_at, updated_at) VALUES (1, 1, 'standard', 'not_started', 0, 0); \
        INSERT INTO kyc_documents (id, login, doc_type, state, file_name, kind, size, has_preview, created_at) \
            VALUES ('doc_1', 1, 'identity', 'uploaded', 'a.pdf', 'pdf', 1, 0, 0); \
        INSERT INTO chat_conversations (id, login, user_id, created_at, updated_at) VALUES (1, 1, 1, 0, 0); \
        INSERT INTO chat_attachments (id, conversation_id, author, file_name, kind, size, has_preview, created_at) \
            VALUES ('att_1', 1, 'trader', 'a.pdf', 'pdf', 1, 0, 0);";

    async fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&format!("sqlite://{}", dir.path().join("t.db").display())).await.unwrap();
        sqlx::raw_sql(ROWS).execute(&store.pool).await.unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn each_state_column_takes_exactly_its_enums_values() {
        let (_dir, store) = store().await;
        let columns: [(&str, &str, Vec<&str>); 7] = [
            ("deposits", "state", DepositState::ALL.map(DepositState::as_str).to_vec()),
            ("staff", "role", Role::ALL.map(Role::as_str).to_vec()),
            ("kyc_cases", "state", CaseState::ALL.map(CaseState::as_str).to_vec()),
            ("kyc_documents", "state", DocumentState::ALL.map(DocumentState::as_str).to_vec()),
            ("kyc_documents", "doc_type", DocumentType::ALL.map(DocumentType::as_str).to_vec()),
            ("kyc_documents", "kind", FileKind::ALL.map(FileKind::as_str).to_vec()),
            ("chat_attachments", "kind", FileKind::ALL.map(FileKind::as_str).to_vec()),
        ];
        for (table, column, values) in columns {
            let set = format!("UPDATE {table} SET {column} = ?");
            for v in values {
                sqlx::query(&set).bind(v).execute(&store.pool).await.unwrap_or_else(|e| panic!("{table}.{column} = {v}: {e}"));
            }
            let refused = sqlx::query(&set).bind("Pending").execute(&store.pool).await;
            assert!(refused.is_err_and(|e| e.to_string().contains(&format!("{table}.{column}"))), "{table}.{column} refuses a value no enum has");
        }
        for v in ["pending", "done", "review", "duplicate", "reconciled"] {
            sqlx::query("UPDATE credit_outbox SET state = ?").bind(v).execute(&store.pool).await.unwrap();
        }
        assert!(sqlx::query("UPDATE credit_outbox SET state = 'credited'").execute(&store.pool).await.is_err());
        let insert = "INSERT INTO staff (email, password_hash, role, created_at) VALUES ('c@d.example', 'x', 'root', 0)";
        assert!(sqlx::query(insert).execute(&store.pool).await.is_err(), "inserts are checked too");
    }

    #[tokio::test]
    async fn a_row_with_a_state_the_code_does_not_know_is_an_error_not_a_guess() {
        use crate::store::{DepositStore, KycStore, StaffStore};
        let (_dir, store) = store().await;
        // As if a newer version had written a state this one does not know.
        let unknown = "DROP TRIGGER deposits_state_check_update; UPDATE deposits SET state = 'refunded'; \
            DROP TRIGGER staff_role_check_update; UPDATE staff SET role = 'auditor'; \
            DROP TRIGGER kyc_cases_state_check_update; UPDATE kyc_cases SET state = 'escalated';";
        sqlx::raw_sql(unknown).execute(&store.pool).await.unwrap();
        assert!(store.get(&"dep_00000000000000000000000000000001".parse().unwrap()).await.is_err());
        assert!(store.staff_by_email("a@b.example").await.is_err());
        assert!(store.case(crate::domain::Login::new(1).unwrap()).await.is_err());
    }
}
