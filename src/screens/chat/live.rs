//! The browser's side of the live conversation: one `EventSource` resumed
//! from the last seq seen, re-opened with exponential back-off (and at once
//! when the device comes back online); the outbox, kept in `localStorage`
//! and sent in order, each message with its own client id; receipts and the
//! typing signal. All of it is one `Live` client per conversation screen,
//! provided in context; leaving the screen drops it, which ends its stream
//! and silences its callbacks. On the server it does nothing.

pub use imp::*;

#[cfg(feature = "hydrate")]
mod imp {
    use std::cell::{Cell, RefCell};
    use std::collections::HashSet;
    use std::rc::{Rc, Weak};

    use gloo_net::http::{Request, Response};
    use leptos::prelude::*;
    use leptos::task::spawn_local;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;

    use super::super::{Attaching, ChatState, Notice, Pending};
    use crate::domain::chat::{Author, ChatAttachment, ChatMessage, ConversationState, MessageError, ReceiptUpdate, Receipts, SendMessage, Typing};
    use crate::domain::kyc::UploadError;

    /// The screen's handle on its client: `Copy` for event handlers, and gone
    /// (with the client) when the screen's owner is cleaned up.
    #[derive(Clone, Copy)]
    pub struct Live(StoredValue<Rc<Client>, LocalStorage>);

    /// One conversation's connection. Browser callbacks hold it weakly, so
    /// the ones of a screen that is gone find nothing and do nothing.
    pub struct Client {
        chat: ChatState,
        /// Where this trader's outbox lives in `localStorage`.
        outbox_key: String,
        source: RefCell<Option<web_sys::EventSource>>,
        /// Bumped by every (re)connection; callbacks of older ones do nothing.
        generation: Cell<u32>,
        failures: Cell<u32>,
        flushing: Cell<bool>,
        stopped: Cell<bool>,
        /// (delivered, read) already reported.
        acked: Cell<(i64, i64)>,
        last_typing: Cell<f64>,
        /// The highest seq received over the stream: where a reconnection
        /// resumes. Messages known only from a send's answer do not count,
        /// or one stored in between by the agent would be skipped.
        stream_seq: Cell<i64>,
        /// Client ids this page saw stored, so saving the outbox can keep
        /// another tab's unsent messages without resurrecting sent ones.
        sent: RefCell<HashSet<String>>,
    }

    impl Drop for Client {
        fn drop(&mut self) {
            self.close();
        }
    }

    impl Live {
        pub fn new(chat: ChatState, outbox_key: String) -> Live {
            let client = Client {
                stream_seq: Cell::new(chat.messages.with_untracked(|m| m.last().map_or(0, |m| m.seq))),
                chat,
                outbox_key,
                source: RefCell::new(None),
                generation: Cell::new(0),
                failures: Cell::new(0),
                flushing: Cell::new(false),
                stopped: Cell::new(false),
                acked: Cell::new((0, 0)),
                last_typing: Cell::new(0.0),
                sent: RefCell::default(),
            };
            Live(StoredValue::new_local(Rc::new(client)))
        }

        fn client(&self) -> Option<Rc<Client>> {
            self.0.try_get_value()
        }

        /// Restores the outbox, opens the stream, listens to the device.
        pub fn start(&self) {
            if let Some(c) = self.client() {
                c.start();
            }
        }

        /// The screen is going away: end its stream and silence its callbacks.
        pub fn stop(&self) {
            if let Some(c) = self.client() {
                c.stopped.set(true);
                c.close();
            }
        }

        /// Queues a message under `client_id` (the form's own, for the
        /// first one) or a new id.
        pub fn send(&self, client_id: Option<String>, body: String, attachment: Option<ChatAttachment>) {
            if let Some(c) = self.client() {
                let client_id = client_id.unwrap_or_else(new_client_id);
                c.chat.pending.update(|p| p.push(Pending { client_id, body, attachment, error: None }));
                c.flush();
            }
        }

        /// At most one typing signal every 2.5 s.
        pub fn typing(&self) {
            let Some(c) = self.client() else { return };
            let now = js_sys::Date::now();
            if now - c.last_typing.get() < 2_500.0 {
                return;
            }
            c.last_typing.set(now);
            spawn_local(async {
                if let Ok(req) = Request::post("/inapp/chat/typing").build() {
                    let _ = req.send().await;
                }
            });
        }

        pub fn attach(&self, ev: &leptos::ev::Event) {
            let Some(c) = self.client() else { return };
            let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
            let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
            input.set_value("");
            let Ok(form) = web_sys::FormData::new() else { return };
            if form.append_with_blob_and_filename("file", &file, &file.name()).is_err() {
                return;
            }
            c.chat.attaching.set(Attaching::Uploading);
            let c = Rc::downgrade(&c);
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
                if let Some(c) = live(&c) {
                    c.chat.attaching.set(next);
                }
            });
        }
    }

    /// The client behind a weak handle, unless its screen is gone.
    fn live(weak: &Weak<Client>) -> Option<Rc<Client>> {
        weak.upgrade().filter(|c| !c.stopped.get())
    }

    /// Adds a browser event listener for as long as the page lives; it does
    /// nothing once the client is gone.
    fn listen(target: &web_sys::EventTarget, name: &str, weak: Weak<Client>, f: impl Fn(&Rc<Client>) + 'static) {
        let cb = Closure::<dyn FnMut()>::new(move || {
            if let Some(c) = live(&weak) {
                f(&c)
            }
        });
        let _ = target.add_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
        cb.forget();
    }

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    fn load_outbox(key: &str) -> Vec<Pending> {
        storage().and_then(|s| s.get_item(key).ok().flatten()).and_then(|j| serde_json::from_str(&j).ok()).unwrap_or_default()
    }

    fn new_client_id() -> String {
        web_sys::window()
            .and_then(|w| w.crypto().ok())
            .map(|c| c.random_uuid())
            .unwrap_or_else(|| format!("{:x}{:x}", (js_sys::Math::random() * 1e15) as u64, js_sys::Date::now() as u64))
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

    impl Client {
        fn start(self: &Rc<Self>) {
            let chat = self.chat;
            // Unsent messages from an earlier visit; the ones the server already
            // has (sent just before the page went away) are dropped.
            let saved: Vec<Pending> = load_outbox(&self.outbox_key)
                .into_iter()
                .filter(|p| !chat.messages.with_untracked(|m| m.iter().any(|m| m.author == Author::Trader && m.client_id == p.client_id)))
                .collect();
            chat.pending.set(saved);
            let weak = Rc::downgrade(self);
            Effect::new(move |_| {
                chat.pending.track();
                if let Some(c) = live(&weak) {
                    chat.pending.with_untracked(|p| c.save_outbox(p));
                }
            });
            self.connect();
            if let Some(w) = web_sys::window() {
                listen(&w, "online", Rc::downgrade(self), |c| {
                    if !c.chat.connected.get_untracked() {
                        c.failures.set(0);
                        c.connect();
                    }
                });
                // The device says it is offline: stop waiting on a dead stream.
                listen(&w, "offline", Rc::downgrade(self), |c| {
                    c.close();
                    c.chat.connected.set(false);
                    c.chat.typing.set(false);
                });
                if let Some(d) = w.document() {
                    listen(&d, "visibilitychange", Rc::downgrade(self), |c| c.ack());
                }
            }
            self.ack();
        }

        /// Closes the stream; callbacks of the closed one do nothing.
        fn close(&self) {
            self.generation.set(self.generation.get() + 1);
            if let Some(es) = self.source.take() {
                es.close();
            }
        }

        /// Writes this page's outbox, keeping what another tab of the same
        /// trader has waiting there.
        fn save_outbox(&self, pending: &[Pending]) {
            let Some(s) = storage() else { return };
            let mut all = pending.to_vec();
            for other in load_outbox(&self.outbox_key) {
                let known = self.sent.borrow().contains(&other.client_id) || all.iter().any(|p| p.client_id == other.client_id);
                if !known {
                    all.push(other);
                }
            }
            if let Ok(json) = serde_json::to_string(&all) {
                let _ = if all.is_empty() { s.remove_item(&self.outbox_key) } else { s.set_item(&self.outbox_key, &json) };
            }
        }

        fn stored(&self, m: ChatMessage) {
            if m.author == Author::Trader {
                self.sent.borrow_mut().insert(m.client_id.clone());
            }
            self.chat.merge(m);
        }

        /// Calls `f` for the stream's `name` events while `generation` is the
        /// current connection.
        fn on<T: serde::de::DeserializeOwned + 'static>(
            self: &Rc<Self>,
            es: &web_sys::EventSource,
            name: &str,
            generation: u32,
            f: impl Fn(&Rc<Client>, T) + 'static,
        ) {
            let weak = Rc::downgrade(self);
            let cb = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                let Some(c) = live(&weak).filter(|c| c.generation.get() == generation) else { return };
                if let Some(value) = e.data().as_string().and_then(|d| serde_json::from_str::<T>(&d).ok()) {
                    f(&c, value);
                }
            });
            let _ = es.add_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
            cb.forget();
        }

        fn connect(self: &Rc<Self>) {
            self.close();
            let generation = self.generation.get();
            let url = format!("/inapp/chat/events?after={}", self.stream_seq.get());
            let Ok(es) = web_sys::EventSource::new(&url) else {
                self.retry_later(generation);
                return;
            };
            self.on::<ChatMessage>(&es, "message", generation, |c, m| {
                let from_staff = m.author == Author::Staff;
                c.stream_seq.set(c.stream_seq.get().max(m.seq));
                c.stored(m);
                if from_staff {
                    c.chat.typing.set(false);
                    c.ack();
                }
            });
            self.on::<Receipts>(&es, "receipts", generation, |c, r| c.chat.receipts.set(r));
            self.on::<Typing>(&es, "typing", generation, |c, t| c.chat.typing.set(t.typing));
            self.on::<ConversationState>(&es, "conversation", generation, |c, s| c.chat.conversation.set(s));
            // The session ended: reconnecting cannot help; the trader must reopen the screen.
            self.on::<serde_json::Value>(&es, "ended", generation, |c, _| {
                c.close();
                c.chat.notice.set(Some(Notice::SessionExpired));
            });
            let weak = Rc::downgrade(self);
            let opened = Closure::<dyn FnMut()>::new(move || {
                let Some(c) = live(&weak).filter(|c| c.generation.get() == generation) else { return };
                c.failures.set(0);
                c.chat.connected.set(true);
                c.chat.opened.set(true);
                c.flush();
            });
            es.set_onopen(Some(opened.as_ref().unchecked_ref()));
            opened.forget();
            let weak = Rc::downgrade(self);
            let failed = Closure::<dyn FnMut()>::new(move || {
                let Some(c) = live(&weak).filter(|c| c.generation.get() == generation) else { return };
                // The browser's own retry has no back-off and no resume point of
                // ours: close and reconnect here instead.
                if let Some(es) = c.source.take() {
                    es.close();
                }
                c.chat.connected.set(false);
                c.chat.typing.set(false);
                c.retry_later(generation);
            });
            es.set_onerror(Some(failed.as_ref().unchecked_ref()));
            failed.forget();
            self.source.replace(Some(es));
        }

        /// 0.5 s, 1 s, 2 s, … up to 15 s, each with jitter so a restarted server
        /// is not met by every client at the same instant.
        fn retry_later(self: &Rc<Self>, generation: u32) {
            let n = self.failures.get();
            self.failures.set(n.saturating_add(1));
            let base = (500.0 * 2f64.powi(n.min(5) as i32)).min(15_000.0);
            let delay = base * (0.5 + js_sys::Math::random() / 2.0);
            let weak = Rc::downgrade(self);
            set_timeout(
                move || {
                    if let Some(c) = live(&weak).filter(|c| c.generation.get() == generation) {
                        c.connect();
                    }
                },
                std::time::Duration::from_millis(delay as u64),
            );
        }

        /// Sends the outbox in order, one at a time, until it is empty or the
        /// server cannot take more now.
        fn flush(self: &Rc<Self>) {
            if self.flushing.replace(true) {
                return;
            }
            let weak = Rc::downgrade(self);
            spawn_local(async move {
                while let Some(c) = live(&weak) {
                    let Some(next) = c.chat.pending.with_untracked(|p| p.iter().find(|p| p.error.is_none()).cloned()) else { break };
                    drop(c);
                    let outcome = post(&next).await;
                    let Some(c) = live(&weak) else { break };
                    match outcome {
                        Outcome::Stored(m) => {
                            c.chat.notice.set(None);
                            c.stored(m);
                        }
                        Outcome::Refused(e) => c.chat.pending.update(|list| {
                            if let Some(p) = list.iter_mut().find(|p| p.client_id == next.client_id) {
                                p.error = Some(e);
                            }
                        }),
                        Outcome::RateLimited(secs) => {
                            c.chat.notice.set(Some(Notice::RateLimited(secs)));
                            c.flush_later(std::time::Duration::from_secs(secs.max(1)));
                            break;
                        }
                        Outcome::SessionExpired => {
                            c.chat.notice.set(Some(Notice::SessionExpired));
                            break;
                        }
                        Outcome::Unreachable => {
                            // The stream's reconnection flushes again; meanwhile retry now and then.
                            c.flush_later(std::time::Duration::from_secs(3));
                            break;
                        }
                    }
                }
                if let Some(c) = weak.upgrade() {
                    c.flushing.set(false);
                }
            });
        }

        fn flush_later(self: &Rc<Self>, after: std::time::Duration) {
            let weak = Rc::downgrade(self);
            set_timeout(
                move || {
                    if let Some(c) = live(&weak) {
                        c.flush()
                    }
                },
                after,
            );
        }

        /// Tells the server how far the agent's messages have arrived and, while
        /// the page is visible, been read.
        fn ack(self: &Rc<Self>) {
            let last = self.chat.messages.with_untracked(|m| m.iter().rev().find(|m| m.author == Author::Staff).map_or(0, |m| m.seq));
            if last == 0 {
                return;
            }
            let visible = web_sys::window().and_then(|w| w.document()).is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Visible);
            let (delivered, read) = self.acked.get();
            let update = ReceiptUpdate { delivered: (last > delivered).then_some(last), read: (visible && last > read).then_some(last) };
            if update.delivered.is_none() && update.read.is_none() {
                return;
            }
            self.acked.set((delivered.max(last), if visible { read.max(last) } else { read }));
            let weak = Rc::downgrade(self);
            spawn_local(async move {
                let sent = match Request::post("/inapp/chat/receipts").json(&update) {
                    Ok(req) => req.send().await.is_ok_and(|r| r.ok()),
                    Err(_) => false,
                };
                if let (false, Some(c)) = (sent, weak.upgrade()) {
                    c.acked.set((delivered, read));
                }
            });
        }
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

    /// Nothing to connect to while rendering on the server.
    #[derive(Clone, Copy)]
    pub struct Live;

    impl Live {
        pub fn new(_: ChatState, _: String) -> Live {
            Live
        }
        pub fn start(&self) {}
        pub fn stop(&self) {}
        pub fn send(&self, _: Option<String>, _: String, _: Option<ChatAttachment>) {}
        pub fn typing(&self) {}
        pub fn attach(&self, _: &leptos::ev::Event) {}
    }

    pub fn ctrl_enter(_: &leptos::ev::KeyboardEvent) {}
}
