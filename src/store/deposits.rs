//! The deposit records and the crediting outbox.

use async_trait::async_trait;

use super::StoreError;
use crate::domain::DepositState;
use crate::domain::{Currency, DepositId, Login};

/// A `deposits` row. Decoding fails on a state this code does not know,
/// rather than guessing one.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DepositRecord {
    pub id: DepositId,
    pub login: Login,
    pub user_id: i64,
    pub idempotency_key: String,
    pub currency: Currency,
    #[sqlx(try_from = "i64")]
    pub digits: u32,
    pub requested_minor: i64,
    pub fee_minor: i64,
    pub confirmed_minor: Option<i64>,
    pub method: String,
    pub state: DepositState,
    pub provider_payment_id: Option<String>,
    pub balance_history_id: Option<i64>,
    pub failure_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What applying a provider event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventOutcome {
    Applied,
    /// This event id was seen before.
    Duplicate,
    /// The deposit had already moved on (a late or reordered event).
    Ignored,
    UnknownDeposit,
}

/// A credit the worker owns until its lease ends.
pub type CreditJob = super::LedgerJob<DepositId>;

/// A credited deposit due for its second look in cTrader's history.
pub type AuditJob = super::LedgerAudit<DepositId>;

/// A deposit cTrader holds more than one balance change for.
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicateCredit {
    pub deposit: DepositRecord,
    /// The `balanceHistoryId`s found, as the audit wrote them.
    pub copies: String,
}

/// What a trader's deposits may reach with a new one, in its minor units
/// (`domain::limits`): since `since` (the 30 days), and in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DepositCap {
    pub since: i64,
    pub window_minor: Option<i64>,
    pub lifetime_minor: Option<i64>,
}

/// A capped insert's outcome.
#[derive(Debug, Clone, PartialEq)]
pub enum Capped {
    /// As `create_or_get` answers: the deposit, and whether it is new.
    Stored(Box<DepositRecord>, bool),
    /// Not inserted: it would take the trader past a cap.
    Over,
}

/// The states whose deposits count towards a cap: all but the ones that
/// ended with no money (`domain::limits::Usage`).
pub(crate) const COUNTED: &str = "state NOT IN ('failed', 'cancelled', 'expired')";

#[async_trait]
pub trait DepositStore: Send + Sync {
    /// Inserts the deposit, or returns the one with the same `(login, idempotency_key)`.
    async fn create_or_get(&self, new: &DepositRecord) -> Result<(DepositRecord, bool), StoreError>;
    /// As `create_or_get`, but a new deposit is inserted only if the
    /// trader's counted deposits with it stay within `cap`; checked and
    /// inserted under one lock per trader, so two forms submitted at once
    /// cannot together pass a cap. A form already submitted is answered as
    /// it stands, whatever the caps say now.
    async fn create_capped(&self, new: &DepositRecord, cap: &DepositCap) -> Result<Capped, StoreError>;
    /// The minor units `login` deposited since `since`, and in all (counted
    /// as for a cap: the amount received once known, else the one asked).
    async fn usage(&self, login: Login, since: i64) -> Result<(i64, i64), StoreError>;
    async fn set_provider_payment(&self, id: &DepositId, provider_payment_id: &str, now: i64) -> Result<(), StoreError>;
    async fn get(&self, id: &DepositId) -> Result<Option<DepositRecord>, StoreError>;
    /// The deposit a provider's payment id (or a bank transfer's reference) belongs to.
    async fn by_payment_id(&self, provider_payment_id: &str) -> Result<Option<DepositRecord>, StoreError>;
    /// Which of `ids` are some deposit's provider payment id (bank statements
    /// look thousands of references up at once).
    async fn known_payment_ids(&self, ids: &[String]) -> Result<std::collections::HashSet<String>, StoreError>;
    async fn recent(&self, login: Login, limit: i64) -> Result<Vec<DepositRecord>, StoreError>;
    /// Deposits of every trader for the back-office, a page at a time: in
    /// `state`, oldest first (a queue: nothing waiting is pushed out of sight
    /// by newer ones), or all, newest first.
    async fn page(&self, state: Option<DepositState>, limit: i64, offset: i64) -> Result<Vec<DepositRecord>, StoreError>;
    /// How many deposits are in `state` (or in all).
    async fn count(&self, state: Option<DepositState>) -> Result<i64, StoreError>;
    /// How many credits cTrader holds twice that nobody reversed yet.
    async fn duplicate_count(&self) -> Result<i64, StoreError>;
    /// In one transaction: record the event, move `pending → confirmed` with the
    /// provider's amount, and queue the credit.
    async fn confirm(&self, event_id: &str, deposit_id: &DepositId, confirmed_minor: i64, now: i64) -> Result<EventOutcome, StoreError>;
    /// In one transaction: record the event and move `pending → failed|cancelled`.
    async fn close_unpaid(&self, event_id: &str, deposit_id: &DepositId, state: DepositState, reason: &str, now: i64) -> Result<EventOutcome, StoreError>;
    /// In one transaction: record the event and hold the paid deposit for a
    /// person (`review`) instead of crediting it (e.g. the provider confirmed
    /// another currency).
    async fn hold_for_review(&self, event_id: &str, deposit_id: &DepositId, reason: &str, now: i64) -> Result<EventOutcome, StoreError>;
    /// Leases up to `limit` due credits for `lease_ms`, counting the attempt.
    async fn claim_credits(&self, now: i64, lease_ms: i64, limit: i64) -> Result<Vec<CreditJob>, StoreError>;
    /// Records the credit and closes the job; `audit_at` schedules a second
    /// look for a copy that landed late (set when an earlier attempt's outcome
    /// was unknown). The job is closed only if `attempt` is still the latest:
    /// `false` when another worker holds or has closed it.
    async fn mark_credited(&self, deposit_id: &DepositId, attempt: i64, balance_history_id: i64, now: i64, audit_at: Option<i64>) -> Result<bool, StoreError>;
    /// Schedules the second look for a closed job that has none due.
    async fn schedule_audit(&self, deposit_id: &DepositId, at: i64) -> Result<(), StoreError>;
    /// Leases up to `limit` due audits for `lease_ms` (an audit cut short is taken again).
    async fn claim_audits(&self, now: i64, lease_ms: i64, limit: i64) -> Result<Vec<AuditJob>, StoreError>;
    /// Ends an audit: `Some(copies)` marks the credit a duplicate for a person.
    async fn finish_audit(&self, deposit_id: &DepositId, duplicate: Option<&str>) -> Result<(), StoreError>;
    /// Credits cTrader holds twice and nobody has reversed yet, oldest first.
    async fn duplicate_credits(&self, limit: i64, offset: i64) -> Result<Vec<DuplicateCredit>, StoreError>;
    /// A person reversed the extra copy in cTrader; `false` if it was not flagged.
    async fn resolve_duplicate(&self, deposit_id: &DepositId) -> Result<bool, StoreError>;
    /// Releases the job for another attempt at `next_at`, only if `attempt`
    /// is still the latest (a worker that overran its lease changes nothing).
    async fn retry_credit_at(&self, deposit_id: &DepositId, attempt: i64, next_at: i64, error: &str) -> Result<(), StoreError>;
    /// cTrader refused the credit for good: the paid deposit waits for a
    /// person (`review`); fenced by `attempt` like `retry_credit_at`.
    async fn review_credit(&self, deposit_id: &DepositId, attempt: i64, reason: &str, now: i64) -> Result<(), StoreError>;
    /// A person asks for a reviewed credit to be tried again; the next attempt
    /// looks the deposit up in the balance history first. `false` if it was not in review.
    async fn requeue_credit(&self, deposit_id: &DepositId, now: i64) -> Result<bool, StoreError>;
    /// Closes deposits still `pending` that were created before `before`; returns how many.
    async fn expire_pending(&self, before: i64, now: i64) -> Result<u64, StoreError>;
}
