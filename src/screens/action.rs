//! `/inapp/action?actionType=…`: one of the broker's configured actions (or,
//! for `withdraw`, the built-in withdrawal screen). A
//! form (checked in the browser with the server's rules, then stored), or a
//! hand-off button that posts a signed assertion to the broker's page in the
//! same window. An action type the broker did not configure gets a clear page.

use std::collections::BTreeMap;

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::{use_page, AccountDetails, ErrorNote, FieldMessage, FormError, Frame, Loading, PrimaryButton, INPUT};
use crate::domain::action::{validate_action, ActionField, ActionKind, ActionView, FieldError, FieldKind};
use crate::domain::Lang;
use crate::errors::AppError;
use crate::i18n::{t, t_with};
use crate::server_fns::action::{load_action, StartHandoff, SubmitAction};

fn field_message(lang: Lang, e: &FieldError) -> String {
    match e.i18n() {
        (key, None) => t(lang, key),
        (key, Some((name, value))) => t_with(lang, key, &[(name, &value)]),
    }
}

#[component]
pub fn ActionScreen() -> impl IntoView {
    let action_type = use_query_map().read_untracked().get("actionType").unwrap_or_default();
    // Withdrawals are built in, not a configured form.
    if action_type == "withdraw" {
        return view! { <crate::screens::withdrawal::WithdrawalScreen/> }.into_any();
    }
    let lang = use_page().lang;
    let title = t(lang, "screen.action.title");
    let data = Resource::new(move || action_type.clone(), load_action);
    view! {
        <Title text=title.clone()/>
        <Frame title=title>
            <AccountDetails/>
            <Suspense fallback=move || view! { <Loading text=t(lang, "app.details_loading")/> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(v) => view! { <Action view=v/> }.into_any(),
                        Err(e @ AppError::UnknownAction) => {
                            e.set_page_status();
                            view! { <UnknownAction/> }.into_any()
                        }
                        Err(e) => view! { <ErrorNote error=e testid="action-error"/> }.into_any(),
                    }
                })}
            </Suspense>
        </Frame>
    }
    .into_any()
}

/// What an `actionType` the broker did not configure shows.
#[component]
pub(crate) fn UnknownAction() -> impl IntoView {
    let lang = use_page().lang;
    view! {
        <div role="alert" data-testid="action-unknown" class="rounded-xl border border-border bg-surface p-4 space-y-2">
            <h2 class="text-lg font-semibold">{t(lang, "action.unknown_title")}</h2>
            <p>{t(lang, "action.unknown")}</p>
        </div>
    }
}

/// A state to show a form action in from the start (the designers' gallery).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActionPreview {
    pub errors: BTreeMap<String, FieldError>,
    pub done: Option<String>,
}

#[component]
pub(crate) fn Action(view: ActionView, #[prop(optional)] preview: Option<ActionPreview>) -> impl IntoView {
    let body = match view.kind {
        ActionKind::Form => view! { <ActionForm view=view.clone() preview=preview.unwrap_or_default()/> }.into_any(),
        ActionKind::Handoff => view! { <Handoff action_type=view.action_type.clone()/> }.into_any(),
    };
    view! {
        <section class="space-y-2" data-testid="action" data-type=view.action_type.clone()>
            <h2 class="text-lg font-semibold" data-testid="action-title">{view.title.clone()}</h2>
            <p class="text-muted">{view.text.clone()}</p>
        </section>
        {body}
    }
}

/// Reads the form's fields from the page, so what was typed before the page
/// turned interactive counts too.
#[cfg(feature = "hydrate")]
fn form_values(ev: &SubmitEvent, fields: &[ActionField]) -> BTreeMap<String, String> {
    use wasm_bindgen::JsCast;
    let mut values = BTreeMap::new();
    let form = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok());
    if let Some(data) = form.and_then(|f| web_sys::FormData::new_with_form(&f).ok()) {
        for f in fields {
            if let Some(v) = data.get(&f.name).as_string() {
                values.insert(f.name.clone(), v);
            }
        }
    }
    values
}

#[cfg(not(feature = "hydrate"))]
fn form_values(_: &SubmitEvent, _: &[ActionField]) -> BTreeMap<String, String> {
    BTreeMap::new()
}

#[component]
fn ActionForm(view: ActionView, preview: ActionPreview) -> impl IntoView {
    let lang = use_page().lang;
    let errors = RwSignal::new(preview.errors);
    let send = ServerAction::<SubmitAction>::new();
    Effect::new(move |_| {
        if let Some(Err(AppError::InvalidFields(found))) = send.value().get() {
            errors.set(found.into_iter().collect());
        }
    });
    let preview_done = preview.done;
    let done = Signal::derive(move || preview_done.clone().or_else(|| send.value().get().and_then(Result::ok)));
    let failure = Signal::derive(move || match send.value().get() {
        Some(Err(AppError::InvalidFields(_))) | Some(Ok(_)) | None => None,
        Some(Err(e)) => Some(e),
    });
    let ready = crate::components::interactive();
    let fields = view.fields.clone();
    let action_type = view.action_type.clone();
    let on_submit = {
        let fields = fields.clone();
        move |ev: SubmitEvent| {
            ev.prevent_default();
            if send.pending().get_untracked() {
                return;
            }
            send.value().set(None);
            let values = form_values(&ev, &fields);
            if let Err(found) = validate_action(&fields, &values) {
                errors.set(found.into_iter().collect());
                return;
            }
            errors.set(BTreeMap::new());
            send.dispatch(SubmitAction { action_type: action_type.clone(), values });
        }
    };
    let controls = fields
        .into_iter()
        .map(|f| {
            let name = f.name.clone();
            let id = format!("action-{name}");
            let error_id = format!("action-error-{name}");
            let key = name.clone();
            let error = Signal::derive(move || errors.get().get(&key).map(|e| field_message(lang, e)));
            let key = name.clone();
            let invalid = move || errors.get().contains_key(&key).to_string();
            let class = INPUT;
            let maxlength = f.max_length.to_string();
            let control = match f.kind {
                FieldKind::Choice => view! {
                    <select id=id.clone() name=name.clone() class=class aria-describedby=error_id.clone() aria-invalid=invalid required=f.required>
                        <option value="">{t(lang, "kyc.choose")}</option>
                        {f.options.iter().map(|(v, label)| view! { <option value=v.clone()>{label.clone()}</option> }).collect_view()}
                    </select>
                }
                .into_any(),
                FieldKind::Textarea => view! {
                    <textarea id=id.clone() name=name.clone() rows="4" maxlength=maxlength class=class aria-describedby=error_id.clone()
                        aria-invalid=invalid required=f.required></textarea>
                }
                .into_any(),
                kind => {
                    let (input_type, mode, autocomplete) = match kind {
                        FieldKind::Amount => ("text", "decimal", "off"),
                        FieldKind::Email => ("email", "email", "email"),
                        FieldKind::Phone => ("tel", "tel", "tel"),
                        _ => ("text", "text", "off"),
                    };
                    view! {
                        <input id=id.clone() name=name.clone() type=input_type inputmode=mode autocomplete=autocomplete maxlength=maxlength class=class
                            aria-describedby=error_id.clone() aria-invalid=invalid required=f.required/>
                    }
                    .into_any()
                }
            };
            view! {
                <div class="space-y-1">
                    <label for=id class="block font-medium">{f.label.clone()}</label>
                    {control}
                    <FieldMessage id=error_id message=error/>
                </div>
            }
        })
        .collect_view();
    view! {
        {move || done.get().map(|reference| view! {
            <p role="status" data-testid="action-done" class="rounded-xl border border-border bg-surface p-4 font-medium">
                {t_with(lang, "action.sent", &[("reference", &reference)])}
            </p>
        })}
        <form class="space-y-4" novalidate on:submit=on_submit hidden=move || done.get().is_some()>
            {controls}
            <FormError testid="action-form-error" error=failure/>
            <PrimaryButton testid="action-submit" label=t(lang, "action.send") busy_label=t(lang, "action.sending")
                busy=send.pending() disabled=Signal::derive(move || !ready.get())/>
        </form>
    }
}

/// Posts the assertion to the broker's page in this window (no pop-up).
#[cfg(feature = "hydrate")]
fn post_to(url: &str, assertion: &str) -> bool {
    use wasm_bindgen::JsCast;
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return false };
    let build = || -> Option<()> {
        let form = doc.create_element("form").ok()?.dyn_into::<web_sys::HtmlFormElement>().ok()?;
        form.set_method("post");
        form.set_action(url);
        let input = doc.create_element("input").ok()?.dyn_into::<web_sys::HtmlInputElement>().ok()?;
        input.set_type("hidden");
        input.set_name("assertion");
        input.set_value(assertion);
        form.append_child(&input).ok()?;
        doc.body()?.append_child(&form).ok()?;
        form.submit().ok()
    };
    build().is_some()
}

#[cfg(not(feature = "hydrate"))]
fn post_to(_: &str, _: &str) -> bool {
    false
}

#[component]
fn Handoff(action_type: String) -> impl IntoView {
    let lang = use_page().lang;
    let handoff = ServerAction::<StartHandoff>::new();
    let failure = RwSignal::new(None::<AppError>);
    Effect::new(move |_| {
        let problem = match handoff.value().get() {
            None => return,
            // Stays busy: the browser is leaving for the broker's page.
            Some(Ok((url, assertion))) if post_to(&url, &assertion) => return,
            Some(Ok(_)) => AppError::Internal,
            Some(Err(e)) => e,
        };
        failure.set(Some(problem));
        handoff.value().set(None);
    });
    let going = Signal::derive(move || handoff.pending().get() || handoff.value().with(|v| matches!(v, Some(Ok(_)))));
    let ready = crate::components::interactive();
    let go = move |_| {
        if going.get_untracked() {
            return;
        }
        failure.set(None);
        handoff.dispatch(StartHandoff { action_type: action_type.clone() });
    };
    view! {
        <FormError testid="action-form-error" error=failure/>
        <PrimaryButton testid="action-continue" label=t(lang, "action.continue") plain=true
            busy=going disabled=Signal::derive(move || !ready.get()) on:click=go/>
    }
}
