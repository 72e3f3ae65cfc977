//! What `/js/support.js` calls: replies as JSON, receipts, typing, the
//! conversation's event stream and attachments.

use super::{conversation, still_agent};
use std::collections::HashMap;

use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use crate::chat::{service, stream};
use crate::domain::chat::{Author, ReceiptUpdate, SendMessage};
use crate::state::AppState;
use crate::web::{Agents, ApiError, Json, StaffApi};

/// `POST /backoffice/chat/{id}/messages` (JSON, as the trader's endpoint).
pub async fn post_message(
    State(state): State<AppState>,
    me: StaffApi<Agents>,
    Path(id): Path<i64>,
    Json(body): Json<SendMessage>,
) -> Result<Response, ApiError> {
    let c = conversation(&state, id).await?;
    let sent = service::send(&state, &c, Author::Staff, Some(me.id), &body).await?;
    Ok(crate::chat::sent_response(sent))
}

pub async fn post_receipts(
    State(state): State<AppState>,
    _: StaffApi<Agents>,
    Path(id): Path<i64>,
    Json(body): Json<ReceiptUpdate>,
) -> Result<StatusCode, ApiError> {
    conversation(&state, id).await?;
    service::mark(&state, id, Author::Staff, body).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn post_typing(State(state): State<AppState>, _: StaffApi<Agents>, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    conversation(&state, id).await?;
    service::typing(&state, id, Author::Staff).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /backoffice/chat/{id}/events`: the conversation live, as the agent sees it.
pub async fn events(
    State(state): State<AppState>,
    staff: StaffApi<Agents>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let slot = state.streams.take(&[(format!("staff:{}", staff.id), crate::live::slots::PER_PERSON)])?;
    conversation(&state, id).await?;
    let after = stream::resume_point(&headers, q.get("after").map(String::as_str));
    Ok(stream::events(state.clone(), id, Author::Staff, after, still_agent(state, headers), slot))
}

/// `POST /backoffice/chat/{id}/attachments` (multipart, field `file`).
pub async fn upload(State(state): State<AppState>, _: StaffApi<Agents>, Path(id): Path<i64>, req: Request) -> Result<Response, ApiError> {
    conversation(&state, id).await?;
    crate::chat::attachments::receive(&state, id, Author::Staff, req).await
}

/// `GET /backoffice/chat/attachments/{id}`.
pub async fn attachment(State(state): State<AppState>, _: StaffApi<Agents>, Path(id): Path<String>) -> Result<Response, ApiError> {
    crate::chat::attachments::send(&state, &id, |_| true).await
}
