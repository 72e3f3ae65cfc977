//! The conversation's markup: messages (stored, then waiting ones), the
//! typing line, the composer with its attachment. Heights of the status lines
//! are reserved so nothing jumps when they change; message text is always a
//! text node, never HTML.

use leptos::prelude::*;

use super::{live, Attaching, ChatState, Live, Notice, Pending};
use crate::components::{interactive, typed_before_hydration, use_page, PrimaryButton};
use crate::domain::chat::{clean_body, Author, ChatAttachment, ChatMessage, ChatReturn, Delivery, MessageError};
use crate::domain::Lang;
use crate::i18n::{t, t_with};

/// `form_client_id`: the message form's own id, for a post before the WASM
/// and the first send after it; `returned`: that post, refused.
pub fn conversation(chat: ChatState, max_chars: usize, form_client_id: String, returned: Option<ChatReturn>) -> AnyView {
    let lang = use_page().lang;
    let live = expect_context::<Live>();
    let refusal = returned.map(|r| match r.error {
        MessageError::Empty | MessageError::TooLong => t_with(lang, r.error.key(), &[("max", &max_chars.to_string())]),
        MessageError::RateLimited => t(lang, "chat.error.rate_limited_form"),
        _ => t(lang, "chat.error.send"),
    });
    // What was typed before the WASM arrived is kept, not replaced by an
    // empty draft when the page hydrates.
    let draft = RwSignal::new(typed_before_hydration("chat-input"));
    let problem = RwSignal::new(refusal);
    // A press just before hydration may have posted the form with this id:
    // the first send from the hydrated screen uses it too, so the two are
    // one message, whichever reaches the server.
    let first_id = StoredValue::new(Some(form_client_id.clone()).filter(|id| !id.is_empty()));
    let list = NodeRef::<leptos::html::Ol>::new();
    Effect::new(move |_| {
        // Follow the newest message.
        let _ = (chat.messages.with(Vec::len), chat.pending.with(Vec::len), chat.typing.get());
        if let Some(el) = list.get() {
            el.set_scroll_top(el.scroll_height());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let attachment = match chat.attaching.get_untracked() {
            Attaching::Ready(a) => Some(a),
            Attaching::Uploading => return,
            _ => None,
        };
        match clean_body(&draft.get_untracked(), attachment.is_some(), max_chars) {
            Ok(body) => {
                problem.set(None);
                draft.set(String::new());
                chat.attaching.set(Attaching::Nothing);
                live.send(first_id.try_update_value(Option::take).flatten(), body, attachment);
            }
            Err(e) => problem.set(Some(t_with(lang, e.key(), &[("max", &max_chars.to_string())]))),
        }
    };
    view! {
        <section class="flex flex-col gap-2" aria-label=t(lang, "chat.conversation")>
            <p class="text-sm text-muted min-h-5" data-testid="chat-agent">
                {move || {
                    let c = chat.conversation.get();
                    if c.closed {
                        t(lang, "chat.closed")
                    } else {
                        c.agent.map(|a| t_with(lang, "chat.agent", &[("name", &a)])).unwrap_or_default()
                    }
                }}
            </p>
            // The connection notice lies over the list, so it appearing or
            // wrapping to more lines never moves the composer.
            <div class="relative">
            <p role="status" data-testid="chat-connection"
                data-state=move || match (chat.opened.get(), chat.connected.get()) {
                    (_, false) => "offline",
                    (false, true) => "connecting",
                    (true, true) => "online",
                }
                class=move || if chat.connected.get() { "sr-only" } else { "absolute inset-x-2 top-2 z-10 rounded-lg bg-warning text-warning-contrast px-3 py-2 text-sm shadow" }>
                {move || (!chat.connected.get()).then(|| t(lang, "chat.reconnecting"))}
            </p>
            <ol node_ref=list data-testid="messages" aria-live="polite" aria-label=t(lang, "chat.messages")
                class="flex flex-col gap-2 overflow-y-auto overscroll-contain rounded-xl border border-border bg-surface p-3 h-[50dvh] min-h-48">
                {move || (chat.messages.with(Vec::is_empty) && chat.pending.with(Vec::is_empty)).then(|| view! {
                    <li class="m-auto text-center text-muted" data-testid="chat-empty">{t(lang, "chat.empty")}</li>
                })}
                <For each=move || chat.messages.get() key=|m| m.seq let:m>
                    {stored(lang, chat, m)}
                </For>
                <For each=move || chat.pending.get() key=|p| (p.client_id.clone(), p.error) let:p>
                    {waiting(lang, chat, p)}
                </For>
            </ol>
            </div>
            {composer(lang, chat, max_chars, Composer { draft, problem, form_client_id }, submit)}
        </section>
    }
    .into_any()
}

/// The composer's text: the draft, what is wrong, and the form's own client id.
struct Composer {
    draft: RwSignal<String>,
    problem: RwSignal<Option<String>>,
    form_client_id: String,
}

/// The typing line and the form. A separate, type-erased view: one deeply
/// nested view type overflows the compiler's query depth in clean builds.
///
/// Before the WASM arrives the form posts itself (`/inapp/chat/send`, with
/// its client id, so two presses are one message) and the server sends the
/// browser back to the screen; once hydrated, the submit is handled here and
/// goes through the outbox. The attachment picker needs the WASM and waits
/// for it.
fn composer(lang: Lang, chat: ChatState, max_chars: usize, c: Composer, submit: impl Fn(leptos::ev::SubmitEvent) + Send + 'static) -> AnyView {
    let live = expect_context::<Live>();
    let ready = interactive();
    let Composer { draft, problem, form_client_id } = c;
    view! {
            <p class="min-h-5 text-sm text-muted" data-testid="typing" aria-live="polite">
                {move || chat.typing.get().then(|| t(lang, "chat.typing"))}
            </p>
            <form method="post" action="/inapp/chat/send" on:submit=submit class="space-y-2" data-testid="composer" data-ready=move || ready.get().to_string()>
                <input type="hidden" name="client_id" value=form_client_id/>
                <label for="chat-input" class="sr-only">{t(lang, "chat.input_label")}</label>
                <textarea id="chat-input" name="body" rows="2" data-testid="chat-input"
                    // Before the WASM, the limit itself: a form the browser
                    // posts cannot be too long (and so never comes back
                    // refused without its text). Hydrated, a little over, so
                    // a pasted text is not cut silently but answered "too long".
                    maxlength=move || if ready.get() { max_chars + 100 } else { max_chars }.to_string()
                    placeholder=t(lang, "chat.placeholder")
                    class="w-full rounded-lg border border-border bg-bg p-3 text-base"
                    prop:value=move || draft.get()
                    on:input=move |ev| {
                        draft.set(event_target_value(&ev));
                        live.typing();
                    }
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| live::ctrl_enter(&ev)></textarea>
                <AttachmentControl lang chat ready/>
                <p role="alert" class="min-h-5 text-sm text-danger" data-testid="chat-problem">
                    {move || problem.get()}
                    {move || chat.notice.get().map(|n| match n {
                        Notice::RateLimited(s) => t_with(lang, "chat.error.rate_limited", &[("seconds", &s.to_string())]),
                        Notice::SessionExpired => format!("{} {}", t(lang, "error.session_expired.body"), t(lang, "error.reopen")),
                    })}
                </p>
                <PrimaryButton testid="chat-send" label=t(lang, "chat.send")
                    disabled=Signal::derive(move || chat.attaching.with(|a| *a == Attaching::Uploading))/>
            </form>
    }
    .into_any()
}

#[component]
fn AttachmentControl(lang: Lang, chat: ChatState, ready: ReadSignal<bool>) -> impl IntoView {
    let live = expect_context::<Live>();
    view! {
        <div class="flex flex-wrap items-center gap-2 min-h-11">
            <label for="chat-file" class="inline-flex items-center rounded-lg border border-border min-h-11 px-3 cursor-pointer focus-within:outline-2 focus-within:outline-brand">
                {t(lang, "chat.attach")}
                <input id="chat-file" type="file" accept="image/jpeg,image/png,application/pdf" class="sr-only" data-testid="chat-file"
                    disabled=move || !ready.get()
                    on:change=move |ev| live.attach(&ev)/>
            </label>
            <span class="text-sm" data-testid="chat-attachment" data-state=move || match chat.attaching.get() {
                Attaching::Nothing => "none",
                Attaching::Uploading => "uploading",
                Attaching::Ready(_) => "ready",
                Attaching::Failed(_) => "failed",
            }>
                {move || match chat.attaching.get() {
                    Attaching::Nothing => ().into_any(),
                    Attaching::Uploading => t(lang, "chat.uploading").into_any(),
                    Attaching::Ready(a) => view! {
                        <span>{a.file_name}</span>
                        <button type="button" class="ms-2 underline min-h-11" data-testid="chat-attachment-remove"
                            on:click=move |_| chat.attaching.set(Attaching::Nothing)>{t(lang, "chat.remove")}</button>
                    }.into_any(),
                    Attaching::Failed(e) => view! {
                        <span class="text-danger">{e.map(|e| t(lang, e.i18n_key())).unwrap_or_else(|| t(lang, "chat.error.upload"))}</span>
                    }.into_any(),
                }}
            </span>
        </div>
    }
}

fn attachment_view(a: ChatAttachment) -> AnyView {
    let href = format!("/inapp/chat/attachments/{}", a.id);
    if a.is_image() {
        // A fixed box, so the image arriving does not move the conversation.
        let src = href.clone();
        view! {
            <a href=href rel="external" data-testid="message-attachment" class="block mt-1">
                <img src=src alt=a.file_name.clone() width="160" height="160" loading="lazy" class="h-40 w-40 rounded object-cover"/>
            </a>
        }
        .into_any()
    } else {
        view! { <a href=href rel="external" class="underline" data-testid="message-attachment">{a.file_name}</a> }.into_any()
    }
}

fn bubble_class(mine: bool) -> &'static str {
    if mine {
        "ms-8 self-end rounded-lg bg-brand text-brand-contrast p-2 max-w-[85%]"
    } else {
        "me-8 self-start rounded-lg border border-border bg-bg p-2 max-w-[85%]"
    }
}

fn stored(lang: Lang, chat: ChatState, m: ChatMessage) -> impl IntoView {
    let mine = m.author == Author::Trader;
    let seq = m.seq;
    let who = if mine {
        t(lang, "chat.you")
    } else {
        m.author_name.clone().map(|n| t_with(lang, "chat.agent_name", &[("name", &n)])).unwrap_or_else(|| t(lang, "chat.support"))
    };
    let status = move || mine.then(|| Delivery::of(seq, chat.receipts.get()));
    view! {
        <li data-testid="message" data-seq=seq.to_string() data-author=m.author.as_str() data-client-id=m.client_id.clone()
            data-status=move || status().map(|s| s.as_str()).unwrap_or("")
            class=bubble_class(mine)>
            <p class="text-xs opacity-80"><span>{who}</span>" · "<time>{crate::domain::format_when(m.at_ms, lang)}</time></p>
            <p class="whitespace-pre-wrap break-words" data-testid="message-body">{m.body}</p>
            {m.attachment.map(attachment_view)}
            {mine.then(|| view! {
                <p class="text-xs opacity-80 text-end" data-testid="message-status">
                    {move || status().map(|s| t(lang, &format!("chat.status.{}", s.as_str())))}
                </p>
            })}
        </li>
    }
}

fn waiting(lang: Lang, chat: ChatState, p: Pending) -> impl IntoView {
    let id = p.client_id.clone();
    let failed = p.error;
    view! {
        <li data-testid="message" data-status="pending" data-author="trader" data-client-id=p.client_id.clone() class=format!("{} opacity-80", bubble_class(true))>
            <p class="whitespace-pre-wrap break-words" data-testid="message-body">{p.body}</p>
            {p.attachment.map(attachment_view)}
            <p class="text-xs text-end" data-testid="message-status">
                {match failed {
                    Some(e) => t(lang, e.key()),
                    None => t(lang, "chat.status.pending"),
                }}
            </p>
            {failed.map(|_| view! {
                <button type="button" class="underline min-h-11" data-testid="message-remove"
                    on:click=move |_| chat.pending.update(|list| list.retain(|x| x.client_id != id))>{t(lang, "chat.remove")}</button>
            })}
        </li>
    }
}
