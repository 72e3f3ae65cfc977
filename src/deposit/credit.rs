//! The crediting worker: takes confirmed deposits from the outbox and applies
//! them to the trading account exactly once (how, and why it is exactly
//! once, is `ledger`'s; what an outcome means for a deposit is here).
//!
//! A credit cTrader refuses for good leaves a paid deposit, so it goes to
//! `review` for a person, never to `failed`.

use std::time::Duration;

use crate::ctrader::BalanceChangeType;
use crate::ledger::{self, Step, BATCH};
use crate::state::AppState;
use crate::store::{AuditJob, CreditJob};
use crate::time::now_ms;
use crate::worker::poll;

pub use crate::ledger::lease_ms;

/// Runs the worker until the task is aborted or the process stops. Credits
/// and audits have a loop each, so a slow or failing audit never holds up a
/// credit (aborting the task stops both).
pub fn spawn_worker(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let pause = Duration::from_millis(500);
        let credits = poll(
            "credit",
            state.streams.shutdown(),
            pause,
            || run_once(&state),
            || async {
                // Woken at once for credits queued here; the poll finds the rest.
                let _ = tokio::time::timeout(Duration::from_millis(250), state.credit_queued.notified()).await;
            },
        );
        let audits = poll("credit audit", state.streams.shutdown(), pause, || audit_once(&state), || tokio::time::sleep(pause));
        futures::future::join(credits, audits).await;
    })
}

/// Claims due credits and works them; returns how many it took.
pub async fn run_once(state: &AppState) -> Result<usize, crate::store::StoreError> {
    let jobs = state.store.deposits.claim_credits(now_ms(), lease_ms(state), BATCH).await?;
    let n = jobs.len();
    let work = jobs.into_iter().map(|job| {
        let state = state.clone();
        // Every log line of the attempt carries which payment and attempt it is.
        let span = tracing::info_span!("credit", payment = %job.id, attempt = job.attempt);
        tracing::Instrument::instrument(async move { work(&state, job).await }, span)
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

/// A lookup that fails leaves the lease to run out, and the audit is taken again.
async fn audit(state: &AppState, job: AuditJob) {
    let Ok(duplicate) = ledger::audit(state, &job, "credit").await else { return };
    if let Err(e) = state.store.deposits.finish_audit(&job.id, duplicate.as_deref()).await {
        tracing::error!(error = %e, deposit = %job.id, "credit audit result not saved");
    }
}

/// One attempt at one leased credit, and its outcome saved.
pub async fn work(state: &AppState, job: CreditJob) {
    let step = ledger::attempt(state, &job, BalanceChangeType::Deposit, format!("Deposit {}", job.id)).await;
    let store = &state.store.deposits;
    let saved = match step {
        Step::Applied(history_id) => {
            tracing::info!(deposit = %job.id, attempt = job.attempt, "deposit credited");
            // Only a credit after an unknown outcome can have a late twin; so
            // can one whose job another worker took over meanwhile (fenced out).
            let audit_at = ledger::audit_at(state);
            match store.mark_credited(&job.id, job.attempt, history_id, now_ms(), (job.attempt > 1).then_some(audit_at)).await {
                Ok(true) => Ok(()),
                Ok(false) => store.schedule_audit(&job.id, audit_at).await,
                Err(e) => Err(e),
            }
        }
        Step::Retry(why) => {
            if job.attempt >= state.settings.payments.alert_after_attempts {
                tracing::error!(deposit = %job.id, attempt = job.attempt, reason = %why, "credit still unsettled; check cTrader");
            } else {
                tracing::warn!(deposit = %job.id, attempt = job.attempt, reason = %why, "credit outcome unknown; will settle and retry");
            }
            store.retry_credit_at(&job.id, job.attempt, ledger::retry_at(state, job.attempt), &why).await
        }
        Step::Refused(why) => {
            tracing::error!(deposit = %job.id, reason = %why, "cTrader refused the credit; needs review");
            store.review_credit(&job.id, job.attempt, &why.to_string(), now_ms()).await
        }
    };
    // If this write fails the lease runs out and the next attempt settles by lookup.
    if let Err(e) = saved {
        tracing::error!(error = %e, deposit = %job.id, "credit result not saved");
    }
}
