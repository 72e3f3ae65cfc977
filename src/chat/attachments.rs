//! Files attached to chat messages. They go through the same checks as KYC
//! documents (`kyc::upload::receive_checked`: type by content, size, image
//! dimensions, PDF contents, images re-encoded without EXIF) and are kept in
//! the same file store. An attachment belongs to one conversation and side
//! until a message carries it; only that conversation's trader and support
//! staff can fetch it.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::chat::ChatError;
use crate::domain::chat::{Author, ChatAttachment};
use crate::domain::kyc::UploadLimits;
use crate::kyc::serve::{not_found, send_file};
use crate::kyc::upload::{forget, keep, receive_checked, Uploader};
use crate::state::AppState;
use crate::store::chat::AttachmentRecord;
use crate::time::now_ms;
use crate::web::ApiError;

pub fn plausible_id(id: &str) -> bool {
    id.len() == 36 && id.starts_with("att_") && id[4..].bytes().all(|b| b.is_ascii_hexdigit())
}

fn limits(state: &AppState) -> UploadLimits {
    let k = &state.settings.kyc;
    UploadLimits { max_bytes: k.max_upload_bytes, min_bytes: state.settings.chat.min_attachment_bytes, max_side: k.max_image_side }
}

/// Receives, checks and records an attachment for `conversation_id`;
/// answers 201 with the attachment, or the upload's refusal.
pub async fn receive(state: &AppState, conversation_id: i64, author: Author, req: Request) -> Result<Response, ApiError> {
    // Uploads count against the same limit as messages, before any byte is read.
    if author == Author::Trader {
        let c = &state.settings.chat;
        let since = now_ms() - c.rate_window_seconds as i64 * 1000;
        if state.store.chat.attachments_since(conversation_id, author, since).await? >= c.rate_limit_messages as i64 {
            return Err(ChatError::RateLimited(c.rate_window_seconds).into());
        }
    }
    let who = match author {
        Author::Trader => Uploader::Trader(state.store.chat.conversation(conversation_id).await?.ok_or(ChatError::NotFound)?.login),
        Author::Staff => Uploader::Staff,
    };
    let mut checked = receive_checked(state, req, limits(state), who).await?;
    let id = format!("att_{}", uuid::Uuid::new_v4().simple());
    keep(state, &id, &mut checked).await?;
    let attachment = ChatAttachment { id: id.clone(), file_name: checked.file_name.clone(), kind: checked.kind, size: checked.size as i64 };
    let record = AttachmentRecord { attachment: attachment.clone(), conversation_id, author, has_preview: checked.preview.is_some() };
    let quota = (author == Author::Trader).then(|| crate::kyc::upload::daily_quota(state));
    match state.store.chat.add_attachment(&record, quota.as_ref(), now_ms()).await {
        Ok(true) => {}
        Ok(false) => {
            forget(state, &id).await;
            return Err(crate::kyc::upload::over_quota());
        }
        Err(e) => {
            forget(state, &id).await;
            return Err(e.into());
        }
    }
    Ok((StatusCode::CREATED, axum::Json(attachment)).into_response())
}

/// The file of `id` if `allowed` says the asker may see that conversation.
/// Anything else, a storage failure included, is the same 404.
pub async fn send(state: &AppState, id: &str, allowed: impl FnOnce(i64) -> bool) -> Result<Response, ApiError> {
    if !plausible_id(id) {
        return Err(not_found());
    }
    match state.store.chat.attachment(id).await {
        Ok(Some(a)) if allowed(a.conversation_id) => {
            let name = format!("attachment-{}", &id[4..12]);
            send_file(state, id, a.attachment.kind, a.has_preview, false, &name).await
        }
        Ok(_) => Err(not_found()),
        Err(e) => {
            tracing::error!(error = %crate::web::error::cause_chain(&e), "chat attachment lookup failed");
            Err(not_found())
        }
    }
}
