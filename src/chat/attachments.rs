//! Files attached to chat messages. They go through the same checks as KYC
//! documents (`kyc::upload::receive_checked`: type by content, size, image
//! dimensions, PDF contents, images re-encoded without EXIF) and are kept in
//! the same file store. An attachment belongs to one conversation and side
//! until a message carries it; only that conversation's trader and support
//! staff can fetch it.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::domain::chat::{Author, ChatAttachment};
use crate::domain::kyc::UploadLimits;
use crate::kyc::upload::{forget, internal_error, keep, receive_checked};
use crate::state::AppState;
use crate::store::chat::AttachmentRecord;
use crate::time::now_ms;

pub fn plausible_id(id: &str) -> bool {
    id.len() == 36 && id.starts_with("att_") && id[4..].bytes().all(|b| b.is_ascii_hexdigit())
}

fn limits(state: &AppState) -> UploadLimits {
    let k = &state.settings.kyc;
    UploadLimits { max_bytes: k.max_upload_bytes, min_bytes: state.settings.chat.min_attachment_bytes, max_side: k.max_image_side }
}

/// Receives, checks and records an attachment for `conversation_id`;
/// answers 201 with the attachment, or the upload's refusal.
pub async fn receive(state: &AppState, conversation_id: i64, author: Author, req: Request) -> Response {
    // Uploads count against the same limit as messages, before any byte is read.
    if author == Author::Trader {
        let c = &state.settings.chat;
        let since = now_ms() - c.rate_window_seconds as i64 * 1000;
        match state.store.chat.attachments_since(conversation_id, author, since).await {
            Ok(n) if n >= c.rate_limit_messages as i64 => return crate::chat::ChatError::RateLimited(c.rate_window_seconds).into_response(),
            Ok(_) => {}
            Err(e) => return crate::chat::ChatError::Store(e).into_response(),
        }
    }
    let mut checked = match receive_checked(state, req, limits(state)).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    let id = format!("att_{}", uuid::Uuid::new_v4().simple());
    if let Err(resp) = keep(state, &id, &mut checked).await {
        return resp;
    }
    let attachment =
        ChatAttachment { id: id.clone(), file_name: checked.file_name.clone(), kind: format!("{:?}", checked.kind).to_lowercase(), size: checked.size as i64 };
    let record = AttachmentRecord { attachment: attachment.clone(), conversation_id, author, has_preview: checked.preview.is_some() };
    match state.store.chat.add_attachment(&record, now_ms()).await {
        Ok(()) => (StatusCode::CREATED, axum::Json(attachment)).into_response(),
        Err(e) => {
            forget(state, &id).await;
            tracing::error!(error = %e, "chat attachment record failed");
            internal_error()
        }
    }
}

/// The file of `id` if `allowed` says the asker may see that conversation.
pub async fn send(state: &AppState, id: &str, allowed: impl FnOnce(i64) -> bool) -> Response {
    if !plausible_id(id) {
        return crate::kyc::serve::not_found();
    }
    match state.store.chat.attachment(id).await {
        Ok(Some(a)) if allowed(a.conversation_id) => {
            let name = format!("attachment-{}", &id[4..12]);
            crate::kyc::serve::send_file(state, id, &a.attachment.kind, a.has_preview, false, &name).await
        }
        Ok(_) => crate::kyc::serve::not_found(),
        Err(e) => {
            tracing::error!(error = %e, "chat attachment lookup failed");
            crate::kyc::serve::not_found()
        }
    }
}
