use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::components::{use_page, Card, FieldMessage, PrimaryButton};
use crate::domain::{fee, format_amount, format_money, parse_amount, AmountError, DepositForm, MethodKind};
use crate::errors::AppError;
use crate::i18n::{t, t_with};
use crate::server_fns::deposit::StartDeposit;

/// A state to show the form in without a trader typing (the designers' gallery).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FormPreview {
    pub amount: String,
    pub show_error: bool,
    pub submitting: bool,
}

/// The amount form. The browser checks the amount with the same parser the
/// server uses; the button disables itself on the first submit, and the form's
/// idempotency key makes any repeat the same payment anyway.
#[component]
pub fn DepositFormView(form: DepositForm, #[prop(optional)] preview: Option<FormPreview>) -> impl IntoView {
    let lang = use_page().lang;
    let currency = form.currency.clone();
    let methods = StoredValue::new(form.methods.clone());
    let first = form.methods.first().cloned().expect("the server offers at least one method");
    let digits = first.rule.digits;
    let preview = preview.unwrap_or_default();
    let initial_amount = preview.amount.clone();
    let amount = RwSignal::new(preview.amount.clone());
    // The field is left uncontrolled: what a trader typed before the WASM
    // arrived survives hydration and is read once the page is live.
    let input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let typed = el.value();
            if !typed.is_empty() {
                amount.set(typed);
            }
        }
    });
    let method = RwSignal::new(first.name.clone());
    // The chosen method's limits, fee and quick amounts.
    let chosen = Memo::new(move |_| methods.with_value(|all| all.iter().find(|m| m.name == method.get()).cloned().unwrap_or_else(|| first.clone())));
    let rule = Memo::new(move |_| chosen.get().rule);
    let show_error = RwSignal::new(preview.show_error);
    let start = ServerAction::<StartDeposit>::new();
    // The payment page's address came back: stay busy, the browser is leaving.
    let leaving = move || matches!(start.value().get(), Some(Ok(_)));
    Effect::new(move |_| {
        if let Some(Ok(url)) = start.value().get() {
            let _ = window().location().assign(&url);
        }
    });
    let server_error = move || match start.value().get() {
        Some(Err(e)) => Some(e),
        _ => None,
    };
    let forget_server_error = move || {
        if start.value().with_untracked(|v| matches!(v, Some(Err(_)))) {
            start.value().set(None);
        }
    };
    let submitting = Signal::derive(move || preview.submitting || start.pending().get() || leaving());
    let parsed = Memo::new(move |_| parse_amount(&amount.get(), &rule.get()));
    let error_text = move || {
        if let Some(e) = server_error() {
            return Some(e.user_message(lang));
        }
        match parsed.get() {
            Err(e) if show_error.get() => Some(AppError::InvalidAmount(e).user_message(lang)),
            _ => None,
        }
    };
    let key = form.idempotency_key.clone();
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        show_error.set(true);
        if submitting.get_untracked() || parsed.get_untracked().is_err() {
            return;
        }
        // A new attempt: the last one's refusal is no longer news.
        forget_server_error();
        start.dispatch(StartDeposit { amount: amount.get_untracked(), method: method.get_untracked(), key: key.clone() });
    };
    let money = move |v: Result<rust_decimal::Decimal, AmountError>| v.map(|a| format_money(a, digits, lang)).unwrap_or_else(|_| "—".into());
    let fee_text = move || money(parsed.get().map(|a| fee(a, &rule.get())));
    let total_text = move || money(parsed.get().map(|a| a + fee(a, &rule.get())));
    let limits = move || {
        let r = rule.get();
        t_with(lang, "deposit.limits", &[("min", &format_money(r.min, digits, lang)), ("max", &format_money(r.max, digits, lang))])
    };
    let submit_label = Signal::derive(move || t(lang, if chosen.get().kind == MethodKind::BankTransfer { "deposit.submit_bank" } else { "deposit.submit" }));
    let balance = form.balance.map(|b| format_money(b, digits, lang)).unwrap_or_else(|| "—".into());
    view! {
        <Card attr:aria-labelledby="account-heading">
            <h2 id="account-heading" class="text-sm text-muted">{t(lang, "deposit.account")}</h2>
            <p class="flex justify-between gap-4 font-medium">
                <span data-testid="deposit-login">{form.login.to_string()}</span>
                <span data-testid="deposit-balance">{format!("{balance} {currency}")}</span>
            </p>
        </Card>
        <form class="space-y-4" on:submit=on_submit novalidate>
            <div class="space-y-1">
                <label for="amount" class="block font-medium">{t(lang, "deposit.amount")}</label>
                <div class="flex items-center gap-2 rounded-lg border border-border bg-surface px-3 focus-within:outline-2 focus-within:outline-brand">
                    <input id="amount" name="amount" inputmode="decimal" autocomplete="off" data-testid="amount" value=initial_amount
                        class="w-full bg-transparent py-3 text-lg outline-none"
                        aria-describedby="amount-limits amount-error"
                        aria-invalid=move || error_text().is_some().to_string()
                        node_ref=input
                        on:input=move |ev| { amount.set(event_target_value(&ev)); forget_server_error(); }
                        on:blur=move |_| if !amount.get_untracked().is_empty() { show_error.set(true) }/>
                    <span class="text-muted" aria-hidden="true">{form.currency.clone()}</span>
                </div>
                <p id="amount-limits" class="text-sm text-muted">{limits}</p>
                <FieldMessage id="amount-error" message=Signal::derive(error_text)/>
            </div>
            <fieldset class="space-y-2">
                <legend class="text-sm text-muted">{t(lang, "deposit.presets")}</legend>
                <div class="flex flex-wrap gap-2">
                    {move || rule.get().presets.iter().map(|p| {
                        // Shown in the trader's notation; typed into the field in the canonical one.
                        let text = format_money(*p, digits, lang);
                        let value = format_amount(*p, digits);
                        view! {
                            <button type="button" data-testid="preset"
                                class="rounded-lg border border-border min-h-11 px-4 hover:bg-bg focus-visible:outline-2 focus-visible:outline-brand"
                                on:click=move |_| {
                                    if let Some(el) = input.get_untracked() {
                                        el.set_value(&value);
                                    }
                                    amount.set(value.clone());
                                    show_error.set(true);
                                    forget_server_error();
                                }>
                                {text}
                            </button>
                        }
                    }).collect_view()}
                </div>
            </fieldset>
            <fieldset class="space-y-2">
                <legend class="font-medium">{t(lang, "deposit.method")}</legend>
                {form.methods.iter().map(|m| {
                    let (value, id, label_for) = (m.name.clone(), format!("method-{}", m.name), format!("method-{}", m.name));
                    let label = t(lang, &format!("deposit.kind.{}", m.kind.as_str()));
                    let checked = { let v = value.clone(); move || method.get() == v };
                    view! {
                        <label for=label_for class="flex items-center gap-3 rounded-lg border border-border bg-surface p-3 min-h-11">
                            <input type="radio" name="method" id=id value=value.clone() prop:checked=checked
                                on:change=move |_| { method.set(value.clone()); forget_server_error(); }/>
                            <span>{label}</span>
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            <Card class="text-sm" attr:aria-labelledby="summary-heading">
                <h2 id="summary-heading" class="font-medium mb-2">{t(lang, "deposit.summary")}</h2>
                <dl class="space-y-1">
                    <div class="flex justify-between"><dt class="text-muted">{t(lang, "deposit.amount")}</dt><dd data-testid="summary-amount">{move || money(parsed.get())}</dd></div>
                    <div class="flex justify-between"><dt class="text-muted">{t(lang, "deposit.fee")}</dt><dd data-testid="summary-fee">{fee_text}</dd></div>
                    <div class="flex justify-between font-semibold"><dt>{t(lang, "deposit.total")}</dt><dd data-testid="summary-total">{total_text}</dd></div>
                </dl>
            </Card>
            <PrimaryButton testid="submit" label=submit_label busy_label=t(lang, "deposit.submitting") busy=submitting/>
        </form>
    }
}
