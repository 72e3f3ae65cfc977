//! `/inapp/chat`: the trader's conversation with the broker's support. The
//! history renders on the server; in the browser a live connection (server-
//! sent events, resumed from the last message seen) takes over. Messages
//! wait in an outbox (kept in the browser's storage) until the server has
//! them, each with an id made here, so a resend after a dropped connection is
//! recognised by the server and nothing is lost or shown twice.

mod live;
mod view;

use live::Live;

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::components::{use_page, AccountDetails, ErrorNote, Frame, Loading};
use crate::domain::chat::{ChatAttachment, ChatMessage, ChatReturn, ChatView, ConversationState, MessageError, Receipts};
use crate::domain::kyc::UploadError;
use crate::i18n::t;
use crate::server_fns::chat::load_chat;

/// A message the server does not have yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    pub client_id: String,
    pub body: String,
    pub attachment: Option<ChatAttachment>,
    /// Refused for good (too long, …): shown with a way to remove it.
    #[serde(default)]
    pub error: Option<MessageError>,
}

/// The attachment being prepared for the next message.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Debug, Clone, PartialEq)]
pub enum Attaching {
    Nothing,
    Uploading,
    Ready(ChatAttachment),
    Failed(Option<UploadError>),
}

/// Something the trader should know about sending.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Notice {
    RateLimited(u64),
    SessionExpired,
}

/// Everything the screen shows, as signals the live connection updates.
#[derive(Clone, Copy)]
pub struct ChatState {
    pub messages: RwSignal<Vec<ChatMessage>>,
    pub receipts: RwSignal<Receipts>,
    pub conversation: RwSignal<ConversationState>,
    pub pending: RwSignal<Vec<Pending>>,
    pub typing: RwSignal<bool>,
    pub connected: RwSignal<bool>,
    /// The live connection opened at least once (the page is interactive).
    pub opened: RwSignal<bool>,
    pub notice: RwSignal<Option<Notice>>,
    pub attaching: RwSignal<Attaching>,
}

impl ChatState {
    fn new(v: &ChatView) -> Self {
        ChatState {
            messages: RwSignal::new(v.messages.clone()),
            receipts: RwSignal::new(v.receipts),
            conversation: RwSignal::new(v.state.clone()),
            pending: RwSignal::new(Vec::new()),
            typing: RwSignal::new(false),
            connected: RwSignal::new(true),
            opened: RwSignal::new(false),
            notice: RwSignal::new(None),
            attaching: RwSignal::new(Attaching::Nothing),
        }
    }

    /// Adds a stored message in seq order (once) and drops its outbox copy.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pub fn merge(&self, m: ChatMessage) {
        if m.author == crate::domain::chat::Author::Trader && self.pending.with_untracked(|p| p.iter().any(|x| x.client_id == m.client_id)) {
            self.pending.update(|p| p.retain(|x| x.client_id != m.client_id));
        }
        if self.messages.with_untracked(|list| list.iter().any(|x| x.seq == m.seq)) {
            return;
        }
        self.messages.update(|list| {
            let at = list.partition_point(|x| x.seq < m.seq);
            list.insert(at, m);
        });
    }
}

#[component]
pub fn ChatScreen() -> impl IntoView {
    let lang = use_page().lang;
    let title = t(lang, "screen.chat.title");
    let data = Resource::new(|| (), |_| load_chat());
    view! {
        <Title text=title.clone()/>
        <Frame title=title>
            <p class="text-muted">{t(lang, "screen.chat.lead")}</p>
            <AccountDetails/>
            <Suspense fallback=move || view! { <Loading text=t(lang, "chat.loading") class="min-h-[50dvh]"/> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(v) => view! { <Conversation initial=v/> }.into_any(),
                        Err(e) => view! { <ErrorNote error=e testid="chat-error"/> }.into_any(),
                    }
                })}
            </Suspense>
        </Frame>
    }
}

#[component]
fn Conversation(initial: ChatView) -> impl IntoView {
    let chat = ChatState::new(&initial);
    let live = Live::new(chat, initial.outbox_key.clone());
    provide_context(live);
    // In the browser only (effects do not run on the server), once.
    Effect::new(move |started: Option<()>| {
        if started.is_none() {
            live.start();
        }
    });
    // Leaving the screen (in-app navigation) ends its stream and callbacks.
    on_cleanup(move || live.stop());
    // The message form the browser posted itself, sent back refused.
    let query = leptos_router::hooks::use_query_map().get_untracked();
    let returned = ChatReturn::from_query(|k| query.get(k));
    view::conversation(chat, initial.max_chars, initial.form_client_id, returned)
}

/// The conversation in a given state, for the designers' gallery.
#[cfg(feature = "ssr")]
#[component]
pub fn ChatPreview(view: ChatView, #[prop(optional)] offline: bool, #[prop(optional)] typing: bool, #[prop(optional)] pending: Vec<Pending>) -> impl IntoView {
    let chat = ChatState::new(&view);
    chat.connected.set(!offline);
    chat.typing.set(typing);
    chat.pending.set(pending);
    provide_context(Live::new(chat, String::new()));
    view::conversation(chat, view.max_chars, view.form_client_id, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::chat::Author;

    fn msg(seq: i64, client_id: &str) -> ChatMessage {
        ChatMessage { seq, client_id: client_id.into(), author: Author::Trader, author_name: None, body: "x".into(), attachment: None, at_ms: 0 }
    }

    #[test]
    fn merge_orders_dedups_and_clears_the_outbox() {
        let owner = Owner::new();
        owner.with(|| {
            let chat = ChatState::new(&ChatView {
                messages: vec![msg(1, "a1234567")],
                receipts: Receipts::default(),
                state: ConversationState { closed: false, agent: None },
                max_chars: 10,
                outbox_key: String::new(),
                form_client_id: String::new(),
            });
            chat.pending.set(vec![Pending { client_id: "c1234567".into(), body: "x".into(), attachment: None, error: None }]);
            chat.merge(msg(3, "c1234567"));
            chat.merge(msg(2, "b1234567"));
            chat.merge(msg(3, "c1234567"));
            let seqs: Vec<i64> = chat.messages.get_untracked().iter().map(|m| m.seq).collect();
            assert_eq!(seqs, vec![1, 2, 3]);
            assert!(chat.pending.get_untracked().is_empty());
        });
    }
}
