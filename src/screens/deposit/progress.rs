use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::use_page;
use crate::domain::{format_money, DepositState};
use crate::i18n::t;
use crate::server_fns::deposit::{get_deposit_status, DepositStatus};

/// Back from the payment page: follows the deposit live and, when it ends,
/// sends the browser to the success or failure URL (cTrader closes on them).
/// A paid deposit held for review is neither: it says so and stops polling.
#[component]
pub fn DepositProgress(id: String) -> impl IntoView {
    let lang = use_page().lang;
    let status = RwSignal::new(None::<Result<DepositStatus, crate::errors::AppError>>);
    let poll = {
        let id = id.clone();
        move || {
            let id = id.clone();
            let held = matches!(status.get_untracked(), Some(Ok(ref s)) if s.deposit.state == DepositState::Review);
            if held {
                return;
            }
            spawn_local(async move {
                let answer = get_deposit_status(id).await;
                if let Ok(s) = &answer {
                    let target = match s.deposit.state {
                        DepositState::Credited => Some(s.success_url.clone()),
                        DepositState::Failed | DepositState::Cancelled => Some(s.failure_url.clone()),
                        _ => None,
                    };
                    if let Some(url) = target {
                        let _ = window().location().assign(&url);
                    }
                }
                status.set(Some(answer));
            })
        }
    };
    Effect::new(move |_| {
        poll();
        if let Ok(handle) = set_interval_with_handle(poll.clone(), Duration::from_secs(1)) {
            on_cleanup(move || handle.clear());
        }
    });
    view! {
        <section class="rounded-xl border border-border bg-surface p-4 space-y-2" aria-live="polite" data-testid="deposit-progress">
            {move || match status.get() {
                None => view! { <p role="status">{t(lang, "deposit.processing")}</p> }.into_any(),
                Some(Err(e)) => view! { <p role="alert" class="text-danger">{e.user_message(lang)}</p> }.into_any(),
                Some(Ok(s)) => {
                    let state = s.deposit.state.as_str();
                    let note = if s.deposit.state == DepositState::Review { "deposit.review_note" } else { "deposit.processing" };
                    view! {
                        <p class="text-lg font-semibold">{format!("{} {}", format_money(s.deposit.amount, s.deposit.amount.scale(), lang), s.deposit.currency)}</p>
                        <p role="status" data-testid="deposit-state" data-state=state>{t(lang, &format!("deposit.state.{state}"))}</p>
                        <p class="text-sm text-muted" data-testid="deposit-note">{t(lang, note)}</p>
                    }.into_any()
                }
            }}
        </section>
    }
}
