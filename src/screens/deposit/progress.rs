use std::time::Duration;

use std::ops::ControlFlow;

use leptos::prelude::*;

use crate::components::{poll, use_page, Card};
use crate::domain::{format_money, DepositState};
use crate::i18n::t;
use crate::server_fns::deposit::{get_deposit_status, DepositStatus};

/// cTrader closes its browser on the success and failure URLs.
fn leave(url: &str) -> ControlFlow<()> {
    let _ = window().location().assign(url);
    ControlFlow::Break(())
}

/// Back from the payment page: follows the deposit live and, when it ends,
/// sends the browser to the success or failure URL (cTrader closes on them).
/// A paid deposit held for review is neither: it says so and stops polling.
#[component]
pub fn DepositProgress(id: String) -> impl IntoView {
    let lang = use_page().lang;
    let status = RwSignal::new(None::<Result<DepositStatus, crate::errors::AppError>>);
    poll(
        Duration::ZERO,
        Duration::from_secs(1),
        move || get_deposit_status(id.clone()),
        move |answer| {
            let next = match &answer {
                Ok(s) => match s.deposit.state {
                    DepositState::Credited => leave(&s.success_url),
                    DepositState::Failed | DepositState::Cancelled => leave(&s.failure_url),
                    // Paid and held for review: nothing will change soon.
                    DepositState::Review => ControlFlow::Break(()),
                    _ => ControlFlow::Continue(()),
                },
                Err(_) => ControlFlow::Continue(()),
            };
            status.set(Some(answer));
            next
        },
    );
    view! {
        <Card class="space-y-2" attr:aria-live="polite" attr:data-testid="deposit-progress">
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
        </Card>
    }
}
