//! The withdrawal records and the debiting outbox. Every step is one
//! transaction whose `WHERE` names the state it starts from, so two clicks,
//! two finance users or a trader's cancel racing an approval change a
//! withdrawal once.

use async_trait::async_trait;

use super::{LedgerAudit, LedgerJob, StoreError};
use crate::domain::{Currency, DepositId, Login, WithdrawalId, WithdrawalState};

/// A `withdrawals` row.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct WithdrawalRecord {
    pub id: WithdrawalId,
    pub login: Login,
    pub user_id: i64,
    pub idempotency_key: String,
    pub currency: Currency,
    #[sqlx(try_from = "i64")]
    pub digits: u32,
    pub amount_minor: i64,
    /// `bank` or `card`.
    pub payout: String,
    /// Compact IBAN, for `bank`.
    pub iban: Option<String>,
    pub holder: Option<String>,
    pub card_deposit_id: Option<DepositId>,
    pub state: WithdrawalState,
    pub reject_code: Option<String>,
    pub reason: Option<String>,
    pub four_eyes: bool,
    pub first_approved_by: Option<i64>,
    pub approved_by: Option<i64>,
    pub approved_at: Option<i64>,
    pub rejected_by: Option<i64>,
    pub balance_history_id: Option<i64>,
    pub paid_reference: Option<String>,
    pub paid_by: Option<i64>,
    pub paid_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What a trader's request came to.
#[derive(Debug, Clone, PartialEq)]
pub enum RequestOutcome {
    Created(WithdrawalRecord),
    /// The same form submitted again: the first request stands.
    Existing(WithdrawalRecord),
    /// With the requests already open it would take more than `balance_minor`.
    OverBalance {
        available_minor: i64,
    },
    /// With what was already requested back to this card, it would take more
    /// than the card's deposit paid in.
    OverCard {
        available_minor: i64,
    },
    /// The trader already has `MAX_OPEN` requests waiting.
    TooManyOpen,
}

/// How many requests a trader may have waiting (requested or approved) at
/// once: enough for any real need, and one trader cannot bury finance's queue.
pub const MAX_OPEN: i64 = 5;

/// What a finance step came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Done: approved (debit queued), rejected, or marked paid.
    Done,
    /// Four eyes: the first approval is recorded; a second finance user must approve.
    AwaitingSecond,
    /// Four eyes: the one who gave the first approval cannot give the second.
    SameApprover,
    /// It is no longer in the state the step starts from (cancelled, decided, not debited yet).
    WrongState,
    NotFound,
}

/// A withdrawal cTrader holds more than one debit for.
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicateDebit {
    pub withdrawal: WithdrawalRecord,
    pub copies: String,
}

pub type DebitJob = LedgerJob<WithdrawalId>;
pub type DebitAudit = LedgerAudit<WithdrawalId>;

#[async_trait]
pub trait WithdrawalStore: Send + Sync {
    /// In one transaction: inserts the request unless the trader's open
    /// requests plus this one would exceed `balance_minor` (what cTrader
    /// reported just now), or, to a card, what was requested back to that
    /// card so far would exceed `card_limit_minor`, or the trader has
    /// `MAX_OPEN` open already; or returns the one with the same key.
    async fn request(&self, new: &WithdrawalRecord, balance_minor: i64, card_limit_minor: Option<i64>) -> Result<RequestOutcome, StoreError>;
    /// Per card deposit of the trader: what is requested back to it and not
    /// rejected or cancelled, in minor units.
    async fn card_payouts_minor(&self, login: Login) -> Result<std::collections::HashMap<DepositId, i64>, StoreError>;
    /// What the trader's requests not yet debited hold, in minor units.
    async fn held_minor(&self, login: Login) -> Result<i64, StoreError>;
    async fn get(&self, id: &WithdrawalId) -> Result<Option<WithdrawalRecord>, StoreError>;
    /// The trader's newest first.
    async fn for_login(&self, login: Login, limit: i64) -> Result<Vec<WithdrawalRecord>, StoreError>;
    /// Withdrawals in `state`, oldest first (a queue: nothing waiting slips
    /// out of sight behind newer ones), or all states newest first.
    async fn list(&self, state: Option<WithdrawalState>, limit: i64, offset: i64) -> Result<Vec<WithdrawalRecord>, StoreError>;
    /// How many are in `state`.
    async fn count(&self, state: WithdrawalState) -> Result<i64, StoreError>;
    /// The trader takes a request back; only its owner, only while requested.
    async fn cancel(&self, id: &WithdrawalId, login: Login, now: i64) -> Result<bool, StoreError>;
    /// Finance approves: a first approval above the four-eyes amount waits
    /// for a second, different user; the final one queues the debit.
    async fn approve(&self, id: &WithdrawalId, staff: i64, now: i64) -> Result<Decision, StoreError>;
    /// Finance rejects a request (before any debit) with a reason for the trader.
    async fn reject(&self, id: &WithdrawalId, staff: i64, reason: &str, now: i64) -> Result<Decision, StoreError>;
    /// Finance sent the money of a debited withdrawal.
    async fn mark_paid(&self, id: &WithdrawalId, staff: i64, reference: &str, now: i64) -> Result<Decision, StoreError>;

    /// Leases up to `limit` due debits for `lease_ms`, counting the attempt.
    async fn claim_debits(&self, now: i64, lease_ms: i64, limit: i64) -> Result<Vec<DebitJob>, StoreError>;
    /// Records the debit and closes the job, if `attempt` is still the latest.
    async fn mark_debited(&self, id: &WithdrawalId, attempt: i64, balance_history_id: i64, now: i64, audit_at: Option<i64>) -> Result<bool, StoreError>;
    /// Releases the job for another attempt at `next_at`, fenced by `attempt`.
    async fn retry_debit_at(&self, id: &WithdrawalId, attempt: i64, next_at: i64, error: &str) -> Result<(), StoreError>;
    /// cTrader refused the first attempt's debit: nothing was taken, so the
    /// withdrawal is rejected with `code` and `reason`; fenced by `attempt`.
    async fn refuse_debit(&self, id: &WithdrawalId, attempt: i64, code: &str, reason: &str, now: i64) -> Result<(), StoreError>;
    /// cTrader refused a debit after an earlier attempt's unknown outcome:
    /// that attempt may be what took the balance. The withdrawal stays
    /// approved (and holding) until the second look at `audit_at`; fenced by `attempt`.
    async fn hold_refused_debit(&self, id: &WithdrawalId, attempt: i64, code: &str, reason: &str, audit_at: i64) -> Result<(), StoreError>;
    /// The second look at a held refusal found `copies`: none, and the
    /// withdrawal is rejected with the refusal; one, and it is debited with
    /// it; more, and it is debited and flagged as a duplicate.
    async fn settle_refused_debit(&self, id: &WithdrawalId, copies: &[i64], now: i64) -> Result<(), StoreError>;
    async fn schedule_audit(&self, id: &WithdrawalId, at: i64) -> Result<(), StoreError>;
    async fn claim_audits(&self, now: i64, lease_ms: i64, limit: i64) -> Result<Vec<DebitAudit>, StoreError>;
    /// Ends an audit: `Some(copies)` flags the debit as a duplicate for a person.
    async fn finish_audit(&self, id: &WithdrawalId, duplicate: Option<&str>) -> Result<(), StoreError>;
    /// Debits cTrader holds twice and nobody has reversed yet, oldest first.
    async fn duplicate_debits(&self, limit: i64, offset: i64) -> Result<Vec<DuplicateDebit>, StoreError>;
    /// How many of those there are.
    async fn duplicate_count(&self) -> Result<i64, StoreError>;
    /// A person reversed the extra copy; `false` if it was not flagged.
    async fn resolve_duplicate(&self, id: &WithdrawalId) -> Result<bool, StoreError>;
}
