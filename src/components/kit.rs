//! The few pieces every trader form is built from, so the brand's look, the
//! 44-pixel touch targets, the focus ring and what a screen reader hears are
//! decided here once instead of in each screen. Attributes a screen needs on
//! top (`attr:aria-live`, `attr:data-testid`, `on:click`) are spread onto the
//! piece's element by Leptos.

use leptos::prelude::*;

use super::use_page;
use crate::errors::AppError;

/// A text input's or select's look.
pub const INPUT: &str = "w-full rounded-lg border border-border bg-surface px-3 py-3 focus-visible:outline-2 focus-visible:outline-brand";

/// A panel of the screen.
#[component]
pub fn Card(children: Children, #[prop(optional)] class: &'static str) -> impl IntoView {
    view! { <section class=format!("rounded-xl border border-border bg-surface p-4 {class}")>{children()}</section> }
}

/// What a screen shows while its data is on the way; announced politely.
#[component]
pub fn Loading(text: String, #[prop(optional)] class: &'static str) -> impl IntoView {
    view! { <p role="status" class=format!("text-muted {class}")>{text}</p> }
}

/// The message under one field. It is always in the page (empty when the
/// field is fine) so the field's `aria-describedby` points at something and
/// nothing moves when it fills; the id doubles as the test id.
#[component]
pub fn FieldMessage(#[prop(into)] id: String, #[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    view! { <p id=id.clone() data-testid=id role="alert" class="text-sm font-medium text-danger">{move || message.get()}</p> }
}

/// The form's own failure (the server refused, the network failed), in the
/// trader's language.
#[component]
pub fn FormError(testid: &'static str, #[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    let lang = use_page().lang;
    view! { <p role="alert" data-testid=testid class="text-sm font-medium text-danger">{move || error.get().map(|e| e.user_message(lang))}</p> }
}

/// The screen's main button. While `busy` it is disabled, says so to
/// assistive technology and shows `busy_label`; `disabled` covers the
/// screen's other reasons (the page not interactive yet).
#[component]
pub fn PrimaryButton(
    testid: &'static str,
    #[prop(into)] label: Signal<String>,
    #[prop(optional)] busy_label: Option<String>,
    #[prop(into, optional)] busy: Signal<bool>,
    #[prop(into, optional)] disabled: Signal<bool>,
    /// A plain button (its `on:click` does the work) instead of the form's submit.
    #[prop(optional)]
    plain: bool,
) -> impl IntoView {
    let busy_label = Signal::derive(move || busy_label.clone().unwrap_or_else(|| label.get()));
    view! {
        <button type=if plain { "button" } else { "submit" } data-testid=testid
            class="w-full rounded-lg min-h-12 px-4 font-semibold bg-brand text-brand-contrast disabled:opacity-60 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand"
            disabled=move || busy.get() || disabled.get()
            aria-busy=move || busy.get().to_string()>
            {move || if busy.get() { busy_label.get() } else { label.get() }}
        </button>
    }
}

/// A button beside the main one (cancel, retry); its `on:click` does the work.
#[component]
pub fn SecondaryButton(testid: &'static str, label: String) -> impl IntoView {
    view! {
        <button type="button" data-testid=testid
            class="rounded-lg border border-border min-h-11 px-4 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand">
            {label}
        </button>
    }
}
