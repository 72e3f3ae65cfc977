//! The sweep of orphan objects. An upload is stored before its record is
//! written (`upload::keep`, then the row): a process that dies in between
//! leaves an object nothing refers to. Every instance sweeps now and then;
//! several sweeping the same store at once only delete the same orphans twice
//! (a delete of what is gone succeeds).

use std::time::Duration;

use futures::StreamExt;

use crate::kyc::files::StoredObject;
use crate::state::AppState;

/// How often an instance sweeps; the first sweep waits as long after start.
const EVERY: Duration = Duration::from_secs(10 * 60);
/// Ids asked about in one query.
const BATCH: usize = 500;

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Objects looked at that were older than the grace period.
    pub checked: usize,
    /// Of those, deleted: no document or attachment has their id.
    pub deleted: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("listing the stored objects: {0}")]
    List(std::io::Error),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

pub fn spawn_sweeper(state: AppState) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval_at(tokio::time::Instant::now() + EVERY, EVERY);
        loop {
            every.tick().await;
            match sweep_orphans(&state, crate::time::now_ms()).await {
                Ok(Swept { deleted: 0, .. }) => {}
                Ok(s) => tracing::info!(deleted = s.deleted, checked = s.checked, "orphan objects swept"),
                Err(e) => tracing::warn!(error = %e, "orphan object sweep failed; will try again"),
            }
        }
    });
}

/// The record id an object belongs to (its key without `.preview`), if its
/// key is one uploads get (`doc_` or `att_` and 32 hex digits): nothing else
/// in the store is ever swept.
fn owner(key: &str) -> Option<&str> {
    let id = key.strip_suffix(".preview").unwrap_or(key);
    let hex = id.strip_prefix("doc_").or_else(|| id.strip_prefix("att_"))?;
    (hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then_some(id)
}

/// Deletes every object older than `storage.objects.orphan_grace_minutes`
/// at `now_ms` (the store's own clock: wall time) whose id is neither a KYC
/// document's nor a chat attachment's. The store and the database must
/// belong together: a bucket prefix shared by deployments with different
/// databases would have each sweep the other's files.
pub async fn sweep_orphans(state: &AppState, now_ms: i64) -> Result<Swept, SweepError> {
    let before = now_ms - state.settings.storage.objects.orphan_grace_minutes as i64 * 60_000;
    let mut listed = state.documents.list();
    let mut swept = Swept::default();
    let mut batch: Vec<StoredObject> = Vec::with_capacity(BATCH);
    loop {
        let next = listed.next().await.transpose().map_err(SweepError::List)?;
        let end = next.is_none();
        batch.extend(next.filter(|o| o.modified_ms < before && owner(&o.key).is_some()));
        if end || batch.len() >= BATCH {
            swept.checked += batch.len();
            swept.deleted += sweep_batch(state, std::mem::take(&mut batch)).await?;
        }
        if end {
            return Ok(swept);
        }
    }
}

/// Deletes the objects of `batch` whose owner the database does not know.
async fn sweep_batch(state: &AppState, batch: Vec<StoredObject>) -> Result<usize, SweepError> {
    if batch.is_empty() {
        return Ok(0);
    }
    let mut ids: Vec<String> = batch.iter().filter_map(|o| owner(&o.key)).map(str::to_string).collect();
    ids.sort();
    ids.dedup();
    let known = state.store.kyc.known_file_ids(&ids).await?;
    let mut deleted = 0;
    for object in batch.iter().filter(|o| owner(&o.key).is_some_and(|id| !known.contains(id))) {
        match state.documents.delete(&object.key).await {
            Ok(()) => {
                tracing::info!(object = %object.key, "orphan object deleted");
                deleted += 1;
            }
            Err(e) => tracing::warn!(error = %e, object = %object.key, "deleting an orphan object failed; the next sweep tries again"),
        }
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_preview_belongs_to_its_record_and_only_upload_ids_are_swept() {
        let id = "doc_0123456789abcdef0123456789abcdef";
        assert_eq!(super::owner(&format!("{id}.preview")), Some(id));
        assert_eq!(super::owner("att_0123456789abcdef0123456789abcdef"), Some("att_0123456789abcdef0123456789abcdef"));
        for other in
            ["README", "doc_12", "img_0123456789abcdef0123456789abcdef", "doc_0123456789abcdef0123456789abcdeg", "doc_0123456789abcdef0123456789abcdef.txt"]
        {
            assert_eq!(super::owner(other), None, "{other}");
        }
    }
}
