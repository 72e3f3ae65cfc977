use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::domain::notify::Notice;
use rust_decimal::Decimal;

use crate::components::{use_page, Card, FieldMessage, FormError, PrimaryButton, INPUT};
use crate::domain::withdrawal::{parse_holder, parse_iban, CardOption};
use crate::domain::{format_money, format_when, parse_amount, CurrencyRule, WithdrawalForm, WithdrawalView};
use crate::errors::AppError;
use crate::i18n::{t, t_with};
use crate::server_fns::withdrawal::RequestWithdrawal;

/// What the form holds when it is sent, read from the page itself so what
/// was typed before the page turned interactive counts too.
#[derive(Default, Clone)]
struct Typed {
    amount: String,
    /// `bank`, or `card:<deposit id>`.
    payout: String,
    iban: String,
    holder: String,
}

#[cfg(feature = "hydrate")]
fn typed(ev: &SubmitEvent) -> Typed {
    use wasm_bindgen::JsCast;
    let form = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok());
    let Some(data) = form.and_then(|f| web_sys::FormData::new_with_form(&f).ok()) else { return Typed::default() };
    let get = |name: &str| data.get(name).as_string().unwrap_or_default();
    Typed { amount: get("amount"), payout: get("payout"), iban: get("iban"), holder: get("holder") }
}

#[cfg(not(feature = "hydrate"))]
fn typed(_: &SubmitEvent) -> Typed {
    Typed::default()
}

/// The rule an amount to `payout` follows: a card takes back at most what it paid in.
fn rule_for(rule: &CurrencyRule, cards: &[CardOption], payout: &str) -> CurrencyRule {
    let mut rule = rule.clone();
    if let Some(card) = payout.strip_prefix("card:").and_then(|id| cards.iter().find(|c| c.deposit.as_str() == id)) {
        rule.max = rule.max.min(card.amount);
    }
    rule
}

/// The request form. Each field is checked in the browser with the
/// server's own rules (the IBAN's check digits in place, as the trader
/// leaves the field); the form's key makes a repeated submit the same request.
#[component]
pub fn WithdrawalFormView(form: WithdrawalForm, on_requested: Callback<WithdrawalView>) -> impl IntoView {
    let page = use_page();
    let lang = page.lang;
    let origins = page.parent_origins.clone();
    let digits = form.rule.digits;
    let currency = form.currency.to_string();
    let rule = StoredValue::new(form.rule.clone());
    let cards = StoredValue::new(form.cards.clone());
    let key = RwSignal::new(form.idempotency_key.clone());
    let payout = RwSignal::new("bank".to_string());
    let amount_error = RwSignal::new(None::<String>);
    let iban_error = RwSignal::new(None::<String>);
    let holder_error = RwSignal::new(None::<String>);
    let sent = RwSignal::new(false);
    let send = ServerAction::<RequestWithdrawal>::new();
    let ready = crate::components::interactive();
    let nothing_available = form.available < form.rule.min;

    let check_iban = move |text: &str| iban_error.set(parse_iban(text).err().map(|e| t(lang, e.i18n_key())));
    let check_holder = move |text: &str| holder_error.set(parse_holder(text).err().map(|e| t(lang, e.i18n_key())));
    let check_amount = move |text: &str, payout: &str| {
        let rule = rule_for(&rule.get_value(), &cards.get_value(), payout);
        amount_error.set(parse_amount(text, &rule).err().map(|e| AppError::InvalidAmount(e).user_message(lang)));
    };

    // The server's answer: a request to add to the list, or a refusal shown where it belongs.
    let failure = RwSignal::new(None::<AppError>);
    let form_ref = NodeRef::<leptos::html::Form>::new();
    // The radios only carry their initial choice (bank, an attribute):
    // hydration must not undo a destination picked before it, which is read
    // here; after it the trader's clicks (and a reset) are all that move it.
    Effect::new(move |_| {
        if let Some(value) = form_ref.get().and_then(|f| crate::components::checked_before_hydration(&f, "payout")) {
            payout.set(value);
        }
    });
    Effect::new(move |_| match send.value().get() {
        Some(Ok(done)) => {
            key.set(done.next_key.clone());
            sent.set(true);
            // Sent: a fresh form, so a second tap is a new, deliberate request.
            if let Some(f) = form_ref.get_untracked() {
                f.reset();
            }
            payout.set("bank".into());
            let w = &done.withdrawal;
            let login = page.trader.as_ref().map_or(0, |t| t.login.get());
            let notice = Notice::new("withdrawal", w.id.to_string(), login, w.state.as_str()).with_amount(w.amount, w.currency.to_string());
            crate::components::tell_parent(&notice, &origins);
            on_requested.run(done.withdrawal);
        }
        Some(Err(AppError::InvalidAmount(e))) => amount_error.set(Some(AppError::InvalidAmount(e).user_message(lang))),
        Some(Err(AppError::InvalidPayout(e))) if e.i18n_key().contains("iban") => iban_error.set(Some(t(lang, e.i18n_key()))),
        Some(Err(AppError::InvalidPayout(e))) if e.i18n_key().contains("holder") => holder_error.set(Some(t(lang, e.i18n_key()))),
        Some(Err(e)) => failure.set(Some(e)),
        None => {}
    });

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if send.pending().get_untracked() {
            return;
        }
        let mut v = typed(&ev);
        if v.payout.is_empty() {
            v.payout = "bank".into();
        }
        failure.set(None);
        sent.set(false);
        check_amount(&v.amount, &v.payout);
        let bank = v.payout == "bank";
        if bank {
            check_iban(&v.iban);
            check_holder(&v.holder);
        } else {
            iban_error.set(None);
            holder_error.set(None);
        }
        if amount_error.get_untracked().is_some() || (bank && (iban_error.get_untracked().is_some() || holder_error.get_untracked().is_some())) {
            return;
        }
        let (kind, card) = match v.payout.strip_prefix("card:") {
            Some(id) => ("card".to_string(), id.to_string()),
            None => ("bank".to_string(), String::new()),
        };
        send.dispatch(RequestWithdrawal { amount: v.amount, payout: kind, iban: v.iban, holder: v.holder, card, key: key.get_untracked() });
    };

    let money = move |v: Decimal| format!("{} {}", format_money(v, digits, lang), currency);
    let limits = t_with(lang, "withdraw.limits", &[("min", &format_money(form.rule.min, digits, lang)), ("max", &format_money(form.rule.max, digits, lang))]);
    let has_cards = !form.cards.is_empty();
    let card_choices = form
        .cards
        .iter()
        .map(|c| {
            let value = format!("card:{}", c.deposit);
            let (id, label_for) = (format!("payout-{}", c.deposit), format!("payout-{}", c.deposit));
            let label = t_with(
                lang,
                "withdraw.to_card",
                &[("amount", &format!("{} {}", format_money(c.amount, digits, lang), form.currency)), ("date", &format_when(c.created_at_ms, lang))],
            );
            view! {
                <label for=label_for class="flex items-center gap-3 rounded-lg border border-border bg-surface p-3 min-h-11">
                    <input type="radio" name="payout" id=id value=value.clone() on:change=move |_| payout.set(value.clone())/>
                    <span>{label}</span>
                </label>
            }
        })
        .collect_view();
    let bank_chosen = move || payout.get() == "bank";
    view! {
        <Card attr:aria-labelledby="withdraw-account-heading">
            <h2 id="withdraw-account-heading" class="sr-only">{t(lang, "withdraw.account")}</h2>
            <dl class="space-y-1">
                <div class="flex justify-between gap-4"><dt class="text-muted">{t(lang, "withdraw.balance")}</dt><dd class="whitespace-nowrap" data-testid="withdraw-balance">{money(form.balance)}</dd></div>
                <div class="flex justify-between gap-4 font-semibold"><dt>{t(lang, "withdraw.available")}</dt><dd class="whitespace-nowrap" data-testid="withdraw-available">{money(form.available)}</dd></div>
            </dl>
            <p class="text-sm text-muted mt-2">{t(lang, "withdraw.available_help")}</p>
        </Card>
        {nothing_available.then(|| view! {
            <p role="status" class="rounded-xl border border-border bg-surface p-4" data-testid="withdraw-nothing">
                {t_with(lang, "withdraw.nothing_available", &[("min", &format_money(form.rule.min, digits, lang))])}
            </p>
        })}
        <p role="status" class="rounded-xl border border-border bg-surface p-4 font-medium" data-testid="withdraw-sent" hidden=move || !sent.get()>
            {t(lang, "withdraw.requested_note")}
        </p>
        <form class="space-y-4" novalidate on:submit=on_submit hidden=nothing_available node_ref=form_ref>
            <div class="space-y-1">
                <label for="withdraw-amount" class="block font-medium">{t(lang, "withdraw.amount")}</label>
                <div class="flex items-center gap-2 rounded-lg border border-border bg-surface px-3 focus-within:outline-2 focus-within:outline-brand">
                    <input id="withdraw-amount" name="amount" inputmode="decimal" autocomplete="off" data-testid="withdraw-amount"
                        class="w-full bg-transparent py-3 text-lg outline-none"
                        aria-describedby="withdraw-limits withdraw-amount-error"
                        aria-invalid=move || amount_error.get().is_some().to_string()
                        on:input=move |_| amount_error.set(None)
                        on:blur=move |ev| { let v = event_target_value(&ev); if !v.is_empty() { check_amount(&v, &payout.get_untracked()) } }/>
                    <span class="text-muted" aria-hidden="true">{form.currency.to_string()}</span>
                </div>
                <p id="withdraw-limits" class="text-sm text-muted">{limits}</p>
                <FieldMessage id="withdraw-amount-error" message=amount_error/>
            </div>
            <fieldset class="space-y-2">
                <legend class="font-medium">{t(lang, "withdraw.destination")}</legend>
                {if has_cards {
                    view! {
                        <label for="payout-bank" class="flex items-center gap-3 rounded-lg border border-border bg-surface p-3 min-h-11">
                            <input type="radio" name="payout" id="payout-bank" value="bank" checked on:change=move |_| payout.set("bank".into())/>
                            <span>{t(lang, "withdraw.to_bank")}</span>
                        </label>
                    }.into_any()
                } else {
                    view! { <input type="hidden" name="payout" value="bank"/> }.into_any()
                }}
                <div class="space-y-3" hidden=move || !bank_chosen() data-testid="withdraw-bank-fields">
                    <div class="space-y-1">
                        <label for="withdraw-iban" class="block">{t(lang, "withdraw.iban")}</label>
                        <input id="withdraw-iban" name="iban" autocomplete="off" spellcheck="false" autocapitalize="characters" maxlength="50"
                            class=format!("{INPUT} font-mono") data-testid="withdraw-iban"
                            aria-describedby="withdraw-iban-help withdraw-iban-error"
                            aria-invalid=move || iban_error.get().is_some().to_string()
                            on:input=move |_| iban_error.set(None)
                            on:blur=move |ev| { let v = event_target_value(&ev); if !v.trim().is_empty() { check_iban(&v) } }/>
                        <p id="withdraw-iban-help" class="text-sm text-muted">{t(lang, "withdraw.iban_help")}</p>
                        <FieldMessage id="withdraw-iban-error" message=iban_error/>
                    </div>
                    <div class="space-y-1">
                        <label for="withdraw-holder" class="block">{t(lang, "withdraw.holder")}</label>
                        <input id="withdraw-holder" name="holder" autocomplete="name" maxlength="100" class=INPUT data-testid="withdraw-holder"
                            aria-describedby="withdraw-holder-error"
                            aria-invalid=move || holder_error.get().is_some().to_string()
                            on:input=move |_| holder_error.set(None)/>
                        <FieldMessage id="withdraw-holder-error" message=holder_error/>
                    </div>
                </div>
                {card_choices}
            </fieldset>
            <FormError testid="withdraw-form-error" error=failure/>
            <PrimaryButton testid="withdraw-submit" label=t(lang, "withdraw.submit") busy_label=t(lang, "withdraw.submitting")
                busy=send.pending() disabled=Signal::derive(move || !ready.get())/>
        </form>
    }
}
