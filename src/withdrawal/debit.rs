//! The debiting worker: takes approved withdrawals from the outbox and
//! debits the trading account exactly once (how, and why it is exactly once,
//! is `ledger`'s: the same leases, lookup before retry, fencing and late-copy
//! audit as credits).
//!
//! Unlike a refused credit (money taken, so a person must act), a debit
//! cTrader refuses took nothing: the withdrawal is rejected with the reason
//! and nothing is paid.

use std::time::Duration;

use crate::ctrader::BalanceChangeType;
use crate::ledger::{self, Refusal, Step, BATCH};
use crate::state::AppState;
use crate::store::withdrawals::{DebitAudit, DebitJob};
use crate::time::now_ms;
use crate::worker::poll;

/// Runs the worker until the task is aborted; debits and their audits have a loop each.
pub fn spawn_worker(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let pause = Duration::from_millis(500);
        let debits = poll(
            "debit",
            pause,
            || run_once(&state),
            || async {
                let _ = tokio::time::timeout(Duration::from_millis(250), state.debit_queued.notified()).await;
            },
        );
        let audits = poll("debit audit", pause, || audit_once(&state), || tokio::time::sleep(pause));
        futures::future::join(debits, audits).await;
    })
}

/// Claims due debits and works them; returns how many it took.
pub async fn run_once(state: &AppState) -> Result<usize, crate::store::StoreError> {
    let jobs = state.store.withdrawals.claim_debits(now_ms(), ledger::lease_ms(state), BATCH).await?;
    let n = jobs.len();
    futures::future::join_all(jobs.into_iter().map(|job| work(state, job))).await;
    Ok(n)
}

/// Claims due audits and works them; returns how many it took.
pub async fn audit_once(state: &AppState) -> Result<usize, crate::store::StoreError> {
    let jobs = state.store.withdrawals.claim_audits(now_ms(), ledger::lease_ms(state), BATCH).await?;
    let n = jobs.len();
    futures::future::join_all(jobs.into_iter().map(|job| audit(state, job))).await;
    Ok(n)
}

async fn audit(state: &AppState, job: DebitAudit) {
    let Ok(duplicate) = ledger::audit(state, &job, "debit").await else { return };
    if let Err(e) = state.store.withdrawals.finish_audit(&job.id, duplicate.as_deref()).await {
        tracing::error!(error = %e, withdrawal = %job.id, "debit audit result not saved");
    }
}

/// One attempt at one leased debit, and its outcome saved.
pub async fn work(state: &AppState, job: DebitJob) {
    let step = ledger::attempt(state, &job, BalanceChangeType::Withdraw, format!("Withdrawal {}", job.id)).await;
    let store = &state.store.withdrawals;
    let saved = match step {
        Step::Applied(history_id) => {
            tracing::info!(withdrawal = %job.id, attempt = job.attempt, "withdrawal debited");
            let audit_at = ledger::audit_at(state);
            match store.mark_debited(&job.id, job.attempt, history_id, now_ms(), (job.attempt > 1).then_some(audit_at)).await {
                Ok(true) => Ok(()),
                Ok(false) => store.schedule_audit(&job.id, audit_at).await,
                Err(e) => Err(e),
            }
        }
        Step::Retry(why) => {
            if job.attempt >= state.settings.payments.alert_after_attempts {
                tracing::error!(withdrawal = %job.id, attempt = job.attempt, reason = %why, "debit still unsettled; check cTrader");
            } else {
                tracing::warn!(withdrawal = %job.id, attempt = job.attempt, reason = %why, "debit outcome unknown; will settle and retry");
            }
            store.retry_debit_at(&job.id, job.attempt, ledger::retry_at(state, job.attempt), &why).await
        }
        Step::Refused(why) => {
            tracing::warn!(withdrawal = %job.id, reason = %why, "cTrader refused the debit; withdrawal rejected, nothing paid");
            let code = match why {
                Refusal::NotEnoughMoney => "insufficient_balance",
                Refusal::TraderNotFound | Refusal::Other(_) => "platform",
            };
            // After an unknown outcome the refusal may be an earlier copy's
            // doing: look again later, as for a late copy of a debit.
            let audit_at = (job.attempt > 1).then(|| ledger::audit_at(state));
            store.refuse_debit(&job.id, job.attempt, code, &why.to_string(), now_ms(), audit_at).await
        }
    };
    // If this write fails the lease runs out and the next attempt settles by lookup.
    if let Err(e) = saved {
        tracing::error!(error = %e, withdrawal = %job.id, "debit result not saved");
    }
}
