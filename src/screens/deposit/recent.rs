use std::ops::ControlFlow;

use leptos::prelude::*;

use crate::components::{follow, use_page};
use crate::domain::{format_money, DepositState, DepositView};
use crate::i18n::t;
use crate::server_fns::deposit::recent_deposits;

/// The trader's recent deposits; followed live while any of them is still
/// in flight.
#[component]
pub fn RecentDeposits(initial: Vec<DepositView>) -> impl IntoView {
    let lang = use_page().lang;
    let deposits = RwSignal::new(initial);
    let in_flight = |list: &[DepositView]| list.iter().any(|d| d.state.in_flight());
    if deposits.with_untracked(|list| in_flight(list)) {
        follow(recent_deposits, move |answer| {
            if let Ok(list) = answer {
                if deposits.with_untracked(|l| *l != list) {
                    deposits.set(list);
                }
            }
            if deposits.with_untracked(|list| in_flight(list)) {
                ControlFlow::Continue(())
            } else {
                ControlFlow::Break(())
            }
        });
    }
    view! {
        <section class="space-y-2" aria-labelledby="recent-heading">
            <h2 id="recent-heading" class="font-medium">{t(lang, "deposit.recent")}</h2>
            {move || {
                let list = deposits.get();
                if list.is_empty() {
                    return view! { <p class="text-sm text-muted">{t(lang, "deposit.none")}</p> }.into_any();
                }
                view! {
                    <ul class="divide-y divide-border rounded-xl border border-border bg-surface" data-testid="recent" aria-live="polite">
                        {list.into_iter().map(|d| {
                            let state = d.state.as_str();
                            // A bank transfer waiting for the trader's money: back to its details.
                            let details = (d.state == DepositState::AwaitingFunds).then(|| view! {
                                <a class="underline min-h-11 inline-flex items-center" href=format!("/inapp/deposit?deposit={}", d.id) data-testid="recent-bank-details">
                                    {t(lang, "deposit.bank.show")}
                                </a>
                            });
                            view! {
                                <li class="flex flex-wrap items-center justify-between gap-x-4 p-3 text-sm" data-testid="recent-deposit" data-state=state>
                                    <span class="font-medium">{format!("{} {}", format_money(d.amount, d.amount.scale(), lang), d.currency)}</span>
                                    <span>{t(lang, &format!("deposit.state.{state}"))}</span>
                                    {details}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}
