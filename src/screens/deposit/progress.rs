use std::ops::ControlFlow;

use leptos::prelude::*;

use crate::components::{follow, tell_parent, use_page, Card};
use crate::domain::notify::Notice;
use crate::domain::{format_amount, format_money, BankInstructions, DepositState};
use crate::i18n::t;
use crate::server_fns::deposit::{get_deposit_status, DepositStatus};

/// cTrader closes its browser on the success and failure URLs.
fn leave(url: &str) -> ControlFlow<()> {
    let _ = window().location().assign(url);
    ControlFlow::Break(())
}

/// Back from the payment page: follows the deposit live (re-read whenever
/// the account changes) and, when it ends, sends the browser to the success
/// or failure URL (cTrader closes on them). A paid deposit held for review
/// is neither: it says so and stops following.
#[component]
pub fn DepositProgress(id: String) -> impl IntoView {
    let page = use_page();
    let lang = page.lang;
    let status = RwSignal::new(None::<Result<DepositStatus, crate::errors::AppError>>);
    let login = page.trader.as_ref().map_or(0, |t| t.login.get());
    let origins = page.parent_origins;
    follow(
        move || get_deposit_status(id.clone()),
        move |answer| {
            // The end (or the hold for review) told to the embedding page first.
            if let Ok(s) = &answer {
                if matches!(
                    s.deposit.state,
                    DepositState::Credited | DepositState::Failed | DepositState::Cancelled | DepositState::Expired | DepositState::Review
                ) {
                    let d = &s.deposit;
                    let notice = Notice::new("deposit", d.id.to_string(), login, d.state.as_str())
                        .with_amount(format_amount(d.amount, d.amount.scale()), d.currency.to_string());
                    tell_parent(&notice, &origins);
                }
            }
            let next = match &answer {
                Ok(s) => match s.deposit.state {
                    DepositState::Credited => leave(&s.success_url),
                    DepositState::Failed | DepositState::Cancelled | DepositState::Expired => leave(&s.failure_url),
                    // Paid and held for review: nothing will change soon.
                    DepositState::Review => ControlFlow::Break(()),
                    _ => ControlFlow::Continue(()),
                },
                Err(_) => ControlFlow::Continue(()),
            };
            // Unchanged answers leave the screen alone: a re-render would drop
            // the trader's text selection and the "Copied" feedback.
            if status.with_untracked(|s| s.as_ref() != Some(&answer)) {
                status.set(Some(answer));
            }
            next
        },
    );
    view! {
        <Card class="space-y-2" attr:aria-live="polite" attr:data-testid="deposit-progress">
            {move || match status.get() {
                None => view! { <p role="status">{t(lang, "deposit.processing")}</p> }.into_any(),
                Some(Err(e)) => view! { <p role="alert" class="text-danger">{e.user_message(lang)}</p> }.into_any(),
                Some(Ok(s)) => view! { <DepositStatusView status=s/> }.into_any(),
            }}
        </Card>
    }
}

/// One answer about a deposit: amount, state, what it means, and the bank
/// details while a transfer is awaited (the gallery draws it too).
#[component]
pub(crate) fn DepositStatusView(status: DepositStatus) -> impl IntoView {
    let lang = use_page().lang;
    let s = status;
    let state = s.deposit.state.as_str();
    let note = match s.deposit.state {
        DepositState::Review => "deposit.review_note",
        DepositState::AwaitingFunds => "deposit.awaiting_note",
        _ => "deposit.processing",
    };
    view! {
        <p class="text-lg font-semibold" data-testid="deposit-amount">{format!("{} {}", format_money(s.deposit.amount, s.deposit.amount.scale(), lang), s.deposit.currency)}</p>
        <p role="status" data-testid="deposit-state" data-state=state>{t(lang, &format!("deposit.state.{state}"))}</p>
        <p class="text-sm text-muted" data-testid="deposit-note">{t(lang, note)}</p>
        {s.bank.map(|b| view! { <BankDetails bank=b currency=s.deposit.currency.to_string()/> })}
        // Back from a provider's page without paying: a way out of waiting.
        {(s.deposit.state == DepositState::Pending).then(|| view! {
            <a href="/inapp/deposit" class="inline-flex items-center min-h-11 underline" data-testid="deposit-another-way">{t(lang, "deposit.another_way")}</a>
        })}
    }
}

/// Where to send a bank transfer, each value with a copy button (the
/// reference above all: a payment without it cannot be matched).
#[component]
fn BankDetails(bank: BankInstructions, currency: String) -> impl IntoView {
    let lang = use_page().lang;
    let amount = format_amount(bank.amount, bank.amount.scale());
    view! {
        <section class="space-y-3 border-t border-border pt-3" aria-labelledby="bank-heading" data-testid="bank-details">
            <h2 id="bank-heading" class="font-semibold">{t(lang, "deposit.bank.title")}</h2>
            <p class="text-sm">{t(lang, "deposit.bank.help")}</p>
            <dl class="space-y-2">
                <CopyRow label=t(lang, "deposit.bank.reference") value=bank.reference testid="bank-reference" strong=true/>
                <CopyRow label=t(lang, "deposit.bank.amount") value=amount suffix=currency testid="bank-amount" strong=true/>
                <CopyRow label=t(lang, "deposit.bank.beneficiary") value=bank.beneficiary testid="bank-beneficiary"/>
                <CopyRow label=t(lang, "deposit.bank.account") value=bank.account testid="bank-account"/>
                <CopyRow label=t(lang, "deposit.bank.bic") value=bank.bic testid="bank-bic"/>
                <CopyRow label=t(lang, "deposit.bank.bank_name") value=bank.bank_name testid="bank-name"/>
            </dl>
        </section>
    }
}

/// A labelled value the trader can copy with one tap (or select: the text
/// is selectable where the embedded browser offers no clipboard).
#[component]
fn CopyRow(
    label: String,
    value: String,
    testid: &'static str,
    #[prop(optional)] strong: bool,
    /// Shown after the value but not copied (a currency: banking apps' amount fields want digits).
    #[prop(optional)]
    suffix: Option<String>,
) -> impl IntoView {
    let lang = use_page().lang;
    let copied = RwSignal::new(false);
    let text = value.clone();
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let _ = window().navigator().clipboard().write_text(&text);
            copied.set(true);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &text;
    };
    let copy_name = format!("{} {}", t(lang, "deposit.bank.copy"), label);
    view! {
        // dt and dd alone in the group's div (what a description list allows);
        // the copy button belongs to the value.
        <div class="space-y-1">
            <dt class="text-sm text-muted">{label}</dt>
            <dd class="flex items-center justify-between gap-3">
                <span class=if strong { "min-w-0 font-mono font-semibold text-lg break-all" } else { "min-w-0 font-mono break-all" }>
                    <span class="select-all" data-testid=testid>{value}</span>
                    {suffix.map(|s| view! { " " <span class="text-muted">{s}</span> })}
                </span>
                <button type="button" class="shrink-0 rounded-lg border border-border min-h-11 px-3 focus-visible:outline-2 focus-visible:outline-brand"
                    aria-label=copy_name on:click=copy data-testid=format!("{testid}-copy")>
                    {move || t(lang, if copied.get() { "deposit.bank.copied" } else { "deposit.bank.copy" })}
                </button>
            </dd>
        </div>
    }
}
