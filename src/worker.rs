//! The loop every database-outbox worker runs: take a round of due jobs; when
//! there were none, wait (`idle`); when the round failed, log it and pause.
//! Workers on any number of instances may run it: the store's leases keep
//! them apart.

use std::future::Future;
use std::time::Duration;

use crate::store::StoreError;

/// Runs rounds until the task is aborted. `round` returns how many jobs it took.
pub async fn poll<R, RF, I, IF>(what: &'static str, error_pause: Duration, mut round: R, mut idle: I)
where
    R: FnMut() -> RF,
    RF: Future<Output = Result<usize, StoreError>>,
    I: FnMut() -> IF,
    IF: Future<Output = ()>,
{
    loop {
        match round().await {
            Ok(0) => idle().await,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, worker = what, "worker round failed");
                tokio::time::sleep(error_pause).await;
            }
        }
    }
}
