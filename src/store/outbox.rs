//! What the two balance-change outboxes (deposits' credits, withdrawals'
//! debits) hand their worker: the same shapes, keyed by their own id type.

use crate::domain::Login;

/// A balance change the worker owns until `leased_until`.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerJob<Id> {
    /// Our payment's id: cTrader's `externalId`, how a lost answer is found.
    pub id: Id,
    pub login: Login,
    pub digits: u32,
    /// Always positive; the outbox says which way it moves the balance.
    pub amount_minor: i64,
    /// Counting this one; above 1 means an earlier attempt's outcome is unknown.
    pub attempt: i64,
    /// From when cTrader's history is searched (less a minute): the payment's
    /// creation, or a withdrawal's approval; no copy can be older.
    pub since: i64,
    /// The lease's end (ms since the epoch).
    pub leased_until: i64,
}

/// An applied change due for its second look in cTrader's history.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerAudit<Id> {
    pub id: Id,
    pub login: Login,
    /// As `LedgerJob::since`.
    pub since: i64,
    /// The copy we recorded.
    pub balance_history_id: Option<i64>,
}
