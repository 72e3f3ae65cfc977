use std::collections::BTreeMap;

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::use_page;
use crate::domain::kyc::{validate_details, DetailError, DetailField, KycView, COUNTRIES, SOURCES_OF_FUNDS};
use crate::errors::AppError;
use crate::i18n::{t, t_with};
use crate::server_fns::kyc::save_kyc_details;

fn message(lang: crate::domain::Lang, e: DetailError, min_age: u32) -> String {
    if e == DetailError::Underage {
        t_with(lang, e.i18n_key(), &[("age", &min_age.to_string())])
    } else {
        t(lang, e.i18n_key())
    }
}

/// Reads the form's fields from the page itself, so what was typed before
/// the page turned interactive counts too.
#[cfg(feature = "hydrate")]
fn form_values(ev: &SubmitEvent) -> BTreeMap<String, String> {
    use wasm_bindgen::JsCast;
    let mut values = BTreeMap::new();
    let form = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok());
    if let Some(data) = form.and_then(|f| web_sys::FormData::new_with_form(&f).ok()) {
        for f in DetailField::ALL {
            if let Some(v) = data.get(f.as_str()).as_string() {
                values.insert(f.as_str().to_string(), v);
            }
        }
    }
    values
}

#[cfg(not(feature = "hydrate"))]
fn form_values(_: &SubmitEvent) -> BTreeMap<String, String> {
    BTreeMap::new()
}

/// Personal details, checked in the browser with the server's own rules,
/// then saved (the server checks again). Saved details fill the form when the
/// trader comes back.
#[component]
pub fn DetailsForm(
    view: RwSignal<KycView>,
    kyc_type: Option<String>,
    /// Errors to show from the start (the designers' gallery).
    #[prop(optional)]
    preview_errors: Option<BTreeMap<String, DetailError>>,
) -> impl IntoView {
    let lang = use_page().lang;
    let errors = RwSignal::new(preview_errors.unwrap_or_default());
    let saving = RwSignal::new(false);
    let saved = RwSignal::new(false);
    let failure = RwSignal::new(None::<AppError>);
    // Disabled until the page is interactive: a submit before that would be a
    // plain form post.
    let ready = RwSignal::new(false);
    Effect::new(move |_| ready.set(true));
    let initial = view.get_untracked();
    let (min_age, today) = (initial.min_age, initial.today.clone());
    let open = initial.state.open();
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if saving.get_untracked() {
            return;
        }
        let values = form_values(&ev);
        let fields = view.get_untracked().fields;
        if let Err(found) = validate_details(&fields, &values, &today, min_age) {
            errors.set(found.into_iter().map(|(f, e)| (f.as_str().to_string(), e)).collect());
            saved.set(false);
            return;
        }
        errors.set(BTreeMap::new());
        failure.set(None);
        saving.set(true);
        let kyc_type = kyc_type.clone();
        spawn_local(async move {
            let v = |k: &str| values.get(k).cloned();
            let answer = save_kyc_details(kyc_type, v("full_name"), v("date_of_birth"), v("address"), v("country"), v("tax_id"), v("source_of_funds")).await;
            match answer {
                Ok(next) => {
                    view.set(next);
                    saved.set(true);
                }
                Err(AppError::InvalidDetails(found)) => errors.set(found.into_iter().collect()),
                Err(e) => failure.set(Some(e)),
            }
            saving.set(false);
        });
    };
    let fields = initial.fields.clone();
    let values = initial.details.clone();
    view! {
        <form class="space-y-4" method="post" action="/api/kyc/details" novalidate on:submit=on_submit>
            {fields.into_iter().map(|f| {
                let name = f.as_str();
                let id = format!("kyc-{name}");
                let error_id = format!("kyc-error-{name}");
                let value = values.get(name).cloned().unwrap_or_default();
                let error = move || errors.get().get(name).map(|e| message(lang, *e, min_age));
                let invalid = move || errors.get().contains_key(name).to_string();
                let input_class = "w-full rounded-lg border border-border bg-surface px-3 py-3 focus-visible:outline-2 focus-visible:outline-brand";
                let control = match f {
                    DetailField::Country => view! {
                        <select id=id.clone() name=name class=input_class aria-describedby=error_id.clone() aria-invalid=invalid disabled=!open>
                            <option value="">{t(lang, "kyc.choose")}</option>
                            {COUNTRIES.iter().map(|(code, label)| view! {
                                <option value=*code selected=value == *code>{format!("{label} ({code})")}</option>
                            }).collect_view()}
                        </select>
                    }.into_any(),
                    DetailField::SourceOfFunds => view! {
                        <select id=id.clone() name=name class=input_class aria-describedby=error_id.clone() aria-invalid=invalid disabled=!open>
                            <option value="">{t(lang, "kyc.choose")}</option>
                            {SOURCES_OF_FUNDS.iter().map(|s| view! {
                                <option value=*s selected=value == *s>{t(lang, &format!("kyc.funds.{s}"))}</option>
                            }).collect_view()}
                        </select>
                    }.into_any(),
                    DetailField::DateOfBirth => view! {
                        <input id=id.clone() name=name type="date" value=value class=input_class autocomplete="bday"
                            aria-describedby=error_id.clone() aria-invalid=invalid disabled=!open/>
                    }.into_any(),
                    _ => {
                        let autocomplete = match f { DetailField::FullName => "name", DetailField::Address => "street-address", _ => "off" };
                        view! {
                            <input id=id.clone() name=name value=value class=input_class autocomplete=autocomplete
                                aria-describedby=error_id.clone() aria-invalid=invalid disabled=!open/>
                        }.into_any()
                    }
                };
                view! {
                    <div class="space-y-1">
                        <label for=id class="block font-medium">{t(lang, &format!("kyc.field.{name}"))}</label>
                        {control}
                        <p id=error_id.clone() data-testid=error_id class="text-sm font-medium text-danger" role="alert">{error}</p>
                    </div>
                }
            }).collect_view()}
            <p role="alert" class="text-sm font-medium text-danger" data-testid="kyc-form-error">{move || failure.get().map(|e| e.user_message(lang))}</p>
            <p role="status" data-testid=move || if saved.get() { "kyc-saved" } else { "kyc-save-status" } class="text-sm">
                {move || saved.get().then(|| t(lang, "kyc.saved"))}
            </p>
            {open.then(|| view! {
                <button type="submit" data-testid="kyc-save"
                    class="w-full rounded-lg min-h-12 px-4 font-semibold bg-brand text-brand-contrast disabled:opacity-60 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand"
                    disabled=move || !ready.get() || saving.get()
                    aria-busy=move || saving.get().to_string()>
                    {move || if saving.get() { t(lang, "kyc.saving") } else { t(lang, "kyc.save") }}
                </button>
            })}
        </form>
    }
}
