use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::components::{use_page, Card, FieldMessage, PrimaryButton};
use crate::domain::{fee, format_amount, format_money, parse_amount, AmountError, DepositForm, MethodKind};
use crate::errors::AppError;
use crate::i18n::{t, t_with};
use crate::server_fns::deposit::{DepositReturn, StartDeposit};

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
///
/// Before the WASM arrives the form still works: it posts itself to its
/// server function, which sends the browser to the payment page, or back here
/// with what was typed and why it was refused (`returned`).
#[component]
pub fn DepositFormView(
    form: DepositForm,
    #[prop(optional)] preview: Option<FormPreview>,
    #[prop(optional_no_strip)] returned: Option<DepositReturn>,
) -> impl IntoView {
    let lang = use_page().lang;
    let currency = form.currency.clone();
    let methods = StoredValue::new(form.methods.clone());
    let first = form.methods.first().cloned().expect("the server offers at least one method");
    let digits = first.rule.digits;
    let mut preview = preview.unwrap_or_default();
    // Back from a plain post: the same amount, method and key, and the refusal.
    let returned_error = RwSignal::new(None::<AppError>);
    let mut initial_method = first.name.clone();
    let mut key = form.idempotency_key.clone();
    if let Some(r) = returned {
        preview.amount = r.amount;
        preview.show_error = true;
        if form.methods.iter().any(|m| m.name == r.method) {
            initial_method = r.method;
        }
        if !r.key.is_empty() {
            key = r.key;
        }
        returned_error.set(r.error);
    }
    let initial_amount = preview.amount.clone();
    let amount = RwSignal::new(preview.amount.clone());
    // The field is left uncontrolled: what a trader typed before the WASM
    // arrived survives hydration and is read once the page is live.
    let input = NodeRef::<leptos::html::Input>::new();
    let method = RwSignal::new(initial_method.clone());
    // Likewise the method chosen before then.
    let radios = NodeRef::<leptos::html::Fieldset>::new();
    let (rendered_amount, rendered_method) = (initial_amount.clone(), initial_method.clone());
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let typed = el.value();
            if typed != rendered_amount {
                amount.set(typed);
                // A refusal the server sent back was about another amount.
                returned_error.set(None);
            }
        }
        let chosen = radios.get().and_then(|f| crate::components::checked_before_hydration(&f, "method"));
        if let Some(value) = chosen.filter(|v| methods.with_value(|all| all.iter().any(|m| &m.name == v))) {
            if value != rendered_method {
                method.set(value);
                returned_error.set(None);
            }
        }
    });
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
        _ => returned_error.get(),
    };
    let forget_server_error = move || {
        if start.value().with_untracked(|v| matches!(v, Some(Err(_)))) {
            start.value().set(None);
        }
        returned_error.set(None);
    };
    let submitting = Signal::derive(move || preview.submitting || start.pending().get() || leaving());
    let parsed = Memo::new(move |_| parse_amount(&amount.get(), &rule.get()));
    // Above what the trader's verification level allows now: said before
    // anything is sent, as the server would refuse it.
    let level = StoredValue::new(form.level.clone());
    let level_refusal = Memo::new(move |_| parsed.get().ok().and_then(|a| level.with_value(|l| l.as_ref().and_then(|l| l.refuses(a)))));
    let refusal = move || match server_error() {
        Some(AppError::AboveLevelLimit(r)) => Some(r),
        Some(_) => None,
        None => level_refusal.get().filter(|_| show_error.get()),
    };
    let error_text = move || {
        if let Some(e) = server_error() {
            return Some(e.user_message(lang));
        }
        match parsed.get() {
            Err(e) if show_error.get() => Some(AppError::InvalidAmount(e).user_message(lang)),
            _ => refusal().map(|r| AppError::AboveLevelLimit(r).user_message(lang)),
        }
    };
    let form_key = key.clone();
    // The quick amounts need the WASM; the form itself works before it, by
    // posting itself (`data-ready` tells tests and brokers' QA which it is).
    let ready = crate::components::interactive();
    // Where the browser posts the form itself when no WASM caught the submit.
    let post_to = <StartDeposit as leptos::server_fn::ServerFn>::PATH;
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        show_error.set(true);
        if submitting.get_untracked() || parsed.get_untracked().is_err() || level_refusal.get_untracked().is_some() {
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
    let level_line = form.level.clone().map(|l| view! { <super::level::LevelLine level=l currency=form.currency.to_string()/> });
    view! {
        <Card attr:aria-labelledby="account-heading">
            <h2 id="account-heading" class="text-sm text-muted">{t(lang, "deposit.account")}</h2>
            <p class="flex justify-between gap-4 font-medium">
                <span data-testid="deposit-login">{form.login.to_string()}</span>
                <span data-testid="deposit-balance">{format!("{balance} {currency}")}</span>
            </p>
            {level_line}
        </Card>
        <form class="space-y-4" method="post" action=post_to on:submit=on_submit novalidate data-testid="deposit-form" data-ready=move || ready.get().to_string()>
            <input type="hidden" name="key" value=form_key/>
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
                {move || refusal().map(|r| view! { <super::level::LevelNext refusal=r/> })}
            </div>
            <fieldset class="space-y-2">
                <legend class="text-sm text-muted">{t(lang, "deposit.presets")}</legend>
                <div class="flex flex-wrap gap-2">
                    {move || rule.get().presets.iter().map(|p| {
                        // Shown in the trader's notation; typed into the field in the canonical one.
                        let text = format_money(*p, digits, lang);
                        let value = format_amount(*p, digits);
                        view! {
                            <button type="button" data-testid="preset" disabled=move || !ready.get()
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
            <fieldset class="space-y-2" node_ref=radios>
                <legend class="font-medium">{t(lang, "deposit.method")}</legend>
                {form.methods.iter().map(|m| {
                    let (value, id, label_for) = (m.name.clone(), format!("method-{}", m.name), format!("method-{}", m.name));
                    let label = t(lang, &format!("deposit.kind.{}", m.kind.as_str()));
                    // Only the initial choice is set (an attribute): hydration
                    // must not undo a choice made before it, and after it the
                    // trader's clicks are the only thing that moves `method`.
                    let initially = m.name == initial_method;
                    view! {
                        <label for=label_for class="flex items-center gap-3 rounded-lg border border-border bg-surface p-3 min-h-11">
                            <input type="radio" name="method" id=id value=value.clone() checked=initially
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
        // The button into KYC sits in the amount's field above (`form=`); its
        // own form cannot be inside the deposit's.
        <super::level::KycStartForm back=crate::domain::limits::BackTo::Deposit/>
    }
}
