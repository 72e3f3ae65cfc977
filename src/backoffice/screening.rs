//! Screening in the back-office: a case's possible sanctions and PEP matches
//! with what the list says about each, compliance's decision on each (clear
//! or confirm, always with a note: the audit trail of why), the lists in
//! use, and the matches waiting on the KYC queue page.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use leptos::prelude::*;

use crate::domain::{format_timestamp, Lang};
use crate::i18n::{t, t_with};
use crate::kyc::screening::{HitKind, HitState, ListStatus};
use crate::state::AppState;
use crate::store::{HitDecision, HitRecord, HitVerdict};
use crate::web::{PageError, Reviewers, Staff};

/// Whether the case cannot be approved: a match open, or confirmed of a
/// kind that bars approval (the store's own rule, shown).
pub(super) fn holds(hits: &[HitRecord]) -> bool {
    hits.iter().any(|h| h.state == HitState::Open || blocks(h))
}

fn blocks(h: &HitRecord) -> bool {
    h.state == HitState::Confirmed && h.hit.kind.bars_approval()
}

/// The case's screening: the lists, each match and its decision.
pub(super) fn section(lang: Lang, hits: Vec<HitRecord>, lists: Vec<ListStatus>) -> impl IntoView {
    let confirmed = hits.iter().any(blocks);
    let open = hits.iter().any(|h| h.state == HitState::Open);
    let banner = if confirmed {
        Some(t(lang, "backoffice.screening_blocked"))
    } else if open {
        Some(t(lang, "backoffice.screening_on_hold"))
    } else {
        None
    };
    let lists_line = lists_line(lang, &lists);
    let empty = hits.is_empty().then(|| view! { <p class="text-sm text-muted" data-testid="screening-none">{t(lang, "backoffice.screening_none")}</p> });
    view! {
        <section class="rounded-xl border border-border bg-surface p-4 space-y-3" aria-labelledby="screening-title">
            <h2 id="screening-title" class="font-semibold">{t(lang, "backoffice.screening_title")}</h2>
            {banner.map(|text| view! { <p role="alert" class="rounded-lg border-2 border-danger p-3 font-medium" data-testid="screening-hold">{text}</p> })}
            <p class="text-sm text-muted" data-testid="screening-lists">{lists_line}</p>
            {empty}
            {hits.into_iter().map(|h| hit(lang, h)).collect_view()}
        </section>
    }
}

fn lists_line(lang: Lang, lists: &[ListStatus]) -> String {
    if lists.is_empty() {
        return t(lang, "backoffice.screening_no_lists");
    }
    let mut parts = vec![];
    for l in lists {
        let loaded = t_with(lang, "backoffice.screening_list", &[("list", &l.name), ("count", &l.entries.to_string()), ("at", &format_timestamp(l.loaded_at))]);
        parts.push(loaded);
        if let Some(error) = &l.error {
            parts.push(t_with(lang, "backoffice.screening_list_error", &[("list", &l.name), ("error", error)]));
        }
    }
    parts.join(" · ")
}

/// A match's list as staff read it: a duplicate's is the verified traders.
fn list_name(lang: Lang, h: &HitRecord) -> String {
    if h.hit.kind == HitKind::Duplicate {
        t(lang, "backoffice.screening_verified_traders")
    } else {
        h.hit.list_name.clone()
    }
}

fn hit(lang: Lang, h: HitRecord) -> impl IntoView {
    let kind = t(lang, &format!("backoffice.screening_kind_{}", h.hit.kind.as_str()));
    let list = list_name(lang, &h);
    let title =
        t_with(lang, "backoffice.screening_match", &[("kind", &kind), ("list", &list), ("entry", &h.hit.entry_name), ("score", &h.hit.score.to_string())]);
    // A duplicate may be allowed (a person the broker lets hold two
    // verified users); a list match is cleared only as another person.
    let duplicate = h.hit.kind == HitKind::Duplicate;
    let (clear_key, cleared_key) = if duplicate {
        ("backoffice.screening_clear_duplicate", "backoffice.screening_state_cleared_duplicate")
    } else {
        ("backoffice.screening_clear", "backoffice.screening_state_cleared")
    };
    // A PEP may be a client once due diligence is done: confirming says who they are.
    let (confirm_key, confirmed_key) = if h.hit.kind == HitKind::Pep {
        ("backoffice.screening_confirm_pep", "backoffice.screening_state_confirmed_pep")
    } else {
        ("backoffice.screening_confirm", "backoffice.screening_state_confirmed")
    };
    let birth = if h.hit.screened_birth.is_empty() { "—".to_string() } else { h.hit.screened_birth.clone() };
    let screened = t_with(lang, "backoffice.screening_screened", &[("name", &h.hit.screened_name), ("birth", &birth)]);
    let state_text = match h.state {
        HitState::Cleared => t(lang, cleared_key),
        HitState::Confirmed => t(lang, confirmed_key),
        HitState::Open => t(lang, "backoffice.screening_state_open"),
    };
    let decided = h.decided_by.clone().map(|by| {
        let at = h.decided_at.map(format_timestamp).unwrap_or_default();
        t_with(lang, "backoffice.screening_decided", &[("by", &by), ("at", &at), ("note", h.note.as_deref().unwrap_or_default())])
    });
    let open = h.state == HitState::Open;
    let action = format!("/backoffice/kyc/screening/{}", h.id);
    view! {
        <article class="rounded-lg border border-border p-3 space-y-1" data-testid="screening-hit" data-state=h.state.as_str() data-kind=h.hit.kind.as_str()>
            <p class="font-medium">{title}</p>
            <p class="text-sm" data-testid="screening-entry">{h.hit.entry_detail.clone()}</p>
            <p class="text-sm">{screened}</p>
            <p class="text-sm font-medium" data-testid="screening-state">{state_text}</p>
            {decided.map(|d| view! { <p class="text-sm" data-testid="screening-decided">{d}</p> })}
            {open.then(|| view! {
                <form method="post" action=action class="space-y-1">
                    <label for=format!("screening-note-{}", h.id) class="block text-sm">{t(lang, "backoffice.screening_note")}</label>
                    <textarea id=format!("screening-note-{}", h.id) name="note" rows="2" required class="w-full rounded-lg border border-border bg-bg p-2"></textarea>
                    <div class="flex flex-wrap gap-2">
                        <button name="verdict" value="clear" data-testid="screening-clear" class="rounded-lg border border-border min-h-11 px-3">{t(lang, clear_key)}</button>
                        <button name="verdict" value="confirm" data-testid="screening-confirm" class="rounded-lg border-2 border-danger min-h-11 px-3">{t(lang, confirm_key)}</button>
                    </div>
                </form>
            })}
        </article>
    }
}

/// The matches waiting for compliance, on the KYC queue page; nothing when none.
pub(super) fn waiting(lang: Lang, hits: Vec<HitRecord>, count: i64) -> impl IntoView {
    (count > 0).then(|| {
        view! {
            <section class="rounded-xl border-2 border-danger p-4 space-y-2" data-testid="screening-waiting">
                <h2 class="font-semibold">{t_with(lang, "backoffice.screening_waiting", &[("count", &count.to_string())])}</h2>
                <ul class="space-y-1 text-sm">
                    {hits.into_iter().map(|h| {
                        let text = format!("{} · {} · {} ({}%)", h.login, list_name(lang, &h), h.hit.entry_name, h.hit.score);
                        view! { <li><a class="underline" href=format!("/backoffice/kyc/{}", h.login)>{text}</a></li> }
                    }).collect_view()}
                </ul>
            </section>
        }
    })
}

/// `POST /backoffice/kyc/screening/{id}` with `verdict` (`clear` or
/// `confirm`) and a `note`: compliance decides a possible match, once.
pub async fn decide(
    State(state): State<AppState>,
    staff: Staff<Reviewers>,
    Path(id): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let verdict = match form.get("verdict").map(String::as_str) {
        Some("clear") => HitState::Cleared,
        Some("confirm") => HitState::Confirmed,
        _ => return Err(PageError::BadRequest),
    };
    let note = super::kyc::reason_of(&form, "note").ok_or(PageError::BadRequest)?;
    let hit_verdict = HitVerdict { state: verdict, note: &note, actor: &staff.email, access_rights: &state.settings.kyc.access_rights };
    let decided = state.store.screening.decide_hit(id, &hit_verdict, crate::time::now_ms()).await?;
    let (login, query) = match decided {
        HitDecision::Done(login) => (login, ""),
        // Another officer decided it first: theirs stands, and the page says the case changed.
        HitDecision::AlreadyDecided(login) => (login, "?changed=1"),
        HitDecision::NotFound => return Err(PageError::NotFound),
    };
    tracing::info!(staff = %staff.email, %login, hit = id, verdict = verdict.as_str(), "screening match decided");
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, format!("/backoffice/kyc/{login}{query}"))]).into_response())
}
