//! The crediting worker: takes confirmed deposits from the outbox and applies
//! them to the trading account exactly once.
//!
//! cTrader has no idempotency key, so "exactly once" rests on three rules:
//! the attempt is counted (and leased) before the call; a call whose outcome is
//! unknown (timeout, 5xx, dropped connection) is settled by finding the
//! deposit id (`externalId`) in the trader's balance history before any retry,
//! and not before `settle_ms` has passed, so a request cTrader is still
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
//! case it ever does not, a credit that followed an unknown outcome is looked
//! up again `audit_after_ms` later: two copies of one deposit are flagged for
//! a person (back-office dashboard, error log); nothing is reversed by itself.

use std::time::Duration;

use rand::Rng;

use crate::ctrader::{BalanceChange, BalanceChangeType, CtraderError};
use crate::deposit::service::from_minor;
use crate::state::AppState;
use crate::store::{AuditJob, CreditJob};
use crate::time::now_ms;
use crate::worker::poll;

/// How many credits one worker works on at once.
const BATCH: i64 = 16;

/// Runs the worker until the task is aborted or the process stops. Credits
/// and audits have a loop each, so a slow or failing audit never holds up a
/// credit (aborting the task stops both).
pub fn spawn_worker(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let pause = Duration::from_millis(500);
        let credits = poll(
            "credit",
            pause,
            || run_once(&state),
            || async {
                // Woken at once for credits queued here; the poll finds the rest.
                let _ = tokio::time::timeout(Duration::from_millis(250), state.credit_queued.notified()).await;
            },
        );
        let audits = poll("credit audit", pause, || audit_once(&state), || tokio::time::sleep(pause));
        futures::future::join(credits, audits).await;
    })
}

/// The lease: room for a lookup and a balance change (each may sign in again
/// first), plus the settle time after the change's last possible send.
pub fn lease_ms(state: &AppState) -> i64 {
    state.settings.ctrader.timeout_ms as i64 * 4 + state.settings.payments.settle_ms as i64 + 2_000
}

fn settle_ms(state: &AppState) -> i64 {
    state.settings.payments.settle_ms as i64
}

/// Claims due credits and works them; returns how many it took.
pub async fn run_once(state: &AppState) -> Result<usize, crate::store::StoreError> {
    let jobs = state.store.deposits.claim_credits(now_ms(), lease_ms(state), BATCH).await?;
    let n = jobs.len();
    let work = jobs.into_iter().map(|job| {
        let state = state.clone();
        async move { work(&state, job).await }
    });
    futures::future::join_all(work).await;
    Ok(n)
}

/// Claims due audits and works them; returns how many it took.
pub async fn audit_once(state: &AppState) -> Result<usize, crate::store::StoreError> {
    let jobs = state.store.deposits.claim_audits(now_ms(), lease_ms(state), BATCH).await?;
    let n = jobs.len();
    futures::future::join_all(jobs.into_iter().map(|job| audit(state, job))).await;
    Ok(n)
}

/// The second look: our one copy is the normal case; more are reported. A
/// lookup that fails leaves the lease to run out, and the audit is taken again.
async fn audit(state: &AppState, job: AuditJob) {
    let (from, to) = (job.created_at - 60_000, now_ms() + 60_000);
    let found = match state.ctrader.balance_changes_for(job.login, &job.deposit_id, from, to).await {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(deposit = %job.deposit_id, error = %e, "credit audit lookup failed; will try again");
            return;
        }
    };
    if job.balance_history_id.is_some_and(|ours| !found.contains(&ours)) {
        tracing::error!(deposit = %job.deposit_id, login = %job.login, "credited deposit's balance change not found in cTrader's history; check it");
    }
    let duplicate = (found.len() > 1).then(|| {
        let copies = found.iter().map(|id| id.to_string()).collect::<Vec<_>>().join(", ");
        tracing::error!(deposit = %job.deposit_id, login = %job.login, balance_history_ids = %copies, "deposit credited more than once in cTrader; reverse the extra copy");
        copies
    });
    if let Err(e) = state.store.deposits.finish_audit(&job.deposit_id, duplicate.as_deref()).await {
        tracing::error!(error = %e, deposit = %job.deposit_id, "credit audit result not saved");
    }
}

enum Step {
    Credited(i64),
    /// Not done, and no request may be in flight past `settle_ms`: try again later.
    Retry(String),
    /// cTrader answered no for good: the deposit is paid but needs a person.
    Refused(String),
}

/// One attempt at one leased credit, and its outcome saved.
pub async fn work(state: &AppState, job: CreditJob) {
    let step = attempt(state, &job).await;
    let store = &state.store.deposits;
    let saved = match step {
        Step::Credited(history_id) => {
            tracing::info!(deposit = %job.deposit_id, attempt = job.attempt, "deposit credited");
            // Only a credit after an unknown outcome can have a late twin; so
            // can one whose job another worker took over meanwhile (fenced out).
            let audit_at = now_ms() + state.settings.payments.audit_after_ms as i64;
            match store.mark_credited(&job.deposit_id, job.attempt, history_id, now_ms(), (job.attempt > 1).then_some(audit_at)).await {
                Ok(true) => Ok(()),
                Ok(false) => store.schedule_audit(&job.deposit_id, audit_at).await,
                Err(e) => Err(e),
            }
        }
        Step::Retry(why) => {
            let at = now_ms() + backoff_ms(state, job.attempt).max(settle_ms(state));
            if job.attempt >= state.settings.payments.alert_after_attempts {
                tracing::error!(deposit = %job.deposit_id, attempt = job.attempt, reason = %why, "credit still unsettled; check cTrader");
            } else {
                tracing::warn!(deposit = %job.deposit_id, attempt = job.attempt, reason = %why, "credit outcome unknown; will settle and retry");
            }
            store.retry_credit_at(&job.deposit_id, job.attempt, at, &why).await
        }
        Step::Refused(why) => {
            tracing::error!(deposit = %job.deposit_id, reason = %why, "cTrader refused the credit; needs review");
            store.review_credit(&job.deposit_id, job.attempt, &why, now_ms()).await
        }
    };
    // If this write fails the lease runs out and the next attempt settles by lookup.
    if let Err(e) = saved {
        tracing::error!(error = %e, deposit = %job.deposit_id, "credit result not saved");
    }
}

async fn attempt(state: &AppState, job: &CreditJob) -> Step {
    let ctrader = &state.ctrader;
    // The last moment a balance change may leave and still land inside the lease.
    let send_by = job.leased_until - settle_ms(state);
    if job.attempt > 1 {
        // An earlier attempt may have been applied with its answer lost.
        let (from, to) = (job.created_at - 60_000, now_ms() + 60_000);
        let lookup = ctrader.find_balance_change(job.login, &job.deposit_id, from, to);
        match tokio::time::timeout(remaining(send_by), lookup).await {
            Ok(Ok(Some(history_id))) => return Step::Credited(history_id),
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
        amount: from_minor(job.amount_minor, job.digits),
        kind: BalanceChangeType::Deposit,
        comment: Some(format!("Deposit {}", job.deposit_id)),
        external_note: None,
        external_id: Some(job.deposit_id.to_string()),
        source: Some("broker-inapp".into()),
    };
    // Dropping the call at `send_by` stops any further request (a manager
    // sign-in and retry inside it included) from leaving after the deadline.
    match tokio::time::timeout(remaining(send_by), ctrader.change_balance(&change)).await {
        Ok(Ok(history_id)) => Step::Credited(history_id),
        Ok(Err(CtraderError::NotFound)) => Step::Refused("trader not found".into()),
        Ok(Err(CtraderError::Rejected { status, detail })) => Step::Refused(format!("status {status}: {detail}")),
        Ok(Err(e)) => Step::Retry(e.to_string()),
        Err(_) => Step::Retry("no answer within the lease".into()),
    }
}

fn remaining(until_ms: i64) -> Duration {
    Duration::from_millis((until_ms - now_ms()).max(0) as u64)
}

/// Exponential back-off from `retry_base_ms`, capped at `retry_max_ms`, times a
/// random factor in [0.5, 1.5) so retries from many deposits spread out.
fn backoff_ms(state: &AppState, attempt: i64) -> i64 {
    let p = &state.settings.payments;
    let exp = p.retry_base_ms.saturating_mul(1u64 << attempt.clamp(1, 20).saturating_sub(1)).min(p.retry_max_ms);
    (exp as f64 * rand::thread_rng().gen_range(0.5..1.5)) as i64
}
