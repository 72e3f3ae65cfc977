//! The machine-readable zone the trader typed, as the reviewer reads it:
//! each check digit right or wrong, whether the document has expired, and
//! whether its name and date of birth are the ones in the personal details.
//! Worked out from the saved lines each time the case is shown (nothing to
//! keep in step).

use std::collections::BTreeMap;

use leptos::prelude::*;

use crate::domain::kyc::mrz::{self, Mrz};
use crate::domain::Lang;
use crate::i18n::{t, t_with};
use crate::kyc::screening::{similarity, Words};

/// From this name similarity on, the zone's name is the details' name.
const SAME_NAME: f64 = 0.9;

/// The section; nothing when the details hold no zone.
pub(super) fn section(lang: Lang, details: &BTreeMap<String, String>, today: &str) -> Option<impl IntoView> {
    let zone = mrz::parse(details.get("mrz")?)?;
    let rows = checks(lang, &zone, details, today);
    Some(view! {
        <section class="rounded-xl border border-border bg-surface p-4 space-y-2" aria-labelledby="mrz-title" data-testid="mrz">
            <h2 id="mrz-title" class="font-semibold">{t(lang, "backoffice.mrz_title")}</h2>
            <p class="text-sm">{t_with(lang, "backoffice.mrz_document", &[("kind", zone.document_code.as_str()), ("state", zone.issuing_state.as_str()), ("number", zone.document_number.as_str())])}</p>
            <ul class="text-sm space-y-1">
                {rows.into_iter().map(|(id, ok, text)| view! {
                    <li data-testid="mrz-check" data-check=id data-ok=ok.to_string()>
                        <span aria-hidden="true">{if ok { "✓ " } else { "✗ " }}</span>{text}
                    </li>
                }).collect_view()}
            </ul>
        </section>
    })
}

/// `(what, right?, text)` for each check.
fn checks(lang: Lang, zone: &Mrz, details: &BTreeMap<String, String>, today: &str) -> Vec<(&'static str, bool, String)> {
    let verdict = |ok: bool| t(lang, if ok { "backoffice.mrz_ok" } else { "backoffice.mrz_wrong" });
    let mut rows: Vec<(&'static str, bool, String)> = zone
        .checks
        .iter()
        .map(|(field, ok)| {
            let what = t(lang, &format!("backoffice.mrz_digit_{}", field.as_str()));
            (field.as_str(), *ok, format!("{what}: {}", verdict(*ok)))
        })
        .collect();
    if let Some(expiry) = zone.expiry_date() {
        let valid = expiry.as_str() >= today;
        rows.push(("expiry", valid, t_with(lang, if valid { "backoffice.mrz_valid_until" } else { "backoffice.mrz_expired" }, &[("date", &expiry)])));
    }
    if let Some(name) = details.get("full_name") {
        let score = similarity(&Words::of(&zone.full_name()), &Words::of(name));
        let same = score >= SAME_NAME;
        let key = if same { "backoffice.mrz_name_same" } else { "backoffice.mrz_name_differs" };
        rows.push(("name", same, t_with(lang, key, &[("name", &zone.full_name()), ("score", &format!("{:.0}", score * 100.0))])));
    }
    if let Some(born) = details.get("date_of_birth") {
        let same = zone.born_on(born);
        rows.push(("birth", same, t_with(lang, if same { "backoffice.mrz_birth_same" } else { "backoffice.mrz_birth_differs" }, &[("birth", &zone.birth)])));
    }
    rows
}
