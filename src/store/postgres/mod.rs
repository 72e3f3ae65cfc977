//! The PostgreSQL backend, for several instances sharing one database.
//!
//! SQLite's `BEGIN IMMEDIATE` makes every write transaction the only one, so
//! the SQLite modules may read, decide and write. Here transactions run side
//! by side (READ COMMITTED), so each one locks what it is about to change
//! (`SELECT … FOR UPDATE`, or a guarded `UPDATE … WHERE state = …` whose row
//! count says who won), outbox jobs are leased with `FOR UPDATE SKIP LOCKED`,
//! and inserts that may race (token claims, idempotency keys, chat resends)
//! use `ON CONFLICT` so the loser reads the winner's row instead of failing.
//! Each module mirrors its SQLite twin, and one conformance suite
//! (`tests/it/store`) runs the same test bodies against both.

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

use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgPool, PgPoolOptions};

use super::{Health, StoreError};

pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects and applies the migrations. Instances starting together are
    /// safe: sqlx takes an advisory lock around the migrations.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(10)).connect(url).await?;
        MIGRATOR.run(&pool).await.map_err(|e| StoreError::Migration(e.to_string()))?;
        Ok(PgStore { pool })
    }
}

#[async_trait]
impl Health for PgStore {
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
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate::Migrator { ignore_missing: true, ..sqlx::migrate!("src/store/postgres/migrations") };
