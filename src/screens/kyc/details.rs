use std::collections::BTreeMap;

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::components::{use_page, FieldMessage, FormError, PrimaryButton, INPUT};
use crate::domain::kyc::{validate_details, DetailError, DetailField, KycView, COUNTRIES, SOURCES_OF_FUNDS};
use crate::errors::AppError;
use crate::i18n::{t, t_with};
use crate::server_fns::kyc::SaveKycDetails;

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
    /// Errors to show from the start (the designers' gallery).
    #[prop(optional)]
    preview_errors: Option<BTreeMap<String, DetailError>>,
) -> impl IntoView {
    let lang = use_page().lang;
    let errors = RwSignal::new(preview_errors.unwrap_or_default());
    let save = ServerAction::<SaveKycDetails>::new();
    Effect::new(move |_| match save.value().get() {
        Some(Ok(next)) => view.set(next),
        Some(Err(AppError::InvalidDetails(found))) => errors.set(found.into_iter().collect()),
        _ => {}
    });
    let saved = move || matches!(save.value().get(), Some(Ok(_)));
    let failure = Signal::derive(move || match save.value().get() {
        Some(Err(AppError::InvalidDetails(_))) | None | Some(Ok(_)) => None,
        Some(Err(e)) => Some(e),
    });
    // Disabled until the page is interactive: a submit before that would be a
    // plain form post.
    let ready = crate::components::interactive();
    let initial = view.get_untracked();
    let (min_age, today) = (initial.min_age, initial.today.clone());
    let open = initial.state.open();
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if save.pending().get_untracked() {
            return;
        }
        let values = form_values(&ev);
        let fields = view.get_untracked().fields;
        // A new attempt: the last one's outcome is no longer news.
        save.value().set(None);
        let found = validate_details(&fields, &values, &today, min_age).err().unwrap_or_default();
        errors.set(found.iter().map(|(f, e)| (f.as_str().to_string(), *e)).collect());
        if !found.is_empty() {
            return;
        }
        let v = |k: &str| values.get(k).cloned();
        save.dispatch(SaveKycDetails {
            full_name: v("full_name"),
            date_of_birth: v("date_of_birth"),
            address: v("address"),
            country: v("country"),
            tax_id: v("tax_id"),
            source_of_funds: v("source_of_funds"),
            mrz: v("mrz"),
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
                let error = Signal::derive(move || errors.get().get(name).map(|e| message(lang, *e, min_age)));
                let invalid = move || errors.get().contains_key(name).to_string();
                                let control = match f {
                    DetailField::Country => view! {
                        <select id=id.clone() name=name class=INPUT aria-describedby=error_id.clone() aria-invalid=invalid disabled=!open>
                            <option value="">{t(lang, "kyc.choose")}</option>
                            {COUNTRIES.iter().map(|(code, label)| view! {
                                <option value=*code selected=value == *code>{format!("{label} ({code})")}</option>
                            }).collect_view()}
                        </select>
                    }.into_any(),
                    DetailField::SourceOfFunds => view! {
                        <select id=id.clone() name=name class=INPUT aria-describedby=error_id.clone() aria-invalid=invalid disabled=!open>
                            <option value="">{t(lang, "kyc.choose")}</option>
                            {SOURCES_OF_FUNDS.iter().map(|s| view! {
                                <option value=*s selected=value == *s>{t(lang, &format!("kyc.funds.{s}"))}</option>
                            }).collect_view()}
                        </select>
                    }.into_any(),
                    // Typed as printed: capitals, no spell checking, a fixed-width font.
                    // (Its saved value is a checked zone, A–Z, 0–9 and `<` only:
                    // nothing a textarea's text could need escaping for.)
                    DetailField::Mrz => view! {
                        <textarea id=id.clone() name=name rows="3" class=format!("{INPUT} font-mono uppercase") autocomplete="off" spellcheck="false"
                            autocapitalize="characters" aria-describedby=error_id.clone() aria-invalid=invalid disabled=!open>{value}</textarea>
                    }.into_any(),
                    DetailField::DateOfBirth => view! {
                        <input id=id.clone() name=name type="date" value=value class=INPUT autocomplete="bday"
                            aria-describedby=error_id.clone() aria-invalid=invalid disabled=!open/>
                    }.into_any(),
                    _ => {
                        let autocomplete = match f { DetailField::FullName => "name", DetailField::Address => "street-address", _ => "off" };
                        view! {
                            <input id=id.clone() name=name value=value class=INPUT autocomplete=autocomplete
                                aria-describedby=error_id.clone() aria-invalid=invalid disabled=!open/>
                        }.into_any()
                    }
                };
                view! {
                    <div class="space-y-1">
                        <label for=id class="block font-medium">{t(lang, &format!("kyc.field.{name}"))}</label>
                        {control}
                        <FieldMessage id=error_id message=error/>
                    </div>
                }
            }).collect_view()}
            <FormError testid="kyc-form-error" error=failure/>
            <p role="status" data-testid=move || if saved() { "kyc-saved" } else { "kyc-save-status" } class="text-sm">
                {move || saved().then(|| t(lang, "kyc.saved"))}
            </p>
            {open.then(|| view! {
                <PrimaryButton testid="kyc-save" label=t(lang, "kyc.save") busy_label=t(lang, "kyc.saving")
                    busy=save.pending() disabled=Signal::derive(move || !ready.get())/>
            })}
        </form>
    }
}
