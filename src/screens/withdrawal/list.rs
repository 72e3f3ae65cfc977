use std::ops::ControlFlow;

use leptos::prelude::*;

use crate::components::{follow, use_page, FormError};
use crate::domain::notify::Notice;
use crate::domain::withdrawal::{Destination, RejectReason};
use crate::domain::{format_money, format_when, Lang, WithdrawalState, WithdrawalView};
use crate::errors::AppError;
use crate::i18n::{t, t_with};
use crate::server_fns::withdrawal::{list_withdrawals, CancelWithdrawal};

fn destination(lang: Lang, d: &Destination) -> String {
    match d {
        Destination::Bank(iban) => t_with(lang, "withdraw.dest_bank", &[("iban", iban)]),
        Destination::Card { deposit_at_ms } => t_with(lang, "withdraw.dest_card", &[("date", &format_when(*deposit_at_ms, lang))]),
    }
}

fn reason(lang: Lang, r: &RejectReason) -> String {
    match r {
        RejectReason::Finance(text) => t_with(lang, "withdraw.reason", &[("reason", text)]),
        RejectReason::InsufficientBalance => t(lang, "withdraw.reason_insufficient"),
        RejectReason::Platform => t(lang, "withdraw.reason_platform"),
    }
}

/// Whether finance, the debit or the payout may still move one of them.
fn moving(list: &[WithdrawalView]) -> bool {
    use crate::domain::WithdrawalState::{Approved, Debited, Requested};
    list.iter().any(|w| matches!(w.state, Requested | Approved | Debited))
}

/// Keeps `items` fresh while one of them is moving: re-read whenever the
/// account changes (finance approves, the debit lands, the payout is
/// confirmed). Once nothing moves it lets go of its stream (the list starts
/// it again when a new request appears: see `Withdrawals`).
#[component]
fn Follow(items: RwSignal<Vec<WithdrawalView>>) {
    let page = use_page();
    let login = page.trader.as_ref().map_or(0, |t| t.login.get());
    follow(list_withdrawals, move |answer| {
        if let Ok(list) = answer {
            // One that ended while the screen watched: told to the embedding page.
            for w in &list {
                let ended = matches!(w.state, WithdrawalState::Paid | WithdrawalState::Rejected | WithdrawalState::Cancelled);
                let was_moving = items.with_untracked(|l| l.iter().any(|o| o.id == w.id && o.state != w.state));
                if ended && was_moving {
                    let notice = Notice::new("withdrawal", w.id.to_string(), login, w.state.as_str()).with_amount(w.amount, w.currency.to_string());
                    crate::components::tell_parent(&notice, &page.parent_origins);
                }
            }
            if items.with_untracked(|l| *l != list) {
                items.set(list);
            }
        }
        if items.with_untracked(|list| moving(list)) {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(())
        }
    });
}

/// The trader's withdrawals with their states; one still waiting for
/// approval can be cancelled here.
#[component]
pub fn Withdrawals(items: RwSignal<Vec<WithdrawalView>>) -> impl IntoView {
    let lang = use_page().lang;
    let cancel = ServerAction::<CancelWithdrawal>::new();
    let failure = RwSignal::new(None::<AppError>);
    Effect::new(move |_| match cancel.value().get() {
        Some(Ok(w)) => items.update(|list| {
            if let Some(slot) = list.iter_mut().find(|o| o.id == w.id) {
                *slot = w;
            }
        }),
        Some(Err(e)) => failure.set(Some(e)),
        None => {}
    });
    let live = Memo::new(move |_| items.with(|list| moving(list)));
    view! {
        <section class="space-y-2" aria-labelledby="withdrawals-heading">
            <h2 id="withdrawals-heading" class="font-medium">{t(lang, "withdraw.list")}</h2>
            {move || live.get().then(|| view! { <Follow items/> })}
            <FormError testid="withdraw-cancel-error" error=failure/>
            {move || {
                let list = items.get();
                if list.is_empty() {
                    return view! { <p class="text-sm text-muted" data-testid="withdraw-none">{t(lang, "withdraw.none")}</p> }.into_any();
                }
                view! {
                    <ul class="divide-y divide-border rounded-xl border border-border bg-surface" data-testid="withdrawals" aria-live="polite">
                        {list.into_iter().map(|w| {
                            let state = w.state.as_str();
                            let (id, row_id) = (w.id.to_string(), w.id.to_string());
                            let can_cancel = w.state == crate::domain::WithdrawalState::Requested;
                            view! {
                                <li class="space-y-1 p-3 text-sm" data-testid="withdrawal" data-state=state data-id=row_id>
                                    <p class="flex flex-wrap justify-between gap-x-4">
                                        <span class="font-medium" data-testid="withdrawal-amount">{format!("{} {}", format_money(w.amount, w.amount.scale(), lang), w.currency)}</span>
                                        <span data-testid="withdrawal-state">{t(lang, &format!("withdraw.state.{state}"))}</span>
                                    </p>
                                    <p class="text-muted">{destination(lang, &w.destination)}" · "{format_when(w.created_at_ms, lang)}</p>
                                    {w.reason.as_ref().map(|r| view! { <p data-testid="withdrawal-reason">{reason(lang, r)}</p> })}
                                    {can_cancel.then(|| view! {
                                        <button type="button" data-testid="withdrawal-cancel"
                                            class="rounded-lg border border-border min-h-11 px-4 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand disabled:opacity-60"
                                            disabled=move || cancel.pending().get()
                                            on:click=move |_| { failure.set(None); cancel.dispatch(CancelWithdrawal { id: id.clone() }); }>
                                            {t(lang, "withdraw.cancel")}
                                        </button>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}
