//! The periodic clean-up every instance runs.

use std::time::Duration;

use crate::state::AppState;

/// Deletes expired sessions and old token claims every few minutes.
pub(super) fn spawn_housekeeping(state: AppState) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            housekeep(&state).await;
        }
    });
}

/// One round of clean-up: expired sessions and token claims, and deposits the
/// trader never paid (so their screens stop waiting on them).
pub async fn housekeep(state: &AppState) {
    let now = state.clock.now_ms();
    let idle = state.settings.session.idle_minutes as i64 * 60_000;
    if let Err(e) = state.store.sessions.purge(now, now - idle).await {
        tracing::warn!(error = %e, "session purge failed");
    }
    if let Err(e) = state.store.token_claims.purge(now - 24 * 3_600_000).await {
        tracing::warn!(error = %e, "token claim purge failed");
    }
    if let Err(e) = state.store.sso.purge_one_time(now - 3_600_000).await {
        tracing::warn!(error = %e, "one-time token purge failed");
    }
    // The change logs and attachments are stamped with the system time
    // (they are about delivery, not expiry rules), so they are purged on it.
    let system_now = crate::time::now_ms();
    if let Err(e) = state.store.live.purge_changes(system_now - 10 * 60_000).await {
        tracing::warn!(error = %e, "change log purge failed");
    }
    // An attachment uploaded but never sent (the trader removed it or left).
    match state.store.chat.purge_unsent_attachments(system_now - 24 * 3_600_000).await {
        Ok(ids) => {
            for id in ids {
                crate::kyc::upload::forget(state, &id).await;
            }
        }
        Err(e) => tracing::warn!(error = %e, "unsent chat attachment purge failed"),
    }
    // A replaced KYC document's file, once its retention has passed (the record stays).
    let retention = state.settings.kyc.replaced_retention_days as i64 * 24 * 3_600_000;
    // The files go first and the record says so after: a failed delete is tried again next round.
    match state.store.kyc.replaced_before(system_now - retention, 500).await {
        Ok(ids) => {
            for id in ids {
                let files = &state.documents;
                match (files.delete(&id).await, files.delete(&format!("{id}.preview")).await) {
                    (Ok(()), Ok(())) => {
                        if let Err(e) = state.store.kyc.file_deleted(&id, system_now).await {
                            tracing::warn!(error = %e, "recording a deleted document file failed");
                        }
                    }
                    (Err(e), _) | (_, Err(e)) => tracing::warn!(error = %e, document = %id, "deleting a replaced document's file failed; will try again"),
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "replaced document clean-up failed"),
    }
    let unpaid_before = now - state.settings.payments.pending_expiry_minutes as i64 * 60_000;
    match state.store.deposits.expire_pending(unpaid_before, now).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(deposits = n, "unpaid deposits expired"),
        Err(e) => tracing::warn!(error = %e, "expiring unpaid deposits failed"),
    }
}
