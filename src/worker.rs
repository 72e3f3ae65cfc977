//! The loop every database-outbox worker runs: take a round of due jobs; when
//! there were none, wait (`idle`); when the round failed, log it and pause.
//! Workers on any number of instances may run it: the store's leases keep
//! them apart.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::store::StoreError;

/// Runs rounds until `shutdown` (or the task is aborted). `round` returns how
/// many jobs it took. A round that has started is finished, never cut short
/// by the shutdown: its attempts end inside their leases and their outcomes
/// are saved, so another instance need not wait out the leases and look
/// each payment up.
pub async fn poll<R, RF, I, IF>(what: &'static str, shutdown: CancellationToken, error_pause: Duration, mut round: R, mut idle: I)
where
    R: FnMut() -> RF,
    RF: Future<Output = Result<usize, StoreError>>,
    I: FnMut() -> IF,
    IF: Future<Output = ()>,
{
    while !shutdown.is_cancelled() {
        match round().await {
            Ok(0) => {
                tokio::select! { () = idle() => {}, () = shutdown.cancelled() => {} }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, worker = what, "worker round failed");
                tokio::select! { () = tokio::time::sleep(error_pause) => {}, () = shutdown.cancelled() => {} }
            }
        }
    }
}
