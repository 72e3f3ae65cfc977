//! Documents go out only through these handlers: the owning trader sees the
//! re-encoded copy (no EXIF) or their PDF; compliance staff also the original.
//! Anyone else gets 404, the same answer as for an id that does not exist.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use crate::domain::kyc::FileKind;
use crate::state::AppState;
use crate::store::DocumentRecord;
use crate::web::error::cause_chain;
use crate::web::{ApiError, Trader};

pub fn not_found() -> ApiError {
    ApiError::not_found("no such document")
}

/// The file of `doc` (its display copy unless `original`).
pub async fn send(state: &AppState, doc: &DocumentRecord, original: bool) -> Result<Response, ApiError> {
    // Replaced long ago: its file went at the end of its retention.
    if doc.file_deleted_at.is_some() {
        return Err(not_found());
    }
    let name = format!("{}-{}", doc.doc_type.as_str(), &doc.id[4..12.min(doc.id.len())]);
    send_file(state, &doc.id, doc.kind, doc.has_preview, original, &name).await
}

/// A stored upload (KYC document or chat attachment) under `id`, with headers
/// that keep a browser from running or sniffing it. `name` is ASCII we made.
pub async fn send_file(state: &AppState, id: &str, kind: FileKind, has_preview: bool, original: bool, name: &str) -> Result<Response, ApiError> {
    let (key, mime) = if has_preview && !original { (format!("{id}.preview"), "image/jpeg") } else { (id.to_string(), kind.mime()) };
    let (len, bytes) = match state.documents.stream(&key).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %cause_chain(&e), file = %id, "stored file missing");
            return Err(not_found());
        }
    };
    let mut res = axum::body::Body::from_stream(bytes).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"));
    let ext = if mime == "application/pdf" {
        "pdf"
    } else if mime == "image/png" {
        "png"
    } else {
        "jpg"
    };
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{name}.{ext}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

/// `GET /inapp/kyc/documents/{id}`: the trader's own document only.
pub async fn for_trader(State(state): State<AppState>, Trader(session): Trader, Path(id): Path<String>) -> Result<Response, ApiError> {
    match state.store.kyc.document(&id).await {
        Ok(Some(doc)) if doc.login == session.trader.login => send(&state, &doc, false).await,
        Ok(_) => Err(not_found()),
        Err(e) => {
            tracing::error!(error = %cause_chain(&e), "document lookup failed");
            Err(not_found())
        }
    }
}
