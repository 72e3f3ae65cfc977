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
    // A request may still land up to `settle_ms` after it was sent (the
    // ledger's rule): the lease covers the call, and that.
    let settle = state.settings.payments.settle_ms as i64;
    let lease = state.settings.ctrader.timeout_ms as i64 * 3 + settle + 2_000;
    let claimed = now_ms();
    let jobs = state.store.kyc.claim_access(claimed, lease, 16).await?;
    let n = jobs.len();
    // Each call is cut off where it could no longer land inside the lease: a
    // late one (a slow cTrader, sign-ins taking turns) could otherwise land
    // after another instance took the job over and sent a newer decision,
    // and overwrite it with an older one. A call cut off is tried again.
    let send_by = claimed + lease - settle;
    futures::future::join_all(jobs.into_iter().map(|job| apply(state, job, send_by))).await;
    Ok(n)
}

/// One accessRights job: sent (by `send_by` at the latest), then recorded as
/// applied or to be retried.
async fn apply(state: &AppState, job: crate::store::AccessJob, send_by: i64) {
    let left = Duration::from_millis((send_by - now_ms()).max(0) as u64);
    let result = match tokio::time::timeout(left, state.ctrader.set_access_rights(job.login, &job.access_rights)).await {
        Ok(result) => result,
        Err(_) => Err(crate::ctrader::CtraderError::Unavailable("no answer within the lease".into())),
    };
    let saved = match result {
        Ok(()) => {
            tracing::info!(login = %job.login, access_rights = %job.access_rights, "access rights applied in cTrader");
            state.store.kyc.access_applied(job.login, job.version, job.attempt).await
        }
        Err(e) => {
            let p = &state.settings.payments;
            // Never before `settle_ms`: a request cut off may still land, and
            // must land before a newer decision can be sent.
            let wait = crate::ledger::backoff_ms(state, job.attempt).max(p.settle_ms as i64);
            tracing::warn!(login = %job.login, attempt = job.attempt, error = %e, "access rights not applied yet; will retry");
            state.store.kyc.access_retry(job.login, job.attempt, now_ms() + wait, &e.to_string()).await
        }
    };
    if let Err(e) = saved {
        tracing::error!(error = %e, login = %job.login, "access rights result not saved");
    }
}
