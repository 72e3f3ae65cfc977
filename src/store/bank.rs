//! Bank transfers received: statement lines imported from the bank, and the
//! wires finance records against deposits (one per deposit, one per line).

use async_trait::async_trait;

use super::StoreError;
use crate::domain::{Currency, DepositId, Login};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireState {
    /// Above the four-eyes amount: waiting for a second finance user.
    AwaitingApproval,
    /// The deposit is confirmed and its credit queued.
    Approved,
}

impl WireState {
    pub const ALL: [WireState; 2] = [WireState::AwaitingApproval, WireState::Approved];

    pub fn as_str(self) -> &'static str {
        match self {
            WireState::AwaitingApproval => "awaiting_approval",
            WireState::Approved => "approved",
        }
    }
}

crate::domain::stored_as_text!(WireState);

/// A wire finance saw arrive, about to be recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct NewWire {
    pub deposit_id: DepositId,
    pub amount_minor: i64,
    /// `YYYY-MM-DD`, as the bank booked it.
    pub value_date: String,
    /// The statement line it came from, if any.
    pub entry_id: Option<i64>,
    /// Needs a second, different finance user before anything is credited.
    pub four_eyes: bool,
    pub recorded_by: i64,
    pub now: i64,
}

/// A recorded wire with what the back-office shows beside it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct WireView {
    pub id: i64,
    pub deposit_id: DepositId,
    pub login: Login,
    pub currency: Currency,
    #[sqlx(try_from = "i64")]
    pub digits: u32,
    /// What the trader announced (amount plus fee): what they were asked to send.
    pub expected_minor: i64,
    pub amount_minor: i64,
    pub value_date: String,
    pub state: WireState,
    pub recorded_by: i64,
    pub recorded_by_email: String,
    pub approved_by_email: Option<String>,
    pub recorded_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireOutcome {
    /// The deposit is confirmed and its credit queued.
    Confirmed,
    /// Recorded; a second finance user must approve it.
    AwaitingApproval,
    /// The deposit already has a wire recorded.
    AlreadyRecorded,
    /// The deposit is not waiting for a bank transfer (credited, or another method).
    NotAwaitingFunds,
    /// The statement line is already used for another wire.
    EntryUsed,
    /// Four eyes: the one who recorded it cannot approve it.
    SameApprover,
    /// The money is already another deposit's: the line's own reference names
    /// a deposit with a wire, or this deposit's reference is on a line that
    /// paid another deposit.
    RecordedElsewhere,
    NotFound,
}

/// One line of an imported bank statement.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEntry {
    /// The bank's own reference for the line, or the statement id and position.
    pub entry_key: String,
    pub statement_id: String,
    pub amount: rust_decimal::Decimal,
    pub currency: String,
    pub value_date: String,
    /// The RF reference found in the line (the one naming a deposit, when several do not).
    pub reference: Option<String>,
    pub remittance: String,
    pub debtor: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct EntryRecord {
    pub id: i64,
    pub statement_id: String,
    pub amount: String,
    pub currency: String,
    pub value_date: String,
    pub reference: Option<String>,
    pub remittance: String,
    pub debtor: String,
    /// The bank-transfer deposit whose reference the line carries, if any.
    pub deposit_id: Option<DepositId>,
    /// The wire recorded from this line, if any (then it cannot be used again).
    pub wire_id: Option<i64>,
    /// The deposit the line's reference names already has a wire (recorded
    /// by hand): the line is that money, not money for another deposit.
    pub recorded: bool,
}

#[async_trait]
pub trait BankStore: Send + Sync {
    /// In one transaction: records the wire and, unless it needs four eyes,
    /// confirms the deposit with `amount_minor - fee` and queues its credit.
    async fn record_wire(&self, new: &NewWire) -> Result<WireOutcome, StoreError>;
    /// In one transaction: a second finance user approves; the deposit is
    /// confirmed and its credit queued.
    async fn approve_wire(&self, wire_id: i64, approver: i64, now: i64) -> Result<WireOutcome, StoreError>;
    /// Drops a wire still waiting for approval (recorded by mistake).
    async fn discard_wire(&self, wire_id: i64) -> Result<bool, StoreError>;
    async fn wire(&self, wire_id: i64) -> Result<Option<WireView>, StoreError>;
    /// Wires in `state`, oldest first (a queue), or all, newest first.
    async fn wires(&self, state: Option<WireState>, limit: i64) -> Result<Vec<WireView>, StoreError>;
    /// Adds the lines not imported before (a file that did not parse adds
    /// none); returns how many were new. Written in short transactions: an
    /// import cut short is completed by importing the same file again.
    async fn import_entries(&self, entries: &[NewEntry], now: i64) -> Result<u64, StoreError>;
    /// Lines no wire has used and nobody set aside yet, oldest first.
    async fn open_entries(&self, limit: i64) -> Result<Vec<EntryRecord>, StoreError>;
    /// Sets an open line aside; `false` if it was used or set aside already.
    async fn dismiss_entry(&self, id: i64, staff: i64, now: i64) -> Result<bool, StoreError>;
    async fn entry(&self, id: i64) -> Result<Option<EntryRecord>, StoreError>;
}
