//! Balance changes in cTrader applied exactly once: what the crediting
//! worker (deposits) and the debiting worker (withdrawals) share. Each
//! worker owns its outbox table and what an outcome means for its records;
//! how one leased attempt talks to cTrader is written here, once.
//!
//! cTrader has no idempotency key, so "exactly once" rests on three rules:
//! the attempt is counted (and leased) before the call; a call whose outcome is
//! unknown (timeout, 5xx, dropped connection) is settled by finding the
//! payment's id (`externalId`) in the trader's balance history before any
//! retry, and not before `settle_ms` has passed, so a request cTrader is still
//! processing has landed by the time we look; and a balance change is only
//! sent while it can still land inside the worker's lease (the lease ends
//! `settle_ms` after the last moment a request may leave), so a worker that
//! takes the job over after the lease looks up only once any earlier request
//! has landed. Every write at the end of an attempt is fenced by the attempt
//! number, so a worker that overran its lease cannot reopen a job another
//! worker now holds. (Leases compare clocks across instances: keep them in
//! sync with NTP, as any lease-based system needs.)
//!
//! The settle rule assumes cTrader finishes a change within `settle_ms`. In
//! case it ever does not, a change that followed an unknown outcome is looked
//! up again `audit_after_ms` later: two copies of one payment are flagged for
//! a person (back-office dashboard, error log); nothing is reversed by itself.

use std::time::Duration;

use rand::Rng;
use rust_decimal::Decimal;

use crate::ctrader::{BalanceChange, BalanceChangeType, CtraderError};
use crate::state::AppState;
use crate::store::{LedgerAudit, LedgerJob};
use crate::time::now_ms;

/// How many jobs one worker round takes at once.
pub const BATCH: i64 = 16;

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// The change is in cTrader, with this `balanceHistoryId`.
    Applied(i64),
    /// Not done, and no request may be in flight past `settle_ms`: try again later.
    Retry(String),
    /// cTrader answered no for good: nothing was changed.
    Refused(Refusal),
}

/// cTrader's definite no, kept apart so a debit can tell the trader why.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// The trader's balance would go below zero (a debit only).
    NotEnoughMoney,
    TraderNotFound,
    Other(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::NotEnoughMoney => f.write_str("not enough free balance"),
            Refusal::TraderNotFound => f.write_str("trader not found"),
            Refusal::Other(detail) => f.write_str(detail),
        }
    }
}

/// The lease: room for a lookup and a balance change (each may sign in again
/// first), plus the settle time after the change's last possible send.
pub fn lease_ms(state: &AppState) -> i64 {
    state.settings.ctrader.timeout_ms as i64 * 4 + state.settings.payments.settle_ms as i64 + 2_000
}

fn settle_ms(state: &AppState) -> i64 {
    state.settings.payments.settle_ms as i64
}

/// When a job whose outcome is unknown may be tried again: after the back-off,
/// and never before `settle_ms`.
pub fn retry_at(state: &AppState, attempt: i64) -> i64 {
    now_ms() + backoff_ms(state, attempt).max(settle_ms(state))
}

/// When a change that may have a late twin is looked at again.
pub fn audit_at(state: &AppState) -> i64 {
    now_ms() + state.settings.payments.audit_after_ms as i64
}

/// One attempt: look the payment up first if an earlier attempt may have
/// landed, then send the change while it can still land inside the lease.
/// Counted in `inapp_ledger_attempts_total` by outcome.
pub async fn attempt<Id: std::ops::Deref<Target = str>>(state: &AppState, job: &LedgerJob<Id>, kind: BalanceChangeType, comment: String) -> Step {
    let step = attempt_once(state, job, kind, comment).await;
    let outcome = match &step {
        Step::Applied(_) => "applied",
        Step::Retry(_) => "retry",
        Step::Refused(_) => "refused",
    };
    metrics::counter!("inapp_ledger_attempts_total", "change" => change_name(kind), "outcome" => outcome).increment(1);
    step
}

fn change_name(kind: BalanceChangeType) -> &'static str {
    match kind {
        BalanceChangeType::Deposit => "credit",
        BalanceChangeType::Withdraw => "debit",
    }
}

async fn attempt_once<Id: std::ops::Deref<Target = str>>(state: &AppState, job: &LedgerJob<Id>, kind: BalanceChangeType, comment: String) -> Step {
    let ctrader = &state.ctrader;
    // The last moment a balance change may leave and still land inside the lease.
    let send_by = job.leased_until - settle_ms(state);
    if job.attempt > 1 {
        // An earlier attempt may have been applied with its answer lost.
        let (from, to) = (job.since - 60_000, now_ms() + 60_000);
        let lookup = ctrader.find_balance_change(job.login, &job.id, from, to);
        match tokio::time::timeout(remaining(send_by), lookup).await {
            Ok(Ok(Some(history_id))) => return Step::Applied(history_id),
            Ok(Ok(None)) => {}
            Ok(Err(e)) => return Step::Retry(format!("history lookup: {e}")),
            Err(_) => return Step::Retry("history lookup: no answer within the lease".into()),
        }
    }
    if send_by - now_ms() < state.settings.ctrader.timeout_ms as i64 {
        return Step::Retry("too little of the lease left for a balance change".into());
    }
    let change = BalanceChange {
        login: job.login,
        amount: Decimal::new(job.amount_minor, job.digits),
        kind,
        comment: Some(comment),
        external_note: None,
        external_id: Some(String::from(&*job.id)),
        source: Some("broker-inapp".into()),
    };
    // Dropping the call at `send_by` stops any further request (a manager
    // sign-in and retry inside it included) from leaving after the deadline.
    match tokio::time::timeout(remaining(send_by), ctrader.change_balance(&change)).await {
        Ok(Ok(history_id)) => Step::Applied(history_id),
        Ok(Err(CtraderError::NotFound)) => Step::Refused(Refusal::TraderNotFound),
        Ok(Err(CtraderError::Rejected { detail, .. })) if detail.contains("NOT_ENOUGH_MONEY") => Step::Refused(Refusal::NotEnoughMoney),
        Ok(Err(CtraderError::Rejected { status, detail })) => Step::Refused(Refusal::Other(format!("status {status}: {detail}"))),
        Ok(Err(e)) => Step::Retry(e.to_string()),
        Err(_) => Step::Retry("no answer within the lease".into()),
    }
}

/// Every copy of the job's change in cTrader's history (`balanceHistoryId`s),
/// for a second look; logs when the copy we recorded is not among them. An
/// error means cTrader could not be asked: the look is taken again when its
/// lease runs out.
pub async fn copies<Id: std::ops::Deref<Target = str>>(state: &AppState, job: &LedgerAudit<Id>, what: &'static str) -> Result<Vec<i64>, CtraderError> {
    let (from, to) = (job.since - 60_000, now_ms() + 60_000);
    let found = state.ctrader.balance_changes_for(job.login, &job.id, from, to).await.inspect_err(|e| {
        tracing::warn!(payment = &*job.id, what, error = %e, "audit lookup failed; will try again");
    })?;
    if job.balance_history_id.is_some_and(|ours| !found.contains(&ours)) {
        tracing::error!(payment = &*job.id, what, login = %job.login, "applied balance change not found in cTrader's history; check it");
    }
    Ok(found)
}

/// More than one copy of one payment's change: the copies, for a person to
/// reverse the extra one (logged as an error too).
pub fn duplicate<Id: std::ops::Deref<Target = str>>(job: &LedgerAudit<Id>, found: &[i64], what: &'static str) -> Option<String> {
    (found.len() > 1).then(|| {
        metrics::counter!("inapp_ledger_duplicates_total", "change" => what).increment(1);
        let copies = found.iter().map(|id| id.to_string()).collect::<Vec<_>>().join(", ");
        tracing::error!(payment = &*job.id, what, login = %job.login, balance_history_ids = %copies, "balance change applied more than once in cTrader; reverse the extra copy");
        copies
    })
}

/// The second look at an applied change: our one copy is the normal case;
/// answers the copies when there are more.
pub async fn audit<Id: std::ops::Deref<Target = str>>(state: &AppState, job: &LedgerAudit<Id>, what: &'static str) -> Result<Option<String>, CtraderError> {
    let found = copies(state, job, what).await?;
    Ok(duplicate(job, &found, what))
}

fn remaining(until_ms: i64) -> Duration {
    Duration::from_millis((until_ms - now_ms()).max(0) as u64)
}

/// Exponential back-off from `retry_base_ms`, capped at `retry_max_ms`, times a
/// random factor in [0.5, 1.5) so retries from many payments spread out.
pub(crate) fn backoff_ms(state: &AppState, attempt: i64) -> i64 {
    let p = &state.settings.payments;
    let exp = p.retry_base_ms.saturating_mul(1u64 << attempt.clamp(1, 20).saturating_sub(1)).min(p.retry_max_ms);
    (exp as f64 * rand::thread_rng().gen_range(0.5..1.5)) as i64
}
