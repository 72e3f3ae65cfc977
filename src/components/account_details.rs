use leptos::prelude::*;

use crate::components::use_page;
use crate::i18n::t;
use crate::server_fns::account::{account_summary, AccountInfo};

/// A disclosure that, once opened, asks the server for the trader's live
/// account details (balance read from cTrader through the session). It only
/// works after hydration, which is why the end-to-end tests click it.
#[component]
pub fn AccountDetails() -> impl IntoView {
    let page = use_page();
    let lang = page.lang;
    let open = RwSignal::new(false);
    let summary = Action::new(|_: &()| account_summary());
    let toggle = move |_| {
        let now_open = !open.get_untracked();
        open.set(now_open);
        if now_open && summary.value().get_untracked().is_none() {
            summary.dispatch(());
        }
    };
    let row = move |label: String, value: String, id: &'static str| {
        view! {
            <div class="flex justify-between gap-4 py-1">
                <dt class="text-muted">{label}</dt>
                <dd class="font-medium" data-testid=id>{value}</dd>
            </div>
        }
    };
    let body = move || {
        if !open.get() {
            return None;
        }
        Some(match summary.value().get() {
            None => view! { <p role="status" class="text-muted">{t(lang, "app.details_loading")}</p> }.into_any(),
            Some(Err(err)) => view! { <p role="alert" class="text-danger">{err.user_message(lang)}</p> }.into_any(),
            Some(Ok(AccountInfo { balance, currency, user_id, trader_id, source, .. })) => view! {
                <dl class="text-sm divide-y divide-border">
                    {row(t(lang, "app.balance"), balance.map(|b| format!("{} {}", crate::domain::format_money(b, b.scale(), lang), currency.clone().unwrap_or_default())).unwrap_or_else(|| "—".into()), "balance")}
                    {row(t(lang, "app.user_id"), user_id.to_string(), "user-id")}
                    {row(t(lang, "app.trader_id"), trader_id.map(|v| v.to_string()).unwrap_or_else(|| "—".into()), "trader-id")}
                    {row(t(lang, "app.opened_from"), source, "source")}
                </dl>
            }.into_any(),
        })
    };
    view! {
        <section class="rounded-xl border border-border bg-surface p-4 space-y-3">
            <button type="button"
                class="w-full text-start font-medium rounded-lg min-h-11 px-2 focus-visible:outline-2 focus-visible:outline-brand"
                aria-expanded=move || open.get().to_string()
                aria-controls="account-details"
                data-testid="details-toggle"
                on:click=toggle>
                {move || if open.get() { t(lang, "app.details_hide") } else { t(lang, "app.details_show") }}
            </button>
            <div id="account-details" aria-live="polite">{body}</div>
        </section>
    }
}
