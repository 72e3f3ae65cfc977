//! Change logs read by a cursor: `chat_changes` (written by chat writes with
//! their origin) and `account_changes` (written by the triggers of migration
//! 0018 on every write to a trader's deposits, withdrawals or KYC case).
//! SQLite's single writer makes ids visible in order, so a cursor over them
//! misses nothing.

use std::collections::HashSet;

use async_trait::async_trait;
use futures::stream::{BoxStream, StreamExt};
use sqlx::{Row, SqlitePool};

use super::SqliteStore;
use crate::domain::Login;
use crate::store::live::{Change, LiveStore};
use crate::store::StoreError;

/// Rows read per query; a burst is read in several.
const PAGE: i64 = 1000;

#[async_trait]
impl LiveStore for SqliteStore {
    async fn watch(&self, origin: &str, poll_every: std::time::Duration) -> Result<BoxStream<'static, Change>, StoreError> {
        let mut cursors = (0, 0);
        for (table, cursor) in [("chat_changes", &mut cursors.0), ("account_changes", &mut cursors.1)] {
            *cursor = sqlx::query_scalar(&format!("SELECT COALESCE(MAX(id), 0) FROM {table}")).fetch_one(&self.pool).await?;
        }
        let (pool, origin) = (self.pool.clone(), origin.to_string());
        let (tx, rx) = tokio::sync::mpsc::channel(256);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(poll_every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match changes_after(&pool, &mut cursors, &origin).await {
                    Ok(changes) => {
                        for change in changes {
                            if tx.send(change).await.is_err() {
                                return;
                            }
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "reading the change logs failed"),
                }
                if tx.is_closed() {
                    return;
                }
            }
        });
        Ok(futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|change| (change, rx)) }).boxed())
    }

    async fn purge_changes(&self, older_than: i64) -> Result<u64, StoreError> {
        let chat = sqlx::query("DELETE FROM chat_changes WHERE at < ?").bind(older_than).execute(&self.pool).await?.rows_affected();
        let accounts = sqlx::query("DELETE FROM account_changes WHERE at < ?").bind(older_than).execute(&self.pool).await?.rows_affected();
        Ok(chat + accounts)
    }
}

/// The distinct conversations other origins changed and the distinct
/// accounts changed after the cursors, which move on (read until caught up,
/// so a burst never leaves a watcher behind). A cursor moves only once its
/// rows are read: an error leaves both where they were.
async fn changes_after(pool: &SqlitePool, cursors: &mut (i64, i64), origin: &str) -> Result<Vec<Change>, sqlx::Error> {
    let (mut changes, mut seen) = (Vec::new(), HashSet::new());
    let (mut chat, mut accounts) = *cursors;
    loop {
        let rows =
            sqlx::query("SELECT id, conversation_id, origin FROM chat_changes WHERE id > ? ORDER BY id LIMIT ?").bind(chat).bind(PAGE).fetch_all(pool).await?;
        for r in &rows {
            chat = chat.max(r.try_get("id")?);
            let change = Change::Conversation(r.try_get("conversation_id")?);
            if r.try_get::<String, _>("origin")? != origin && seen.insert(change) {
                changes.push(change);
            }
        }
        if (rows.len() as i64) < PAGE {
            break;
        }
    }
    loop {
        let rows = sqlx::query("SELECT id, login FROM account_changes WHERE id > ? ORDER BY id LIMIT ?").bind(accounts).bind(PAGE).fetch_all(pool).await?;
        for r in &rows {
            accounts = accounts.max(r.try_get("id")?);
            // A login that is not one cannot have a screen open.
            let Some(login) = Login::new(r.try_get("login")?) else { continue };
            let change = Change::Account(login);
            if seen.insert(change) {
                changes.push(change);
            }
        }
        if (rows.len() as i64) < PAGE {
            break;
        }
    }
    *cursors = (chat, accounts);
    Ok(changes)
}
