//! `POST /inapp/kyc/documents?documentType=…` (multipart, field `file`): the
//! upload is streamed to a spool file while its type (by magic bytes) and
//! size are checked, then inspected; only a file that passes everything is
//! stored under a server-made id and recorded. Any refusal leaves no file and
//! no row. Statuses: 413 too large (before reading when Content-Length says
//! so), 415 not JPEG/PNG/PDF, 422 too small, bad dimensions, damaged or
//! active PDF, 400 bad name or request, 401 no session, 409 case closed.

use std::collections::HashMap;
use std::path::PathBuf;

use axum::extract::{FromRequest, Multipart, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::io::AsyncWriteExt;

use crate::domain::kyc::{check_name, check_size, sniff, DocumentState, DocumentType, FileKind, UploadError, UploadLimits};
use crate::kyc::{inspect, service};
use crate::state::AppState;
use crate::store::{DocumentRecord, KycWrite};
use crate::time::now_ms;
use crate::web::{ApiError, Trader};

impl From<UploadError> for ApiError {
    fn from(e: UploadError) -> Self {
        ApiError::new(StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_REQUEST), e.code(), e.to_string())
    }
}

/// Deletes the spool file unless it was handed over.
pub struct Spool(Option<PathBuf>);

impl Spool {
    /// Where the file is, until it is handed over.
    pub fn path(&self) -> Option<&std::path::Path> {
        self.0.as_deref()
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

pub async fn upload(
    State(state): State<AppState>,
    Trader(session): Trader,
    Query(q): Query<HashMap<String, String>>,
    req: Request,
) -> Result<Response, ApiError> {
    let doc_type = q.get("documentType").and_then(|d| DocumentType::parse(d)).ok_or(UploadError::NotRequested)?;
    let case = state.store.kyc.case(session.trader.login).await?;
    let (type_name, t) = service::kyc_type(&state.settings, session.kyc_type.as_deref(), case.as_ref());
    if !service::asks_for(t, doc_type) {
        return Err(UploadError::NotRequested.into());
    }
    let checked = receive_checked(&state, req, service::limits(&state.settings), Uploader::Trader(session.trader.login)).await?;
    store(&state, &session, checked, doc_type, type_name, t).await
}

/// A file that passed every check, still in the spool until [`keep`] stores it.
pub struct Checked {
    spool: Spool,
    pub kind: FileKind,
    pub size: u64,
    pub file_name: String,
    /// The re-encoded display copy of an image (no EXIF).
    pub preview: Option<Vec<u8>>,
    /// An image's quality scores (`domain::kyc::quality`).
    pub quality: Option<crate::domain::kyc::quality::QualityScores>,
    /// A trader's place among their uploads in flight, until it is recorded.
    _in_flight: Option<crate::live::slots::StreamSlot>,
}

/// Who is uploading: a trader's uploads count against their daily quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uploader {
    Trader(crate::domain::Login),
    Staff,
}

/// Refuses uploads while the disk holding the files has less free space than
/// `storage.min_free_bytes` (the database usually shares it: it must never fill).
fn disk_has_room(state: &AppState) -> Result<(), ApiError> {
    let floor = state.settings.storage.min_free_bytes;
    match rustix::fs::statvfs(state.documents.spool_dir()) {
        Ok(s) if s.f_bavail.saturating_mul(s.f_frsize) >= floor => Ok(()),
        Ok(_) => {
            tracing::error!(min_free_bytes = floor, "uploads refused: the data disk is nearly full");
            Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "DISK_FULL", "uploads are paused for lack of space; try again later").retry_after(600))
        }
        // Cannot tell: let the write itself fail if it must.
        Err(e) => {
            tracing::warn!(error = %e, "free space check failed");
            Ok(())
        }
    }
}

/// A trader's uploads per 24 hours (KYC documents and chat attachments
/// together), counted from what was kept: `kyc.daily_uploads` files and
/// `kyc.daily_upload_bytes` bytes, this upload's declared body (with its
/// framing) included.
/// Answers the upload's place among the trader's uploads in flight (at
/// most `UPLOADS_AT_ONCE`), counted with what was kept: uploads sent all at
/// once cannot pass the quota together.
async fn within_quota(state: &AppState, login: crate::domain::Login, incoming: u64) -> Result<crate::live::slots::StreamSlot, ApiError> {
    let k = &state.settings.kyc;
    let key = format!("upload:{login}");
    let Some(slot) = state.streams.try_take(&[(key.clone(), UPLOADS_AT_ONCE)]) else {
        return Err(ApiError::new(StatusCode::TOO_MANY_REQUESTS, "UPLOAD_QUOTA", "too many uploads at once; wait for one to finish").retry_after(5));
    };
    let (count, bytes) = state.store.kyc.uploads_since(login, now_ms() - 24 * 3_600_000).await?;
    // The others in flight may each still bring up to the largest file.
    let others = state.streams.open(&key).saturating_sub(1) as u64;
    let pending = others * k.max_upload_bytes;
    if count + others as i64 >= i64::from(k.daily_uploads) || (bytes as u64).saturating_add(pending).saturating_add(incoming) > k.daily_upload_bytes {
        tracing::warn!(%login, count, bytes, "upload refused: daily quota used up");
        return Err(over_quota());
    }
    Ok(slot)
}

/// The daily quota as the store checks it again when it records an upload:
/// the check above counts this instance's uploads in flight; uploads
/// arriving through several instances at once meet here, under one lock.
pub fn daily_quota(state: &AppState) -> crate::store::UploadQuota {
    let k = &state.settings.kyc;
    crate::store::UploadQuota {
        since: now_ms() - 24 * 3_600_000,
        files: i64::from(k.daily_uploads),
        bytes: i64::try_from(k.daily_upload_bytes).unwrap_or(i64::MAX),
    }
}

/// 429: the trader's uploads for today are used up.
pub fn over_quota() -> ApiError {
    ApiError::new(StatusCode::TOO_MANY_REQUESTS, "UPLOAD_QUOTA", "too many uploads today; try again tomorrow").retry_after(3600)
}

/// A trader's uploads in flight at once.
const UPLOADS_AT_ONCE: usize = 3;

/// How many uploads are decoded or scanned at once: with `MAX_WORKING_BYTES`
/// each, what inspection can hold in memory is bounded whatever arrives.
pub const INSPECT_AT_ONCE: usize = 2;
/// How long an upload waits for its turn before a 503.
const INSPECT_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

fn inspection_slots() -> std::sync::Arc<tokio::sync::Semaphore> {
    static SLOTS: std::sync::OnceLock<std::sync::Arc<tokio::sync::Semaphore>> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| std::sync::Arc::new(tokio::sync::Semaphore::new(INSPECT_AT_ONCE))).clone()
}

/// The checks every upload goes through, KYC documents and chat attachments
/// alike: the declared size, the multipart field `file`, streaming to a spool
/// file with the type sniffed and the size counted, then the content
/// inspection.
pub async fn receive_checked(state: &AppState, req: Request, limits: UploadLimits, who: Uploader) -> Result<Checked, ApiError> {
    let checked = receive_checked_once(state, req, limits, who).await;
    let outcome = checked.as_ref().map(|_| "accepted").unwrap_or_else(ApiError::code);
    metrics::counter!("inapp_uploads_total", "outcome" => outcome).increment(1);
    checked
}

async fn receive_checked_once(state: &AppState, req: Request, limits: UploadLimits, who: Uploader) -> Result<Checked, ApiError> {
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_bytes + MULTIPART_OVERHEAD) {
        return Err(UploadError::TooLarge.into());
    }
    // Before a byte of the body is read: room on the disk, and the trader's day's quota.
    disk_has_room(state)?;
    let in_flight = match who {
        Uploader::Trader(login) => Some(within_quota(state, login, declared.unwrap_or(0)).await?),
        Uploader::Staff => None,
    };
    let mut multipart = Multipart::from_request(req, state).await.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "BAD_MULTIPART", e.body_text()))?;
    let (spool, kind, size, file_name) = receive(state.documents.spool_dir(), &mut multipart, &limits).await?;
    let path = spool.0.clone().expect("spool is held until handed over");
    let head = path.clone();
    match tokio::task::spawn_blocking(move || inspect::precheck(&head, kind, &limits)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(e.into()),
        Err(_) => return Err(UploadError::Corrupt.into()),
    }
    // Decoding may take up to `MAX_WORKING_BYTES` and a core: a few at a
    // time, the rest wait briefly or are told to come back. The permit goes
    // with the blocking task, so a client that hangs up cannot free it early.
    let permit = match tokio::time::timeout(INSPECT_WAIT, inspection_slots().acquire_owned()).await {
        Ok(Ok(permit)) => permit,
        _ => return Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "BUSY", "too many uploads are being checked; try again in a moment").retry_after(2)),
    };
    let checked = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        inspect::inspect(&path, kind, &limits)
    })
    .await;
    let inspected = match checked {
        Ok(Ok(i)) => i,
        Ok(Err(e)) => return Err(e.into()),
        Err(_) => return Err(UploadError::Corrupt.into()),
    };
    Ok(Checked { spool, kind, size, file_name, preview: inspected.preview, quality: inspected.quality, _in_flight: in_flight })
}

/// Stores a checked file (and its display copy) under `id` in the object store.
pub async fn keep(state: &AppState, id: &str, checked: &mut Checked) -> Result<(), ApiError> {
    let files = &state.documents;
    let path = checked.spool.0.take().expect("spool is held until handed over");
    let stored = async {
        if let Some(p) = &checked.preview {
            let tmp = files.spool_dir().join(format!("{id}.preview.part"));
            tokio::fs::write(&tmp, p).await?;
            files.put(&format!("{id}.preview"), &tmp).await?;
        }
        files.put(id, &path).await
    }
    .await;
    if let Err(e) = stored {
        let _ = std::fs::remove_file(&path);
        let _ = files.delete(&format!("{id}.preview")).await;
        return Err(io_error(&e));
    }
    Ok(())
}

/// Deletes what [`keep`] stored, when the record that would refer to it could not be written.
pub async fn forget(state: &AppState, id: &str) {
    let _ = state.documents.delete(id).await;
    let _ = state.documents.delete(&format!("{id}.preview")).await;
}

/// Multipart framing around the file; a body larger than the file limit plus
/// this is refused before it is read.
pub const MULTIPART_OVERHEAD: u64 = 64 * 1024;

/// The file part streamed to a spool file (deleted when this is dropped,
/// unless handed over), its sniffed kind, size and name.
pub type Received = (Spool, FileKind, u64, String);

/// Parts a form may send before `file` (our pages send none); a body of
/// thousands of tiny parts is refused instead of parsed to the end.
pub const MAX_OTHER_PARTS: usize = 8;

/// Reads the multipart body up to its `file` part and streams that to a new
/// file in `spool_dir`, checking name, type and size on the way; on any
/// refusal the file is gone (the `fuzz/` target `multipart` holds it to that).
pub async fn receive(spool_dir: &std::path::Path, multipart: &mut Multipart, limits: &UploadLimits) -> Result<Received, ApiError> {
    let mut others = 0;
    let mut field = loop {
        match multipart.next_field().await {
            Ok(Some(f)) if f.name() == Some("file") => break f,
            Ok(Some(_)) if others < MAX_OTHER_PARTS => others += 1,
            Ok(Some(_)) => return Err(ApiError::new(StatusCode::BAD_REQUEST, "BAD_MULTIPART", "too many parts before the file")),
            Ok(None) => return Err(UploadError::NoFile.into()),
            Err(e) => return Err(multipart_error(e)),
        }
    };
    let file_name = field.file_name().unwrap_or("document").to_string();
    check_name(&file_name)?;
    let path = spool_dir.join(format!("{}.part", uuid::Uuid::new_v4().simple()));
    let spool = Spool(Some(path.clone()));
    let mut out = tokio::fs::File::create(&path).await.map_err(|e| io_error(&e))?;
    let (mut size, mut head, mut kind) = (0u64, Vec::with_capacity(16), None);
    loop {
        let chunk = match field.chunk().await {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(e) => return Err(multipart_error(e)),
        };
        size += chunk.len() as u64;
        if size > limits.max_bytes {
            return Err(UploadError::TooLarge.into());
        }
        if kind.is_none() {
            head.extend_from_slice(&chunk[..chunk.len().min(16 - head.len().min(16))]);
            if head.len() >= 8 {
                kind = Some(sniff(&head).ok_or(UploadError::WrongType)?);
            }
        }
        out.write_all(&chunk).await.map_err(|e| io_error(&e))?;
    }
    let kind = match kind {
        Some(k) => k,
        None if size == 0 => return Err(UploadError::TooSmall.into()),
        None => sniff(&head).ok_or(UploadError::WrongType)?,
    };
    check_size(size, limits)?;
    out.sync_all().await.map_err(|e| io_error(&e))?;
    Ok((spool, kind, size, file_name))
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        UploadError::TooLarge.into()
    } else {
        ApiError::new(StatusCode::BAD_REQUEST, "BAD_MULTIPART", "the upload could not be read")
    }
}

fn io_error(e: &std::io::Error) -> ApiError {
    ApiError::internal(e)
}

async fn store(
    state: &AppState,
    session: &crate::session::Session,
    mut checked: Checked,
    doc_type: DocumentType,
    type_name: &str,
    t: &crate::config::KycTypeSettings,
) -> Result<Response, ApiError> {
    let id = format!("doc_{}", uuid::Uuid::new_v4().simple());
    keep(state, &id, &mut checked).await?;
    let record = DocumentRecord {
        id: id.clone(),
        login: session.trader.login,
        doc_type,
        state: DocumentState::Uploaded,
        reason: None,
        file_name: checked.file_name.clone(),
        kind: checked.kind,
        size: checked.size as i64,
        has_preview: checked.preview.is_some(),
        created_at: now_ms(),
        decided_at: None,
        decided_by: None,
        replaced_at: None,
        file_deleted_at: None,
        rejected_final: false,
        quality: checked.quality.and_then(|q| serde_json::to_string(&q).ok()),
    };
    let quota = daily_quota(state);
    let written = state.store.kyc.add_document(&record, session.trader.user_id, &service::rules(&state.settings, type_name, t), Some(&quota), now_ms()).await;
    match written {
        Ok(KycWrite::Done(_)) => {
            tracing::info!(login = %session.trader.login, document = %id, doc_type = doc_type.as_str(), "kyc document stored");
            Ok((StatusCode::CREATED, axum::Json(serde_json::json!({ "id": id, "documentType": doc_type.as_str(), "state": "uploaded" }))).into_response())
        }
        Ok(KycWrite::FinalRejection) => {
            forget(state, &id).await;
            Err(UploadError::FinalRejection.into())
        }
        Ok(KycWrite::OverQuota) => {
            forget(state, &id).await;
            tracing::warn!(login = %session.trader.login, "upload refused when recorded: daily quota used up");
            Err(over_quota())
        }
        Ok(_) => {
            forget(state, &id).await;
            Err(UploadError::Closed.into())
        }
        Err(e) => {
            forget(state, &id).await;
            Err(e.into())
        }
    }
}
