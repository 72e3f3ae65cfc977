//! The accessRights outbox worker: a decision is written with the
//! accessRights it maps to in one transaction; this worker carries it to
//! cTrader, retrying with back-off until cTrader takes it. Setting a value is
//! idempotent, so an unknown outcome is simply sent again.

use std::time::Duration;

use crate::state::AppState;
use crate::time::now_ms;

pub fn spawn_worker(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        crate::worker::poll(
            "access rights",
            state.streams.shutdown(),
            Duration::from_millis(1_000),
            || run_once(&state),
            || tokio::time::sleep(Duration::from_millis(300)),
        )
        .await
    })
}

pub async fn run_once(state: &AppState) -> Result<usize, crate::store::StoreError> {
    let lease = state.settings.ctrader.timeout_ms as i64 * 3 + 2_000;
    let jobs = state.store.kyc.claim_access(now_ms(), lease, 16).await?;
    let n = jobs.len();
    // All at once: each call ends (its timeouts) inside the lease it started
    // with. One after another, a job late in the batch could start after its
    // lease ran out, while another instance sends a newer decision, and then
    // overwrite it in cTrader with an older one.
    futures::future::join_all(jobs.into_iter().map(|job| apply(state, job))).await;
    Ok(n)
}

/// One accessRights job: sent, then recorded as applied or to be retried.
async fn apply(state: &AppState, job: crate::store::AccessJob) {
    let result = state.ctrader.set_access_rights(job.login, &job.access_rights).await;
    let saved = match result {
        Ok(()) => {
            tracing::info!(login = %job.login, access_rights = %job.access_rights, "access rights applied in cTrader");
            state.store.kyc.access_applied(job.login, job.version, job.attempt).await
        }
        Err(e) => {
            let p = &state.settings.payments;
            let wait = p.retry_base_ms.saturating_mul(1u64 << job.attempt.clamp(1, 16).saturating_sub(1)).min(p.retry_max_ms) as i64;
            tracing::warn!(login = %job.login, attempt = job.attempt, error = %e, "access rights not applied yet; will retry");
            state.store.kyc.access_retry(job.login, job.attempt, now_ms() + wait, &e.to_string()).await
        }
    };
    if let Err(e) = saved {
        tracing::error!(error = %e, login = %job.login, "access rights result not saved");
    }
}
