//! The compliance side of KYC: the queue, a case (details, documents,
//! decisions) and the audit log. Compliance and admins only; every decision
//! is recorded with who, when and why, and reaches cTrader through the
//! accessRights outbox.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use leptos::prelude::*;

use super::pages::{no_store, page, ListTable, Pager, Paging, Shell};
use crate::domain::kyc::quality::{self, QualityLimits, QualityScores};
use crate::domain::kyc::{CaseState, DocumentState};
use crate::domain::Login;
use crate::domain::{format_timestamp, Lang};
use crate::i18n::{t, t_with};
use crate::kyc::service;
use crate::render::document;
use crate::state::AppState;
use crate::store::{CaseDecision, CaseVerdict, DocumentVerdict, KycWrite};
use crate::web::{ApiError, PageError, Reviewers, Staff};

/// How many cases a queue page lists.
const CASES_PER_PAGE: i64 = 50;

pub async fn queue(State(state): State<AppState>, _: Staff<Reviewers>, Query(q): Query<HashMap<String, String>>) -> Result<Response, PageError> {
    let ctx = page(&state, &q);
    let filter = q.get("state").and_then(|s| CaseState::parse(s));
    let paging = Paging::from_query(&q, "page", CASES_PER_PAGE, state.store.kyc.queue_count(filter).await?);
    let cases = state.store.kyc.queue(filter, paging.per, paging.offset()).await?;
    let waiting = state.store.kyc.queue_count(Some(CaseState::Submitted)).await?;
    let (matches, match_count) = (state.store.screening.open_hits(CASES_PER_PAGE).await?, state.store.screening.open_count().await?);
    let lang = ctx.lang;
    let title = t(lang, "backoffice.kyc_title");
    let current = filter.map(CaseState::as_str).unwrap_or_default();
    let href =
        if current.is_empty() { format!("/backoffice/kyc?lang={}&", lang.code()) } else { format!("/backoffice/kyc?state={current}&lang={}&", lang.code()) };
    Ok(no_store(document(&ctx, &state.css_href(), title.clone(), move || {
        let options = std::iter::once(("", t(lang, "backoffice.all_states")))
            .chain(CaseState::ALL.iter().map(|s| (s.as_str(), t(lang, &format!("kyc.state.{}", s.as_str())))))
            .map(|(value, label)| view! { <option value=value selected=value == current>{label}</option> })
            .collect_view();
        view! {
            <Shell title=title.clone()>
                {super::screening::waiting(lang, matches, match_count)}
                <p role="status" data-testid="kyc-waiting">
                    <a class="underline" href=format!("/backoffice/kyc?state=submitted&lang={}", lang.code())>{t_with(lang, "backoffice.kyc_waiting", &[("count", &waiting.to_string())])}</a>
                </p>
                <form method="get" action="/backoffice/kyc" class="flex flex-wrap items-end gap-2">
                    <input type="hidden" name="lang" value=lang.code()/>
                    <div class="space-y-1">
                        <label for="case-state" class="block text-sm">{t(lang, "backoffice.filter_state")}</label>
                        <select id="case-state" name="state" class="rounded-lg border border-border bg-bg p-2 min-h-11">{options}</select>
                    </div>
                    <button class="rounded-lg border border-border min-h-11 px-4" data-testid="case-filter">{t(lang, "backoffice.show")}</button>
                </form>
                <p class="text-sm text-muted" data-testid="case-total">{t_with(lang, "backoffice.total", &[("count", &paging.total.to_string())])}</p>
                <ListTable is_empty=cases.is_empty() label=t(lang, "backoffice.kyc_title") empty=t(lang, "backoffice.no_cases") headers=vec![t(lang, "backoffice.col_login"), t(lang, "backoffice.col_type"), t(lang, "backoffice.col_state"), t(lang, "backoffice.col_updated")]>
                    {cases.into_iter().map(|c| view! {
                        <tr class="border-t border-border" data-testid="kyc-case" data-login=c.login.to_string() data-state=c.state.as_str()>
                            <td class="p-2"><a class="underline" href=format!("/backoffice/kyc/{}", c.login)>{c.login}</a></td>
                            <td class="p-2">{c.kyc_type.clone()}</td>
                            <td class="p-2">{t(lang, &format!("kyc.state.{}", c.state.as_str()))}</td>
                            <td class="p-2">{format_timestamp(c.updated_at)}</td>
                        </tr>
                    }).collect_view()}
                </ListTable>
                <Pager lang paging href=href.clone()/>
            </Shell>
        }
        .into_any()
    })))
}

/// A decision form: the reason the trader will read, for a document
/// rejection whether it may be sent again, and a note only staff see.
fn reason_form(lang: Lang, action: String, button: String, testid: String, required: bool, seen: i64, choose_final: bool) -> impl IntoView {
    let id = format!("reason-{}", testid);
    let note_id = format!("internal-{}", testid);
    let group = format!("retry-{}", testid);
    view! {
        <form method="post" action=action class="space-y-1">
            <input type="hidden" name="seen" value=seen.to_string()/>
            <label for=id.clone() class="block text-sm">{t(lang, "backoffice.reason_to_trader")}</label>
            <textarea id=id name="reason" rows="2" required=required class="w-full rounded-lg border border-border bg-bg p-2"></textarea>
            {choose_final.then(|| view! {
                <fieldset class="text-sm space-y-1">
                    <legend class="sr-only">{t(lang, "backoffice.rejection_kind")}</legend>
                    <label class="flex items-center gap-2 min-h-11"><input type="radio" name="retry" value="retry" checked data-testid=format!("{group}-retry")/>{t(lang, "backoffice.rejection_retry")}</label>
                    <label class="flex items-center gap-2 min-h-11"><input type="radio" name="retry" value="final" data-testid=format!("{group}-final")/>{t(lang, "backoffice.rejection_final")}</label>
                </fieldset>
            })}
            <label for=note_id.clone() class="block text-sm">{t(lang, "backoffice.internal_note")}</label>
            <textarea id=note_id name="internal_note" rows="2" class="w-full rounded-lg border border-border bg-bg p-2"></textarea>
            <button data-testid=testid class="rounded-lg border border-border min-h-11 px-3">{button}</button>
        </form>
    }
}

pub async fn case(
    State(state): State<AppState>,
    _: Staff<Reviewers>,
    Path(login): Path<Login>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let ctx = page(&state, &q);
    let kyc = &state.store.kyc;
    // Events first: the revision a decision carries is never newer than what is shown.
    let events = kyc.events(login).await?;
    let case = kyc.case(login).await?.ok_or(PageError::NotFound)?;
    let docs = kyc.documents(login).await?;
    let hits = state.store.screening.hits(login).await?;
    let held = super::screening::holds(&hits);
    let lists = state.screening.status();
    let lang = ctx.lang;
    let title = t_with(lang, "backoffice.kyc_case", &[("login", &login.to_string())]);
    let detail_map: std::collections::BTreeMap<String, String> = case.details.as_deref().and_then(|d| serde_json::from_str(d).ok()).unwrap_or_default();
    let details: Vec<(String, String)> = detail_map.clone().into_iter().collect();
    let today = service::today();
    let quality_limits = state.settings.kyc.quality;
    let open = case.state.open();
    let types: Vec<String> = state.settings.kyc.types.keys().cloned().collect();
    let case_type = case.kyc_type.clone();
    // The revision on screen: a decision for an older one is refused.
    let seen = events.iter().map(|e| e.id).max().unwrap_or(0);
    let changed = q.get("changed").is_some_and(|v| v == "1").then(|| t(lang, "backoffice.changed_since"));
    let on_hold = q.get("on_hold").is_some_and(|v| v == "1").then(|| t(lang, "backoffice.screening_not_approved"));
    Ok(no_store(document(&ctx, &state.css_href(), title.clone(), move || {
        view! {
            <Shell title=title.clone()>
                {changed.map(|text| view! { <p role="alert" class="rounded-lg border-2 border-danger p-3 font-medium" data-testid="kyc-changed">{text}</p> })}
                {on_hold.map(|text| view! { <p role="alert" class="rounded-lg border-2 border-danger p-3 font-medium" data-testid="kyc-not-approved">{text}</p> })}
                <p data-testid="kyc-case-state" data-state=case.state.as_str()>
                    {format!("{} · {}", case.kyc_type, t(lang, &format!("kyc.state.{}", case.state.as_str())))}
                </p>
                <section class="rounded-xl border border-border bg-surface p-4">
                    <h2 class="font-semibold mb-2">{t(lang, "backoffice.details")}</h2>
                    <dl class="grid grid-cols-2 gap-1 text-sm">
                        {details.into_iter().map(|(k, v)| view! {
                            <dt class="text-muted">{t(lang, &format!("kyc.field.{k}"))}</dt><dd data-testid=format!("kyc-detail-{k}")>{v}</dd>
                        }).collect_view()}
                    </dl>
                </section>
                {super::mrz::section(lang, &detail_map, &today)}
                {super::screening::section(lang, hits, lists)}
                <section class="space-y-3">
                    <h2 class="font-semibold">{t(lang, "backoffice.documents")}</h2>
                    {if docs.is_empty() { Some(view! { <p class="text-muted">{t(lang, "backoffice.no_documents")}</p> }) } else { None }}
                    {docs.into_iter().map(|d| {
                        let live = d.state != DocumentState::Replaced;
                        let base = format!("/backoffice/kyc/documents/{}", d.id);
                        view! {
                            <article class="rounded-xl border border-border bg-surface p-4 space-y-2" data-testid=if live { "kyc-doc" } else { "kyc-doc-old" }
                                data-type=d.doc_type.as_str() data-state=d.state.as_str()>
                                <p class="font-medium">{format!("{} · {} · {}", t(lang, &format!("kyc.step.{}", d.doc_type.as_str())), d.file_name, d.state.as_str())}</p>
                                {d.reason.clone().map(|r| view! { <p class="text-sm text-danger">{r}</p> })}
                                {d.quality.as_deref().and_then(|q| serde_json::from_str(q).ok()).map(|q| quality_line(lang, &q, &quality_limits))}
                                {(d.state == DocumentState::Rejected).then(|| {
                                    let (testid, text) = if d.rejected_final { ("kyc-doc-final", "backoffice.rejected_final") } else { ("kyc-doc-retry", "backoffice.rejected_retry") };
                                    view! { <p class="text-sm" data-testid=testid>{t(lang, text)}</p> }
                                })}
                                {if d.file_deleted_at.is_some() {
                                    view! { <p class="text-sm text-muted" data-testid="kyc-doc-file-deleted">{t(lang, "backoffice.file_deleted")}</p> }.into_any()
                                } else {
                                    view! {
                                        {d.has_preview.then(|| view! { <img src=base.clone() alt=t(lang, &format!("kyc.step.{}", d.doc_type.as_str())) class="max-h-48 rounded border border-border"/> })}
                                        <a href=format!("{base}?original=1") class="underline" target="_self">{t(lang, "backoffice.open_original")}</a>
                                    }.into_any()
                                }}
                                {(live && open).then(|| view! {
                                    <form method="post" action=format!("{base}/accept")>
                                        <button data-testid=format!("kyc-accept-{}", d.doc_type.as_str()) class="rounded-lg border border-border min-h-11 px-3">{t(lang, "backoffice.accept")}</button>
                                    </form>
                                    {reason_form(lang, format!("{base}/reject"), t(lang, "backoffice.reject"), format!("kyc-reject-{}", d.doc_type.as_str()), true, seen, true)}
                                })}
                            </article>
                        }
                    }).collect_view()}
                </section>
                {open.then(|| {
                    let levels = types.iter().map(|name| view! { <option value=name.clone() selected=*name == case_type>{name.clone()}</option> }).collect_view();
                    view! {
                    <form method="post" action=format!("/backoffice/kyc/{login}/level") class="flex flex-wrap items-end gap-2 rounded-xl border border-border bg-surface p-4">
                        <input type="hidden" name="seen" value=seen.to_string()/>
                        <div class="space-y-1">
                            <label for="kyc-level" class="block text-sm">{t(lang, "backoffice.level")}</label>
                            <select id="kyc-level" name="kyc_type" class="rounded-lg border border-border bg-bg p-2 min-h-11">{levels}</select>
                        </div>
                        <button data-testid="kyc-set-level" class="rounded-lg border border-border min-h-11 px-3">{t(lang, "backoffice.change_level")}</button>
                    </form>
                    }
                })}
                {open.then(|| view! {
                    <section class="rounded-xl border border-border bg-surface p-4 space-y-3">
                        // On hold: the screening section says why; the store would refuse anyway.
                        {(!held).then(|| view! {
                        <form method="post" action=format!("/backoffice/kyc/{login}/approve")>
                            <input type="hidden" name="seen" value=seen.to_string()/>
                            <button data-testid="kyc-approve" class="rounded-lg min-h-11 px-4 bg-brand text-brand-contrast font-semibold">{t(lang, "backoffice.approve")}</button>
                        </form>
                        })}
                        {reason_form(lang, format!("/backoffice/kyc/{login}/more-info"), t(lang, "backoffice.more_info"), "kyc-more-info".into(), true, seen, false)}
                        {reason_form(lang, format!("/backoffice/kyc/{login}/reject"), t(lang, "backoffice.reject_case"), "kyc-reject-case".into(), true, seen, false)}
                    </section>
                })}
                <section>
                    <h2 class="font-semibold mb-2">{t(lang, "backoffice.audit")}</h2>
                    <table class="w-full text-sm rounded-xl border border-border bg-surface">
                        <thead><tr>
                            <th scope="col" class="p-2 text-start">{t(lang, "backoffice.col_when")}</th>
                            <th scope="col" class="p-2 text-start">{t(lang, "backoffice.col_actor")}</th>
                            <th scope="col" class="p-2 text-start">{t(lang, "backoffice.col_action")}</th>
                            <th scope="col" class="p-2 text-start">{t(lang, "backoffice.col_reason")}</th>
                            <th scope="col" class="p-2 text-start">{t(lang, "backoffice.col_internal")}</th>
                        </tr></thead>
                        <tbody>
                            {events.into_iter().rev().map(|e| view! {
                                <tr class="border-t border-border" data-testid="kyc-audit-row">
                                    <td class="p-2">{format_timestamp(e.at)}</td>
                                    <td class="p-2">{e.actor}</td>
                                    <td class="p-2">{format!("{}{}", t(lang, &format!("kyc.event.{}", e.action)), e.subject.map(|s| format!(" · {s}")).unwrap_or_default())}</td>
                                    <td class="p-2">{e.reason.unwrap_or_default()}</td>
                                    <td class="p-2" data-testid="kyc-audit-internal">{e.internal_note.unwrap_or_default()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </section>
            </Shell>
        }
        .into_any()
    })))
}

/// A photo's quality as the server measured it, and what it finds wrong
/// (the messages the trader was shown in the browser).
fn quality_line(lang: Lang, q: &QualityScores, limits: &QualityLimits) -> impl IntoView {
    let problems = quality::problems(q, limits);
    let scores = t_with(
        lang,
        "backoffice.quality_scores",
        &[
            ("sharpness", &format!("{:.0}", q.sharpness)),
            ("brightness", &format!("{:.0}", q.brightness)),
            ("glare", &format!("{:.1}", q.glare * 100.0)),
            ("side", &q.side.to_string()),
            ("coverage", &format!("{:.0}", q.coverage * 100.0)),
        ],
    );
    let codes = problems.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(",");
    view! {
        <div class="text-sm" data-testid="kyc-doc-quality" data-problems=codes>
            <p>{scores}</p>
            {problems.into_iter().map(|p| view! { <p class="text-danger">{t(lang, &p.i18n_key())}</p> }).collect_view()}
        </div>
    }
}

/// The text a form sent in `field` (a reason, a note), if it holds more than blanks.
pub(super) fn reason_of(form: &HashMap<String, String>, field: &str) -> Option<String> {
    form.get(field).map(|r| r.trim().chars().take(1000).collect::<String>()).filter(|r| !r.is_empty())
}

/// Back to the case after a write, or why the write did not apply (a case
/// that changed since: back to it, saying so).
fn after_write(written: KycWrite, back: String) -> Result<Response, PageError> {
    match written {
        KycWrite::Done(_) => Ok((StatusCode::SEE_OTHER, [(header::LOCATION, back)]).into_response()),
        KycWrite::Changed => Ok((StatusCode::SEE_OTHER, [(header::LOCATION, format!("{back}?changed=1"))]).into_response()),
        KycWrite::OnHold | KycWrite::Unscreened => Ok((StatusCode::SEE_OTHER, [(header::LOCATION, format!("{back}?on_hold=1"))]).into_response()),
        KycWrite::Closed | KycWrite::OverQuota | KycWrite::FinalRejection => Err(PageError::Conflict),
        KycWrite::NotFound => Err(PageError::NotFound),
    }
}

pub async fn decide_document(
    State(state): State<AppState>,
    staff: Staff<Reviewers>,
    Path((id, verdict)): Path<(String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let accept = match verdict.as_str() {
        "accept" => true,
        "reject" => false,
        _ => return Err(PageError::BadRequest),
    };
    let reason = reason_of(&form, "reason");
    if !accept && reason.is_none() {
        return Err(PageError::BadRequest);
    }
    let final_rejection = match form.get("retry").map(String::as_str) {
        None | Some("retry") => false,
        Some("final") => true,
        Some(_) => return Err(PageError::BadRequest),
    };
    let internal_note = reason_of(&form, "internal_note");
    let verdict = DocumentVerdict { accept, reason: reason.as_deref(), final_rejection, internal_note: internal_note.as_deref() };
    let login = state.store.kyc.document(&id).await?.ok_or(PageError::NotFound)?.login;
    let written = service::decide_document(&state, &id, &verdict, &staff.email).await?;
    tracing::info!(staff = %staff.email, document = %id, accept, final_rejection, "kyc document decided");
    after_write(written, format!("/backoffice/kyc/{login}"))
}

pub async fn decide_case(
    State(state): State<AppState>,
    staff: Staff<Reviewers>,
    Path((login, verdict)): Path<(Login, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let decision = match verdict.as_str() {
        "approve" => CaseDecision::Approve,
        "reject" => CaseDecision::Reject,
        "more-info" => CaseDecision::MoreInfo,
        _ => return Err(PageError::BadRequest),
    };
    let reason = reason_of(&form, "reason");
    if decision != CaseDecision::Approve && reason.is_none() {
        return Err(PageError::BadRequest);
    }
    // What the reviewer had on screen; a form without it decides nothing.
    let seen = form.get("seen").and_then(|s| s.parse::<i64>().ok()).ok_or(PageError::BadRequest)?;
    let internal_note = reason_of(&form, "internal_note");
    let verdict = CaseVerdict { decision, reason: reason.as_deref(), internal_note: internal_note.as_deref() };
    let written = service::decide_case(&state, login, &verdict, &staff.email, seen).await?;
    tracing::info!(staff = %staff.email, %login, decision = ?decision, "kyc case decided");
    after_write(written, format!("/backoffice/kyc/{login}"))
}

/// `POST /backoffice/kyc/{login}/level`: compliance sets the level the case
/// must pass (the broker's decision; what it asks for follows).
pub async fn set_level(
    State(state): State<AppState>,
    staff: Staff<Reviewers>,
    Path(login): Path<Login>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let seen = form.get("seen").and_then(|s| s.parse::<i64>().ok()).ok_or(PageError::BadRequest)?;
    let kyc_type = form.get("kyc_type").map(String::as_str).unwrap_or_default();
    let written = service::set_level(&state, login, kyc_type, &staff.email, seen).await?.ok_or(PageError::BadRequest)?;
    tracing::info!(staff = %staff.email, %login, kyc_type, "kyc case level set");
    after_write(written, format!("/backoffice/kyc/{login}"))
}

/// `GET /backoffice/kyc/documents/{id}[?original=1]` for reviewers. Staff
/// of another role get the same 404 as a missing document: a document's
/// existence is not theirs to learn (the sign-in redirect stays).
pub async fn document_file(
    State(state): State<AppState>,
    reviewer: Result<Staff<Reviewers>, PageError>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, Response> {
    match reviewer {
        Ok(_) => {}
        Err(PageError::Forbidden) => return Err(crate::kyc::serve::not_found().into_response()),
        Err(e) => return Err(e.into_response()),
    }
    let found = state.store.kyc.document(&id).await.map_err(|e| tracing::error!(error = %crate::web::error::cause_chain(&e), "document lookup failed"));
    let Ok(Some(doc)) = found else { return Err(crate::kyc::serve::not_found().into_response()) };
    crate::kyc::serve::send(&state, &doc, q.get("original").is_some_and(|v| v == "1")).await.map_err(ApiError::into_response)
}
