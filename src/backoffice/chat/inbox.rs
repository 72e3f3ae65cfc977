//! The inbox: unassigned, mine and closed conversations with live unread
//! counts and each trader's KYC state; its event stream tells the script when
//! to fetch the live part again.

use super::{kyc_label, still_agent};
use crate::domain::Login;
use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, Sse};
use axum::response::Response;
use leptos::prelude::*;

use crate::backoffice::pages::{no_store, page, ListTable, Shell};
use crate::domain::kyc::CaseState;
use crate::domain::{format_timestamp, Lang};
use crate::i18n::{t, t_with};
use crate::live::{sse, Topic};
use crate::render::document;
use crate::state::AppState;
use crate::store::chat::{ConversationRecord, InboxTab};
use crate::web::{Agents, PageError, Staff, StaffApi};

fn tab_of(q: &HashMap<String, String>, me: i64) -> (&'static str, InboxTab) {
    match q.get("tab").map(String::as_str) {
        Some("mine") => ("mine", InboxTab::Mine(me)),
        Some("closed") => ("closed", InboxTab::Closed),
        _ => ("unassigned", InboxTab::Unassigned),
    }
}

/// `GET /backoffice/chat?tab=unassigned|mine|closed` (`&fragment=1`: only the
/// live part, for the script to swap in).
pub async fn inbox(State(state): State<AppState>, me: Staff<Agents>, Query(q): Query<HashMap<String, String>>) -> Result<Response, PageError> {
    let ctx = page(&state, &q);
    let (tab_name, tab) = tab_of(&q, me.id);
    let rows = state.store.chat.inbox(tab, 200).await?;
    let counts = state.store.chat.unread_counts(me.id).await?;
    let logins: Vec<Login> = rows.iter().map(|r| r.login).collect();
    let kyc = state.store.kyc.states(&logins).await?;
    let lang = ctx.lang;
    let live = move || inbox_live(lang, tab_name, rows, counts, kyc);
    if q.contains_key("fragment") {
        let owner = Owner::new();
        let html = owner.with(|| live().to_html());
        return Ok(no_store(html));
    }
    let title = t(lang, "backoffice.chat_title");
    Ok(no_store(document(&ctx, &state.css_href(), title.clone(), move || {
        view! {
            <Shell title=title.clone()>
                <section id="inbox" data-tab=tab_name aria-live="polite" class="space-y-3">{live()}</section>
                <script src="/js/support.js" defer></script>
            </Shell>
        }
        .into_any()
    })))
}

fn inbox_live(lang: Lang, tab_name: &'static str, rows: Vec<ConversationRecord>, counts: (i64, i64), kyc: HashMap<Login, CaseState>) -> AnyView {
    let tab = move |name: &'static str, count: Option<i64>| {
        let current = name == tab_name;
        view! {
            <a href=format!("/backoffice/chat?tab={name}") aria-current=current.then_some("page")
                class=if current { "rounded-lg px-3 py-2 min-h-11 inline-flex items-center gap-2 bg-brand text-brand-contrast font-semibold" } else { "rounded-lg px-3 py-2 min-h-11 inline-flex items-center gap-2 border border-border" }
                data-testid=format!("tab-{name}")>
                {t(lang, &format!("backoffice.chat_tab_{name}"))}
                {count.map(|c| view! {
                    <span class="rounded-full bg-surface text-text border border-border px-2 text-xs" data-testid=format!("unread-{name}")
                        aria-label=t_with(lang, "backoffice.chat_unread_label", &[("count", &c.to_string())])>{c}</span>
                })}
            </a>
        }
    };
    view! {
        <nav class="flex flex-wrap gap-2" aria-label=t(lang, "backoffice.chat_title")>
            {tab("unassigned", Some(counts.0))}
            {tab("mine", Some(counts.1))}
            {tab("closed", None)}
        </nav>
        <ListTable is_empty=rows.is_empty() label=t(lang, "backoffice.chat_title") empty=t(lang, "backoffice.chat_none")
            headers=vec![t(lang, "backoffice.col_trader"), t(lang, "backoffice.col_login"), t(lang, "backoffice.col_kyc"), t(lang, "backoffice.col_unread"), t(lang, "backoffice.col_agent"), t(lang, "backoffice.col_updated")]>
            {rows.into_iter().map(|c| {
                let kyc_state = kyc.get(&c.login).copied();
                view! {
                    <tr class="border-t border-border" data-testid="conversation" data-login=c.login.to_string() data-unread=c.unread_by_staff.to_string()>
                        <td class="p-2"><a class="underline" href=format!("/backoffice/chat/{}", c.id)>{c.trader_name.clone().unwrap_or_else(|| c.login.to_string())}</a></td>
                        <td class="p-2">{c.login}</td>
                        <td class="p-2" data-testid="conversation-kyc">{kyc_label(lang, kyc_state)}</td>
                        <td class="p-2" data-testid="conversation-unread">{c.unread_by_staff}</td>
                        <td class="p-2">{c.state().agent.unwrap_or_default()}</td>
                        <td class="p-2">{format_timestamp(c.updated_at)}</td>
                    </tr>
                }
            }).collect_view()}
        </ListTable>
    }
    .into_any()
}

/// `GET /backoffice/chat/events`: an `inbox` event whenever any conversation
/// changes (the script then reloads the inbox's live part).
pub async fn inbox_events(State(state): State<AppState>, staff: StaffApi<Agents>, headers: HeaderMap) -> Response {
    use tokio::sync::broadcast::error::RecvError;
    let slot = match state.streams.take(&[(format!("staff:{}", staff.id), crate::live::slots::PER_PERSON)]) {
        Ok(slot) => slot,
        Err(e) => return axum::response::IntoResponse::into_response(e),
    };
    let mut signals = state.notifier.subscribe(Topic::Inbox);
    let mut recheck = sse::recheck_timer(&state);
    let shutdown = state.streams.streams_end();
    let allowed = still_agent(state, headers);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Event>(8);
    sse::spawn_in_request(async move {
        let _slot = slot;
        loop {
            let event = tokio::select! {
                // Lagging only means "several changed": one event covers them.
                r = signals.recv() => match r {
                    Ok(id) => Event::default().event("inbox").data(id.to_string()),
                    Err(RecvError::Lagged(_)) => Event::default().event("inbox").data("0"),
                    Err(RecvError::Closed) => return,
                },
                _ = recheck.tick() => {
                    if allowed().await {
                        continue;
                    }
                    let _ = tx.send(sse::ended()).await;
                    return;
                }
                _ = tx.closed() => return,
            };
            if tx.send(event).await.is_err() {
                return;
            }
        }
    });
    let events = futures::stream::poll_fn(move |cx| rx.poll_recv(cx).map(|e| e.map(Ok::<_, std::convert::Infallible>)));
    sse::unbuffered(Sse::new(sse::until_shutdown(events, shutdown)))
}
