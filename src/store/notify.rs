//! The notify outbox (`notify_outbox`): one row per event the broker's CRM
//! is told about, written by database triggers in the transaction that
//! changed the state (see the migration), sent by `notify::crm`.

use async_trait::async_trait;

use super::StoreError;

/// An event waiting to be sent, as the trigger recorded it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct NoticeRecord {
    pub id: i64,
    /// `deposit`, `withdrawal` or `kyc`.
    pub kind: String,
    /// The deposit's or withdrawal's id; the login for a KYC case.
    pub subject: String,
    pub login: i64,
    pub state: String,
    pub amount_minor: Option<i64>,
    pub digits: Option<i64>,
    pub currency: Option<String>,
    pub kyc_type: Option<String>,
    pub occurred_at: i64,
    /// Counting this one.
    pub attempts: i64,
}

#[async_trait]
pub trait NotifyStore: Send + Sync {
    /// Events due (none of their subject's earlier ones still unsent, so a
    /// CRM hears "submitted" before "approved"), oldest first, leased
    /// until `now + lease_ms` with their attempt counted.
    async fn claim_notices(&self, now: i64, lease_ms: i64, limit: i64) -> Result<Vec<NoticeRecord>, StoreError>;
    /// Sent: the CRM answered 2xx (for this attempt: a later one's lease wins).
    async fn notice_sent(&self, id: i64, attempt: i64, now: i64) -> Result<(), StoreError>;
    async fn notice_retry(&self, id: i64, attempt: i64, next_at: i64, error: &str) -> Result<(), StoreError>;
    /// With no CRM configured: every waiting event is set aside as sent
    /// nowhere (they are not kept for a CRM configured later).
    async fn notices_unsent_nowhere(&self, now: i64) -> Result<u64, StoreError>;
    /// Sent events older than `before` are deleted.
    async fn purge_notices(&self, before: i64) -> Result<u64, StoreError>;
}
