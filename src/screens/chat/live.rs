//! The browser's side of the live conversation: one `EventSource` resumed
//! from the last seq seen, re-opened with exponential back-off (and at once
//! when the device comes back online); the outbox, kept in `localStorage`
//! and sent in order, each message with its own client id; receipts and the
//! typing signal. On the server these are no-ops.

pub use imp::*;

#[cfg(feature = "hydrate")]
mod imp {
    use std::cell::{Cell, RefCell};

    use gloo_net::http::{Request, Response};
    use leptos::prelude::*;
    use leptos::task::spawn_local;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;

    use super::super::{Attaching, ChatState, Notice, Pending};
    use crate::domain::chat::{Author, ChatAttachment, ChatMessage, ConversationState, MessageError, ReceiptUpdate, Receipts, SendMessage, Typing};
    use crate::domain::kyc::UploadError;

    thread_local! {
        static SOURCE: RefCell<Option<web_sys::EventSource>> = const { RefCell::new(None) };
        /// Bumped by every (re)connection; callbacks of older ones do nothing.
        static GENERATION: Cell<u32> = const { Cell::new(0) };
        static FAILURES: Cell<u32> = const { Cell::new(0) };
        static FLUSHING: Cell<bool> = const { Cell::new(false) };
        /// (delivered, read) already reported.
        static ACKED: Cell<(i64, i64)> = const { Cell::new((0, 0)) };
        static LAST_TYPING: Cell<f64> = const { Cell::new(0.0) };
        /// Bumped by every start and stop of the screen: callbacks of an
        /// earlier screen (its signals gone) do nothing.
        static EPOCH: Cell<u32> = const { Cell::new(0) };
        static CURRENT: Cell<Option<ChatState>> = const { Cell::new(None) };
        /// The highest seq received over the stream: where a reconnection
        /// resumes. Messages known only from a send's answer do not count,
        /// or one stored in between by the agent would be skipped.
        static STREAM_SEQ: Cell<i64> = const { Cell::new(0) };
        /// Client ids this page saw stored, so saving the outbox can keep
        /// another tab's unsent messages without resurrecting sent ones.
        static SENT: RefCell<std::collections::HashSet<String>> = RefCell::new(Default::default());
        static OUTBOX_KEY: RefCell<String> = const { RefCell::new(String::new()) };
    }

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    /// Writes this page's outbox, keeping what another tab of the same
    /// trader has waiting there.
    fn save_outbox(pending: &[Pending]) {
        let key = OUTBOX_KEY.with_borrow(Clone::clone);
        let Some(s) = storage() else { return };
        let mut all = pending.to_vec();
        for other in load_outbox(&key) {
            let known = SENT.with_borrow(|sent| sent.contains(&other.client_id)) || all.iter().any(|p| p.client_id == other.client_id);
            if !known {
                all.push(other);
            }
        }
        if let Ok(json) = serde_json::to_string(&all) {
            let _ = if all.is_empty() { s.remove_item(&key) } else { s.set_item(&key, &json) };
        }
    }

    fn sent(m: &ChatMessage) {
        if m.author == Author::Trader {
            SENT.with_borrow_mut(|s| s.insert(m.client_id.clone()));
        }
    }

    fn alive(epoch: u32) -> bool {
        EPOCH.get() == epoch
    }

    /// The screen is going away: end its stream and silence its callbacks.
    pub fn stop() {
        EPOCH.set(EPOCH.get() + 1);
        GENERATION.set(GENERATION.get() + 1);
        CURRENT.set(None);
        if let Some(es) = SOURCE.take() {
            es.close();
        }
    }

    fn load_outbox(key: &str) -> Vec<Pending> {
        storage().and_then(|s| s.get_item(key).ok().flatten()).and_then(|j| serde_json::from_str(&j).ok()).unwrap_or_default()
    }

    pub fn start(chat: ChatState, key: String) {
        EPOCH.set(EPOCH.get() + 1);
        let epoch = EPOCH.get();
        CURRENT.set(Some(chat));
        FAILURES.set(0);
        STREAM_SEQ.set(last_seq(chat));
        OUTBOX_KEY.set(key.clone());
        // Unsent messages from an earlier visit; the ones the server already
        // has (sent just before the page went away) are dropped.
        let saved: Vec<Pending> = load_outbox(&key)
            .into_iter()
            .filter(|p| !chat.messages.with_untracked(|m| m.iter().any(|m| m.author == Author::Trader && m.client_id == p.client_id)))
            .collect();
        chat.pending.set(saved);
        Effect::new(move |_| chat.pending.with(|p| save_outbox(p)));
        connect(chat);
        if let Some(w) = web_sys::window() {
            let online = Closure::<dyn FnMut()>::new(move || {
                if alive(epoch) && !chat.connected.get_untracked() {
                    FAILURES.set(0);
                    connect(chat);
                }
            });
            let _ = w.add_event_listener_with_callback("online", online.as_ref().unchecked_ref());
            online.forget();
            // The device says it is offline: stop waiting on a dead stream.
            let offline = Closure::<dyn FnMut()>::new(move || {
                if !alive(epoch) {
                    return;
                }
                GENERATION.set(GENERATION.get() + 1);
                if let Some(es) = SOURCE.take() {
                    es.close();
                }
                chat.connected.set(false);
                chat.typing.set(false);
            });
            let _ = w.add_event_listener_with_callback("offline", offline.as_ref().unchecked_ref());
            offline.forget();
            let visible = Closure::<dyn FnMut()>::new(move || {
                if alive(epoch) {
                    ack(chat)
                }
            });
            if let Some(d) = w.document() {
                let _ = d.add_event_listener_with_callback("visibilitychange", visible.as_ref().unchecked_ref());
            }
            visible.forget();
        }
        ack(chat);
    }

    fn last_seq(chat: ChatState) -> i64 {
        chat.messages.with_untracked(|m| m.last().map_or(0, |m| m.seq))
    }

    fn on<T: serde::de::DeserializeOwned + 'static>(es: &web_sys::EventSource, name: &str, generation: u32, f: impl Fn(T) + 'static) {
        let cb = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            if GENERATION.get() != generation {
                return;
            }
            if let Some(value) = e.data().as_string().and_then(|d| serde_json::from_str::<T>(&d).ok()) {
                f(value);
            }
        });
        let _ = es.add_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
        cb.forget();
    }

    fn connect(chat: ChatState) {
        let generation = GENERATION.get() + 1;
        GENERATION.set(generation);
        if let Some(old) = SOURCE.take() {
            old.close();
        }
        let url = format!("/inapp/chat/events?after={}", STREAM_SEQ.get());
        let Ok(es) = web_sys::EventSource::new(&url) else {
            retry_later(chat, generation);
            return;
        };
        on::<ChatMessage>(&es, "message", generation, move |m| {
            let from_staff = m.author == Author::Staff;
            STREAM_SEQ.set(STREAM_SEQ.get().max(m.seq));
            sent(&m);
            chat.merge(m);
            if from_staff {
                chat.typing.set(false);
                ack(chat);
            }
        });
        on::<Receipts>(&es, "receipts", generation, move |r| chat.receipts.set(r));
        on::<Typing>(&es, "typing", generation, move |t| chat.typing.set(t.typing));
        on::<ConversationState>(&es, "conversation", generation, move |c| chat.conversation.set(c));
        // The session ended: reconnecting cannot help; the trader must reopen the screen.
        on::<serde_json::Value>(&es, "ended", generation, move |_| {
            GENERATION.set(GENERATION.get() + 1);
            if let Some(es) = SOURCE.take() {
                es.close();
            }
            chat.notice.set(Some(Notice::SessionExpired));
        });
        let opened = Closure::<dyn FnMut()>::new(move || {
            if GENERATION.get() == generation {
                FAILURES.set(0);
                chat.connected.set(true);
                chat.opened.set(true);
                flush(chat);
            }
        });
        es.set_onopen(Some(opened.as_ref().unchecked_ref()));
        opened.forget();
        let failed = Closure::<dyn FnMut()>::new(move || {
            if GENERATION.get() != generation {
                return;
            }
            // The browser's own retry has no back-off and no resume point of
            // ours: close and reconnect here instead.
            if let Some(es) = SOURCE.take() {
                es.close();
            }
            chat.connected.set(false);
            chat.typing.set(false);
            retry_later(chat, generation);
        });
        es.set_onerror(Some(failed.as_ref().unchecked_ref()));
        failed.forget();
        SOURCE.set(Some(es));
    }

    /// 0.5 s, 1 s, 2 s, … up to 15 s, each with jitter so a restarted server
    /// is not met by every client at the same instant.
    fn retry_later(chat: ChatState, generation: u32) {
        let n = FAILURES.get();
        FAILURES.set(n.saturating_add(1));
        let base = (500.0 * 2f64.powi(n.min(5) as i32)).min(15_000.0);
        let delay = base * (0.5 + js_sys::Math::random() / 2.0);
        set_timeout(
            move || {
                if GENERATION.get() == generation {
                    connect(chat);
                }
            },
            std::time::Duration::from_millis(delay as u64),
        );
    }

    /// What became of one send.
    enum Outcome {
        Stored(ChatMessage),
        Refused(MessageError),
        RateLimited(u64),
        SessionExpired,
        Unreachable,
    }

    async fn code_of(res: &Response) -> Option<String> {
        res.json::<serde_json::Value>().await.ok().and_then(|v| v["code"].as_str().map(String::from))
    }

    async fn post(p: &Pending) -> Outcome {
        let body = SendMessage { client_id: p.client_id.clone(), body: p.body.clone(), attachment_id: p.attachment.as_ref().map(|a| a.id.clone()) };
        let Ok(req) = Request::post("/inapp/chat/messages").json(&body) else { return Outcome::Unreachable };
        let Ok(res) = req.send().await else { return Outcome::Unreachable };
        match res.status() {
            200 | 201 => res.json::<ChatMessage>().await.map(Outcome::Stored).unwrap_or(Outcome::Unreachable),
            401 => Outcome::SessionExpired,
            429 => Outcome::RateLimited(res.headers().get("retry-after").and_then(|v| v.parse().ok()).unwrap_or(30)),
            400 | 422 => match code_of(&res).await.and_then(|c| MessageError::parse(&c)) {
                Some(e) => Outcome::Refused(e),
                None => Outcome::Refused(MessageError::BadClientId),
            },
            _ => Outcome::Unreachable,
        }
    }

    /// Sends the outbox in order, one at a time, until it is empty or the
    /// server cannot take more now.
    pub fn flush(chat: ChatState) {
        if FLUSHING.replace(true) {
            return;
        }
        let epoch = EPOCH.get();
        spawn_local(async move {
            while alive(epoch) {
                let Some(next) = chat.pending.with_untracked(|p| p.iter().find(|p| p.error.is_none()).cloned()) else { break };
                let outcome = post(&next).await;
                if !alive(epoch) {
                    break;
                }
                match outcome {
                    Outcome::Stored(m) => {
                        chat.notice.set(None);
                        sent(&m);
                        chat.merge(m);
                    }
                    Outcome::Refused(e) => chat.pending.update(|list| {
                        if let Some(p) = list.iter_mut().find(|p| p.client_id == next.client_id) {
                            p.error = Some(e);
                        }
                    }),
                    Outcome::RateLimited(secs) => {
                        chat.notice.set(Some(Notice::RateLimited(secs)));
                        later(epoch, chat, std::time::Duration::from_secs(secs.max(1)));
                        break;
                    }
                    Outcome::SessionExpired => {
                        chat.notice.set(Some(Notice::SessionExpired));
                        break;
                    }
                    Outcome::Unreachable => {
                        // The stream's reconnection flushes again; meanwhile retry now and then.
                        later(epoch, chat, std::time::Duration::from_secs(3));
                        break;
                    }
                }
            }
            FLUSHING.set(false);
            // A new screen that asked while this one was still sending.
            if !alive(epoch) {
                if let Some(current) = CURRENT.get() {
                    flush(current);
                }
            }
        });
    }

    fn later(epoch: u32, chat: ChatState, after: std::time::Duration) {
        set_timeout(
            move || {
                if alive(epoch) {
                    flush(chat)
                }
            },
            after,
        );
    }

    fn new_client_id() -> String {
        web_sys::window()
            .and_then(|w| w.crypto().ok())
            .map(|c| c.random_uuid())
            .unwrap_or_else(|| format!("{:x}{:x}", (js_sys::Math::random() * 1e15) as u64, js_sys::Date::now() as u64))
    }

    pub fn send(chat: ChatState, body: String, attachment: Option<ChatAttachment>) {
        chat.pending.update(|p| p.push(Pending { client_id: new_client_id(), body, attachment, error: None }));
        flush(chat);
    }

    /// Tells the server how far the agent's messages have arrived and, while
    /// the page is visible, been read.
    fn ack(chat: ChatState) {
        let last = chat.messages.with_untracked(|m| m.iter().rev().find(|m| m.author == Author::Staff).map_or(0, |m| m.seq));
        if last == 0 {
            return;
        }
        let visible = web_sys::window().and_then(|w| w.document()).is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Visible);
        let (delivered, read) = ACKED.get();
        let update = ReceiptUpdate { delivered: (last > delivered).then_some(last), read: (visible && last > read).then_some(last) };
        if update.delivered.is_none() && update.read.is_none() {
            return;
        }
        ACKED.set((delivered.max(last), if visible { read.max(last) } else { read }));
        spawn_local(async move {
            let sent = match Request::post("/inapp/chat/receipts").json(&update) {
                Ok(req) => req.send().await.is_ok_and(|r| r.ok()),
                Err(_) => false,
            };
            if !sent {
                ACKED.set((delivered, read));
            }
        });
    }

    /// At most one typing signal every 2.5 s.
    pub fn typing() {
        let now = js_sys::Date::now();
        if now - LAST_TYPING.get() < 2_500.0 {
            return;
        }
        LAST_TYPING.set(now);
        spawn_local(async {
            if let Ok(req) = Request::post("/inapp/chat/typing").build() {
                let _ = req.send().await;
            }
        });
    }

    pub fn attach(chat: ChatState, ev: &leptos::ev::Event) {
        let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
        let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
        input.set_value("");
        let Ok(form) = web_sys::FormData::new() else { return };
        if form.append_with_blob_and_filename("file", &file, &file.name()).is_err() {
            return;
        }
        chat.attaching.set(Attaching::Uploading);
        let epoch = EPOCH.get();
        spawn_local(async move {
            let res = match Request::post("/inapp/chat/attachments").body(form) {
                Ok(req) => req.send().await.ok(),
                Err(_) => None,
            };
            let next = match res {
                Some(r) if r.status() == 201 => r.json::<ChatAttachment>().await.map(Attaching::Ready).unwrap_or(Attaching::Failed(None)),
                Some(r) => Attaching::Failed(code_of(&r).await.and_then(|c| UploadError::parse_code(&c))),
                None => Attaching::Failed(None),
            };
            if alive(epoch) {
                chat.attaching.set(next);
            }
        });
    }

    /// Ctrl/Cmd+Enter sends; Enter alone is a new line, as on phones.
    pub fn ctrl_enter(ev: &leptos::ev::KeyboardEvent) {
        if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
            ev.prevent_default();
            let form = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()).and_then(|e| e.closest("form").ok().flatten());
            if let Some(form) = form.and_then(|f| f.dyn_into::<web_sys::HtmlFormElement>().ok()) {
                let _ = form.request_submit();
            }
        }
    }
}

#[cfg(not(feature = "hydrate"))]
mod imp {
    use super::super::ChatState;
    use crate::domain::chat::ChatAttachment;

    pub fn start(_: ChatState, _: String) {}
    pub fn stop() {}
    pub fn send(_: ChatState, _: String, _: Option<ChatAttachment>) {}
    pub fn typing() {}
    pub fn attach(_: ChatState, _: &leptos::ev::Event) {}
    pub fn ctrl_enter(_: &leptos::ev::KeyboardEvent) {}
}
