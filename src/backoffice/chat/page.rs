//! One conversation as the agent sees it, with the trader's identity and KYC
//! state; the plain-form reply and claim / close / reopen, which work without
//! script.

use super::{conversation, kyc_label};
use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use leptos::prelude::*;

use crate::backoffice::pages::{no_store, page, Shell};
use crate::chat::{service, ChatError};
use crate::domain::chat::{Author, ChatMessage, Delivery, ReceiptUpdate, Receipts, SendMessage};
use crate::domain::{format_timestamp, Lang};
use crate::i18n::{t, t_with};
use crate::render::document;
use crate::state::AppState;
use crate::web::{Agents, PageError, Staff};

/// `GET /backoffice/chat/{id}`: opening the conversation reads it.
pub async fn page_view(
    State(state): State<AppState>,
    me: Staff<Agents>,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let ctx = page(&state, &q);
    let c = conversation(&state, id).await?;
    let messages = state.store.chat.latest_messages(id, state.settings.chat.history_limit).await?;
    let kyc = state.store.kyc.case(c.login).await?.map(|k| k.state);
    if let Err(e) = service::mark(&state, id, Author::Staff, ReceiptUpdate { delivered: None, read: Some(c.last_seq) }).await {
        tracing::warn!(error = %e, "marking a conversation read failed");
    }
    let lang = ctx.lang;
    let name = c.trader_name.clone().unwrap_or_else(|| c.login.to_string());
    let title = t_with(lang, "backoffice.chat_with", &[("name", &name)]);
    let receipts = c.receipts_for(Author::Staff);
    let last_seq = messages.last().map_or(0, |m| m.seq);
    let mine = c.assignee_id == Some(me.id);
    let state_label = if c.closed { t(lang, "backoffice.chat_closed") } else { t(lang, "backoffice.chat_open") };
    let agent = c.state().agent;
    let max_chars = state.settings.chat.max_message_chars;
    let reply_id = uuid::Uuid::new_v4().to_string();
    let problem = match q.get("problem").map(String::as_str) {
        Some("CLAIMED") => Some(t(lang, "backoffice.chat_claimed")),
        Some(code) => crate::domain::chat::MessageError::parse(code).map(|e| t_with(lang, e.key(), &[("max", &max_chars.to_string()), ("seconds", "60")])),
        None => None,
    };
    let expected = c.assignee_id.map(|a| a.to_string()).unwrap_or_default();
    Ok(no_store(document(&ctx, &state.css_href(), title.clone(), move || {
        let action = move |what: &str| format!("/backoffice/chat/{id}/{what}");
        view! {
            <Shell title=title.clone()>
                <div id="conversation" data-id=id.to_string() data-last-seq=last_seq.to_string() class="space-y-3"
                    data-status-sent=t(lang, "chat.status.sent") data-status-delivered=t(lang, "chat.status.delivered")
                    data-status-read=t(lang, "chat.status.read") data-you=t(lang, "backoffice.chat_you")
                    data-trader=name.clone() data-error=t(lang, "chat.error.send")
                    data-label-open=t(lang, "backoffice.chat_open") data-label-closed=t(lang, "backoffice.chat_closed")
                    data-me=crate::store::chat::agent_name(&me.email)
                    data-disconnected=format!("{} {}", t(lang, "error.session_expired.body"), t(lang, "backoffice.sign_in"))>
                    <dl class="grid grid-cols-2 gap-x-4 gap-y-1 rounded-xl border border-border bg-surface p-3 text-sm sm:grid-cols-4">
                        <dt class="text-muted">{t(lang, "backoffice.col_trader")}</dt><dd data-testid="chat-trader">{name.clone()}</dd>
                        <dt class="text-muted">{t(lang, "backoffice.col_login")}</dt><dd data-testid="chat-login">{c.login.to_string()}</dd>
                        <dt class="text-muted">{t(lang, "backoffice.col_kyc")}</dt><dd data-testid="chat-kyc">{kyc_label(lang, kyc)}</dd>
                        <dt class="text-muted">{t(lang, "backoffice.col_state")}</dt>
                        <dd data-testid="chat-state" data-closed=c.closed.to_string()>{state_label}{agent.map(|a| format!(" · {a}"))}</dd>
                    </dl>
                    <div class="flex flex-wrap gap-2">
                        {(!mine).then(|| view! { <form method="post" action=format!("{}?expected={expected}", action("claim"))><button data-testid="chat-claim" class="rounded-lg border border-border min-h-11 px-3">{t(lang, "backoffice.chat_claim")}</button></form> })}
                        {if c.closed {
                            view! { <form method="post" action=action("reopen")><button data-testid="chat-reopen" class="rounded-lg border border-border min-h-11 px-3">{t(lang, "backoffice.chat_reopen")}</button></form> }.into_any()
                        } else {
                            view! { <form method="post" action=action("close")><button data-testid="chat-close" class="rounded-lg border border-border min-h-11 px-3">{t(lang, "backoffice.chat_close")}</button></form> }.into_any()
                        }}
                    </div>
                    <ol id="messages" class="space-y-2 rounded-xl border border-border bg-surface p-3 max-h-[60vh] overflow-y-auto" aria-live="polite" data-testid="messages">
                        {messages.into_iter().map(|m| staff_message(lang, &name, m, receipts)).collect_view()}
                    </ol>
                    <p id="typing" class="text-sm text-muted min-h-5" data-testid="typing" data-text=t_with(lang, "backoffice.chat_typing", &[("name", &name)])></p>
                    <form id="reply" method="post" action=action("reply") enctype="application/x-www-form-urlencoded" class="space-y-2">
                        <input type="hidden" name="client_id" value=reply_id/>
                        <label for="reply-body" class="block font-medium">{t(lang, "backoffice.chat_reply")}</label>
                        <textarea id="reply-body" name="body" rows="3" maxlength=max_chars.to_string() class="w-full rounded-lg border border-border bg-bg p-2" data-testid="reply-body"></textarea>
                        <label for="reply-file" class="block text-sm">{t(lang, "chat.attach")}</label>
                        <input id="reply-file" type="file" accept="image/jpeg,image/png,application/pdf" data-testid="reply-file" class="block text-sm"/>
                        <p id="reply-error" role="alert" class="text-danger text-sm min-h-5" data-testid="reply-error">{problem}</p>
                        <button class="rounded-lg min-h-11 px-4 bg-brand text-brand-contrast font-semibold" data-testid="reply-send">{t(lang, "chat.send")}</button>
                    </form>
                </div>
                <script src="/js/support.js" defer></script>
            </Shell>
        }
        .into_any()
    })))
}

fn staff_message(lang: Lang, trader: &str, m: ChatMessage, receipts: Receipts) -> impl IntoView {
    let from_staff = m.author == Author::Staff;
    let who = if from_staff { m.author_name.clone().unwrap_or_else(|| t(lang, "backoffice.chat_you")) } else { trader.to_string() };
    let status = from_staff.then(|| Delivery::of(m.seq, receipts));
    view! {
        <li data-seq=m.seq.to_string() data-author=m.author.as_str() data-client-id=m.client_id.clone() data-testid="message"
            data-status=status.map(|s| s.as_str()).unwrap_or("")
            class=if from_staff { "ms-8 rounded-lg bg-bg p-2" } else { "me-8 rounded-lg border border-border p-2" }>
            <p class="text-xs text-muted"><span>{who}</span>" · "<time>{format_timestamp(m.at_ms)}</time></p>
            <p class="whitespace-pre-wrap break-words" data-testid="message-body">{m.body}</p>
            {m.attachment.map(|a| {
                let href = format!("/backoffice/chat/attachments/{}", a.id);
                if a.is_image() {
                    let src = href.clone();
                    view! { <a href=href target="_self" data-testid="message-attachment"><img src=src alt=a.file_name.clone() class="mt-1 max-h-48 rounded" loading="lazy"/></a> }.into_any()
                } else {
                    view! { <a href=href class="underline" data-testid="message-attachment">{a.file_name}</a> }.into_any()
                }
            })}
            {status.map(|s| view! { <p class="text-xs text-muted" data-testid="message-status">{t(lang, &format!("chat.status.{}", s.as_str()))}</p> })}
        </li>
    }
}

#[derive(serde::Deserialize)]
pub struct ReplyForm {
    client_id: String,
    body: String,
}

/// `POST /backoffice/chat/{id}/reply`: the same as a form, without script.
pub async fn reply_form(State(state): State<AppState>, me: Staff<Agents>, Path(id): Path<i64>, Form(f): Form<ReplyForm>) -> Result<Response, PageError> {
    let req = SendMessage { client_id: f.client_id, body: f.body, attachment_id: None };
    let c = conversation(&state, id).await?;
    match service::send(&state, &c, Author::Staff, Some(me.id), &req).await {
        Ok(_) => Ok(back_to(id)),
        Err(ChatError::Invalid(e)) => Ok(problem(id, e.code())),
        Err(e) => Err(e.into()),
    }
}

/// Back to the conversation, which shows `code`'s sentence above the reply box.
fn problem(id: i64, code: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, format!("/backoffice/chat/{id}?problem={code}"))]).into_response()
}

fn back_to(id: i64) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, format!("/backoffice/chat/{id}"))]).into_response()
}

/// `POST /backoffice/chat/{id}/{claim|close|reopen}`.
pub async fn act(
    State(state): State<AppState>,
    me: Staff<Agents>,
    Path((id, what)): Path<(i64, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    conversation(&state, id).await?;
    let done = match what.as_str() {
        // `expected`: who held it when the agent looked (empty: nobody).
        "claim" => service::assign(&state, id, me.id, q.get("expected").and_then(|e| e.parse().ok())).await,
        "close" => service::set_closed(&state, id, true).await,
        "reopen" => service::set_closed(&state, id, false).await,
        _ => Err(ChatError::NotFound),
    };
    match done {
        Ok(()) => {
            tracing::info!(conversation = id, staff = me.id, action = %what, "chat conversation changed");
            Ok(back_to(id))
        }
        Err(ChatError::Claimed) => Ok(problem(id, "CLAIMED")),
        Err(e) => Err(e.into()),
    }
}
