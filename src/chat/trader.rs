//! The trader's chat endpoints under `/inapp/chat/…`. Each finds the trader
//! through the session cookie, never through anything the browser names, so
//! a trader can only ever reach their own conversation.

use std::collections::HashMap;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::error::json_body;
use super::{service, stream, ChatError};
use crate::domain::chat::{Author, ReceiptUpdate, SendMessage};
use crate::session::Session;
use crate::state::AppState;
use crate::store::chat::ConversationRecord;
use crate::time::now_ms;

/// The session's trader and their conversation (created on first use).
pub async fn own(state: &AppState, headers: &HeaderMap) -> Result<(Session, ConversationRecord), ChatError> {
    let mut session = match crate::session::load_from_headers(state, headers).await {
        Ok(Some(s)) => s,
        Ok(None) => return Err(ChatError::NoSession),
        Err(e) => return Err(ChatError::Store(e)),
    };
    // Chatting is activity: it keeps the session from expiring as idle.
    let prefs = session.prefs;
    crate::session::touch(state, &mut session, prefs).await?;
    let t = &session.trader;
    let conversation = state.store.chat.open_conversation(t.login, t.user_id, t.name.as_deref(), now_ms(), &state.instance_id).await?;
    Ok((session, conversation))
}

/// `POST /inapp/chat/messages`: 201 with the stored message, 200 with the
/// first copy when the client id was seen before.
pub async fn post_message(State(state): State<AppState>, headers: HeaderMap, body: Result<Json<SendMessage>, JsonRejection>) -> Response {
    let result = async {
        let (_, conversation) = own(&state, &headers).await?;
        let req = json_body(body)?;
        service::send(&state, &conversation, Author::Trader, None, &req).await
    }
    .await;
    match result {
        Ok((true, m)) => (StatusCode::CREATED, Json(m)).into_response(),
        Ok((false, m)) => (StatusCode::OK, Json(m)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `POST /inapp/chat/receipts`: `{ "delivered": seq, "read": seq }`.
pub async fn post_receipts(State(state): State<AppState>, headers: HeaderMap, body: Result<Json<ReceiptUpdate>, JsonRejection>) -> Response {
    let result = async {
        let (_, conversation) = own(&state, &headers).await?;
        service::mark(&state, conversation.id, Author::Trader, json_body(body)?).await
    }
    .await;
    result.map(|()| StatusCode::NO_CONTENT.into_response()).unwrap_or_else(IntoResponse::into_response)
}

/// `POST /inapp/chat/typing`.
pub async fn post_typing(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let result = async {
        let (_, conversation) = own(&state, &headers).await?;
        service::typing(&state, conversation.id, Author::Trader).await
    }
    .await;
    result.map(|()| StatusCode::NO_CONTENT.into_response()).unwrap_or_else(IntoResponse::into_response)
}

/// `GET /inapp/chat/events?after=seq`: the live stream.
pub async fn events(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    match own(&state, &headers).await {
        Ok((_, conversation)) => {
            let after = stream::resume_point(&headers, q.get("after").map(String::as_str));
            let (st, cookie) = (state.clone(), headers.clone());
            let allowed: stream::StillAllowed = Box::new(move || {
                let (st, cookie) = (st.clone(), cookie.clone());
                Box::pin(async move { !matches!(crate::session::load_from_headers(&st, &cookie).await, Ok(None)) })
                // a storage error keeps the stream
            });
            stream::events(state, conversation.id, Author::Trader, after, allowed)
        }
        Err(e) => e.into_response(),
    }
}

/// `POST /inapp/chat/attachments` (multipart, field `file`).
pub async fn upload(State(state): State<AppState>, req: Request) -> Response {
    match own(&state, req.headers()).await {
        Ok((_, conversation)) => super::attachments::receive(&state, conversation.id, Author::Trader, req).await,
        Err(e) => e.into_response(),
    }
}

/// `GET /inapp/chat/attachments/{id}`: only files of the trader's own conversation.
pub async fn attachment(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    match own(&state, &headers).await {
        Ok((_, conversation)) => super::attachments::send(&state, &id, |c| c == conversation.id).await,
        Err(e) => e.into_response(),
    }
}
