//! The debiting worker: takes approved withdrawals from the outbox and
//! debits the trading account exactly once (how, and why it is exactly once,
//! is `ledger`'s: the same leases, lookup before retry, fencing and late-copy
//! audit as credits).
//!
//! Unlike a refused credit (money taken, so a person must act), a debit
//! cTrader refuses took nothing: the withdrawal is rejected with the reason
//! and nothing is paid. Unless an earlier attempt's outcome was unknown: a
//! copy of it landing late may be what the balance went to, so the
//! withdrawal stays approved until the second look says which.

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
            state.streams.shutdown(),
            pause,
            || run_once(&state),
            || async {
                let _ = tokio::time::timeout(Duration::from_millis(250), state.debit_queued.notified()).await;
            },
        );
        let audits = poll("debit audit", state.streams.shutdown(), pause, || audit_once(&state), || tokio::time::sleep(pause));
        futures::future::join(debits, audits).await;
    })
}

/// Claims due debits and works them; returns how many it took.
pub async fn run_once(state: &AppState) -> Result<usize, crate::store::StoreError> {
    let jobs = state.store.withdrawals.claim_debits(now_ms(), ledger::lease_ms(state), BATCH).await?;
    let n = jobs.len();
    futures::future::join_all(jobs.into_iter().map(|job| {
        // Every log line of the attempt carries which payment and attempt it is.
        let span = tracing::info_span!("debit", payment = %job.id, attempt = job.attempt);
        tracing::Instrument::instrument(work(state, job), span)
    }))
    .await;
    Ok(n)
}

/// Claims due audits and works them; returns how many it took.
pub async fn audit_once(state: &AppState) -> Result<usize, crate::store::StoreError> {
    let jobs = state.store.withdrawals.claim_audits(now_ms(), ledger::lease_ms(state), BATCH).await?;
    let n = jobs.len();
    futures::future::join_all(jobs.into_iter().map(|job| audit(state, job))).await;
    Ok(n)
}

/// The second look. At a debit: a late second copy is flagged. At a refusal
/// held after an unknown outcome: whether the earlier attempt landed decides
/// between debited (it took the money, so it is paid out) and rejected.
async fn audit(state: &AppState, job: DebitAudit) {
    let Ok(found) = ledger::copies(state, &job, "debit").await else { return };
    let store = &state.store.withdrawals;
    let saved = if job.balance_history_id.is_none() {
        if !found.is_empty() {
            tracing::warn!(withdrawal = %job.id, "a debit refused after an unknown outcome had landed earlier: debited after all");
        }
        let _ = ledger::duplicate(&job, &found, "debit");
        store.settle_refused_debit(&job.id, &found, now_ms()).await
    } else {
        store.finish_audit(&job.id, ledger::duplicate(&job, &found, "debit").as_deref()).await
    };
    if let Err(e) = saved {
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
            let code = match why {
                Refusal::NotEnoughMoney => "insufficient_balance",
                Refusal::TraderNotFound | Refusal::Other(_) => "platform",
            };
            if job.attempt > 1 {
                // An earlier attempt's outcome was unknown: if it landed late,
                // it is what took the balance. The second look decides.
                tracing::warn!(withdrawal = %job.id, reason = %why, "cTrader refused a debit after an unknown outcome; held until the second look");
                store.hold_refused_debit(&job.id, job.attempt, code, &why.to_string(), ledger::audit_at(state)).await
            } else {
                tracing::warn!(withdrawal = %job.id, reason = %why, "cTrader refused the debit; withdrawal rejected, nothing paid");
                store.refuse_debit(&job.id, job.attempt, code, &why.to_string(), now_ms()).await
            }
        }
    };
    // If this write fails the lease runs out and the next attempt settles by lookup.
    if let Err(e) = saved {
        tracing::error!(error = %e, withdrawal = %job.id, "debit result not saved");
    }
}
