//! What changed elsewhere, for the live screens: every instance watches the
//! database for changes it must pass on to its open streams (see
//! `live::notifier`). Two kinds:
//!
//! - a support conversation that another instance changed (chat writes
//!   announce themselves with their origin, and this instance publishes its
//!   own at once, so its own are not reported back);
//! - a trader account whose deposits, withdrawals or KYC case changed. These
//!   are announced by the database itself (triggers on those tables), so
//!   every write path announces, whichever code or instance made it, and the
//!   watch is the one source of these signals, this instance's writes
//!   included.
//!
//! SQLite keeps change logs the watch reads every `poll_every` (one query
//! per interval per process, however many streams are open); PostgreSQL
//! sends NOTIFYs the watch LISTENs for, and says [`Change::Resync`] when its
//! connection was lost (what was announced meanwhile is unknown).

use async_trait::async_trait;
use futures::stream::BoxStream;

use super::StoreError;
use crate::domain::Login;

#[async_trait]
pub trait LiveStore: Send + Sync {
    /// Changes from now on, as their writes commit; conversations changed by
    /// `origin` (this instance) are left out.
    async fn watch(&self, origin: &str, poll_every: std::time::Duration) -> Result<BoxStream<'static, Change>, StoreError>;
    /// Deletes change-log rows older than `older_than` (PostgreSQL keeps none).
    async fn purge_changes(&self, older_than: i64) -> Result<u64, StoreError>;
}

/// What [`LiveStore::watch`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Change {
    /// Another instance changed this conversation.
    Conversation(i64),
    /// This trader account's deposits, withdrawals or KYC case changed.
    Account(Login),
    /// Changes may have been missed: every listener should look again.
    Resync,
}
