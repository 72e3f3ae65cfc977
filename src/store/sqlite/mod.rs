//! The SQLite backend: the embedded default. WAL mode and a busy timeout let
//! concurrent requests write without "database is locked" errors.

mod actions;
mod attempts;
mod chat;
mod deposits;
mod kyc;
mod sessions;
mod sso;
mod staff;
mod token_claims;

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
        sqlx::migrate!("src/store/sqlite/migrations").run(&pool).await.map_err(|e| StoreError::Migration(e.to_string()))?;
        Ok(SqliteStore { pool })
    }
}

#[async_trait]
impl Health for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}
