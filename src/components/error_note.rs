use leptos::prelude::*;

use super::use_page;
use crate::errors::AppError;

/// What a screen shows in place of its content when loading it failed: the
/// translated sentence, announced to screen readers. Rendered on the server,
/// it also gives the page the error's status.
#[component]
pub fn ErrorNote(error: AppError, testid: &'static str) -> impl IntoView {
    error.set_page_status();
    let lang = use_page().lang;
    view! {
        <div role="alert" data-testid=testid class="rounded-xl border border-border bg-surface p-4 text-danger">{error.user_message(lang)}</div>
    }
}
