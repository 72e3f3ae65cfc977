//! The trader's chat endpoints under `/inapp/chat/…`. Each finds the trader
//! through the session cookie ([`Trader`]), never through anything the
//! browser names, so a trader can only ever reach their own conversation.

use std::collections::HashMap;

use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;

use super::{service, stream, ChatError};
use crate::domain::chat::{Author, ChatReturn, MessageError, ReceiptUpdate, SendMessage};
use crate::state::AppState;
use crate::store::chat::ConversationRecord;
use crate::time::now_ms;
use crate::web::{ApiError, Json, Trader};

/// The trader's conversation (created on first use).
pub async fn own(state: &AppState, Trader(mut session): Trader) -> Result<ConversationRecord, ChatError> {
    // Chatting is activity: it keeps the session from expiring as idle.
    let prefs = session.prefs;
    crate::session::touch(state, &mut session, prefs).await?;
    let t = &session.trader;
    Ok(state.store.chat.open_conversation(t.login, t.user_id, t.name.as_deref(), now_ms(), &state.instance_id).await?)
}

/// `POST /inapp/chat/messages`: 201 with the stored message, 200 with the
/// first copy when the client id was seen before.
pub async fn post_message(State(state): State<AppState>, trader: Trader, Json(body): Json<SendMessage>) -> Result<Response, ApiError> {
    let conversation = own(&state, trader).await?;
    let sent = service::send(&state, &conversation, Author::Trader, None, &body).await?;
    Ok(super::sent_response(sent))
}

/// `POST /inapp/chat/send`: the message form the browser posted by itself,
/// pressed before the WASM arrived (a slow phone). Stored as the hydrated
/// screen stores a message (the form's client id, made when the screen was
/// rendered, makes a second press the same message), then a 303 back to the
/// screen: the message in its history, or why it was refused
/// ([`ChatReturn`]). Under the `/inapp` gate: no session is the branded
/// page, as for the screen itself.
pub async fn send_form(State(state): State<AppState>, trader: Trader, Form(form): Form<HashMap<String, String>>) -> Result<Response, ApiError> {
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    let message = SendMessage { client_id: field("client_id"), body: field("body"), attachment_id: None };
    let conversation = own(&state, trader).await?;
    let to = match service::send(&state, &conversation, Author::Trader, None, &message).await {
        Ok(_) => "/inapp/chat".to_string(),
        Err(ChatError::Invalid(error)) => ChatReturn { error }.url(),
        Err(ChatError::RateLimited(_)) => ChatReturn { error: MessageError::RateLimited }.url(),
        Err(other) => return Err(other.into()),
    };
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response())
}

/// `POST /inapp/chat/receipts`: `{ "delivered": seq, "read": seq }`.
pub async fn post_receipts(State(state): State<AppState>, trader: Trader, Json(body): Json<ReceiptUpdate>) -> Result<StatusCode, ApiError> {
    let conversation = own(&state, trader).await?;
    service::mark(&state, conversation.id, Author::Trader, body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /inapp/chat/typing`.
pub async fn post_typing(State(state): State<AppState>, trader: Trader) -> Result<StatusCode, ApiError> {
    let conversation = own(&state, trader).await?;
    service::typing(&state, conversation.id, Author::Trader).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /inapp/chat/events?after=seq`: the live stream.
pub async fn events(State(state): State<AppState>, trader: Trader, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Result<Response, ApiError> {
    let (slot, allowed) = crate::live::sse::for_trader(&state, &trader, &headers)?;
    let conversation = own(&state, trader).await?;
    let after = stream::resume_point(&headers, q.get("after").map(String::as_str));
    Ok(stream::events(state, conversation.id, Author::Trader, after, allowed, slot))
}

/// `POST /inapp/chat/attachments` (multipart, field `file`).
pub async fn upload(State(state): State<AppState>, trader: Trader, req: Request) -> Result<Response, ApiError> {
    let conversation = own(&state, trader).await?;
    super::attachments::receive(&state, conversation.id, Author::Trader, req).await
}

/// `GET /inapp/chat/attachments/{id}`: only files of the trader's own conversation.
pub async fn attachment(State(state): State<AppState>, trader: Trader, Path(id): Path<String>) -> Result<Response, ApiError> {
    let conversation = own(&state, trader).await?;
    super::attachments::send(&state, &id, |c| c == conversation.id).await
}
