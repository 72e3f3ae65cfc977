//! `/backoffice/bank`, for finance: find a bank-transfer deposit by its
//! payment reference and record what the bank received; approve what another
//! finance user recorded above the four-eyes amount; import the bank's
//! camt.053 statement and assign its lines. Server-rendered forms; a refused
//! form comes back with what was typed and the reason.

use std::collections::HashMap;

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use leptos::prelude::*;
use rust_decimal::Decimal;

use super::pages::{no_store, page, ListTable, Shell};
use crate::deposit::bank::wires::{self, WireProblem};
use crate::domain::{format_amount, DepositState, Lang};
use crate::i18n::{t, t_with};
use crate::render::document;
use crate::state::AppState;
use crate::store::{DepositRecord, EntryRecord, StaffRecord, WireOutcome, WireState, WireView};
use crate::web::{Finance, PageError, Staff};

/// The largest statement file taken (a busy account's daily statement is a
/// few MiB); `startup::routes` gives the import route this body limit.
pub const MAX_STATEMENT_BYTES: usize = 10 * 1024 * 1024;

fn see_other(to: String) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
}

fn money(minor: i64, digits: u32) -> String {
    format_amount(Decimal::new(minor, digits), digits)
}

/// What a refused form had in it, so nothing typed is lost.
#[derive(Default, Clone)]
struct Typed {
    amount: String,
    value_date: String,
}

struct View {
    reference: Option<String>,
    found: Option<DepositRecord>,
    note: Option<String>,
    problem: Option<WireProblem>,
    typed: Typed,
}

async fn render(state: &AppState, q: &HashMap<String, String>, staff: &StaffRecord, v: View) -> Result<Response, PageError> {
    let ctx = page(state, q);
    let lang = ctx.lang;
    let approvals = state.store.bank.wires(Some(WireState::AwaitingApproval), 200).await?;
    let recent = state.store.bank.wires(None, 20).await?;
    let lines = state.store.bank.open_entries(200).await?;
    let today = crate::time::rfc3339(state.clock.now_ms()).chars().take(10).collect::<String>();
    let four_eyes =
        v.found.as_ref().and_then(|d| state.settings.payments.bank_transfer.accounts.get(&d.currency).map(|a| (a.four_eyes_above, d.currency.to_string())));
    let me = staff.id;
    let status = if v.problem.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let title = t(lang, "backoffice.bank.title");
    let html = document(&ctx, &state.css_href(), title.clone(), move || {
        let problem = v.problem.as_ref().map(|p| {
            let text = match p {
                WireProblem::Statement(reason) => t_with(lang, &p.key(), &[("reason", reason)]),
                _ => t(lang, &p.key()),
            };
            view! { <p role="alert" class="rounded-lg border-2 border-danger p-3 font-medium" data-testid="bank-problem">{text}</p> }
        });
        let note = v.note.map(|n| view! { <p role="status" class="rounded-lg border border-border bg-surface p-3" data-testid="bank-note">{n}</p> });
        view! {
            <Shell title=title.clone()>
                {problem}
                {note}
                <FindDeposit lang reference=v.reference.clone().unwrap_or_default()/>
                {v.found.map(|d| view! { <RecordWire lang d typed=v.typed.clone() today=today.clone() four_eyes=four_eyes.clone()/> })}
                <Approvals lang list=approvals me/>
                <Statement lang lines/>
                <section class="space-y-2">
                    <h2 class="text-lg font-semibold">{t(lang, "backoffice.bank.recent")}</h2>
                    <WireTable lang list=recent me=None/>
                </section>
            </Shell>
        }
        .into_any()
    });
    let mut res = no_store(html);
    *res.status_mut() = status;
    Ok(res)
}

#[component]
fn FindDeposit(lang: Lang, reference: String) -> impl IntoView {
    view! {
        <form method="get" action="/backoffice/bank" class="flex flex-wrap items-end gap-2 rounded-xl border border-border bg-surface p-4">
            <div class="grow space-y-1">
                <label for="find-reference" class="block font-medium">{t(lang, "backoffice.bank.find")}</label>
                <input id="find-reference" name="reference" value=reference autocomplete="off" spellcheck="false"
                    class="w-full rounded-lg border border-border bg-bg p-3 font-mono" placeholder="RF.."/>
            </div>
            <input type="hidden" name="lang" value=lang.code()/>
            <button class="rounded-lg border border-border min-h-11 px-4" data-testid="bank-find">{t(lang, "backoffice.bank.search")}</button>
        </form>
    }
}

#[component]
fn RecordWire(lang: Lang, d: DepositRecord, typed: Typed, today: String, four_eyes: Option<(Decimal, String)>) -> impl IntoView {
    let expected = money(d.requested_minor + d.fee_minor, d.digits);
    let reference = d.provider_payment_id.clone().unwrap_or_default();
    let awaiting = d.state == DepositState::AwaitingFunds;
    // Left empty: finance types what the bank received, never confirms the announcement.
    let amount = typed.amount;
    let date = if typed.value_date.is_empty() { today } else { typed.value_date };
    let rule = four_eyes.map(|(limit, currency)| t_with(lang, "backoffice.bank.four_eyes_note", &[("amount", &limit.to_string()), ("currency", &currency)]));
    let state = d.state.as_str();
    view! {
        <section class="space-y-3 rounded-xl border border-border bg-surface p-4" data-testid="bank-deposit" data-state=state aria-labelledby="found-heading">
            <h2 id="found-heading" class="text-lg font-semibold font-mono">{reference.parse::<crate::domain::CreditorRef>().map_or_else(|_| reference.clone(), |r| r.to_string())}</h2>
            <dl class="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
                <dt class="text-muted">{t(lang, "backoffice.col_login")}</dt><dd>{d.login.to_string()}</dd>
                <dt class="text-muted">{t(lang, "backoffice.bank.expected")}</dt><dd data-testid="bank-expected">{format!("{expected} {}", d.currency)}</dd>
                <dt class="text-muted">{t(lang, "backoffice.col_state")}</dt><dd>{t(lang, &format!("deposit.state.{state}"))}</dd>
                <dt class="text-muted">{t(lang, "backoffice.col_id")}</dt><dd class="font-mono text-xs">{d.id.to_string()}</dd>
            </dl>
            {awaiting.then(|| view! {
                <form method="post" action=format!("/backoffice/bank/wires?lang={}", lang.code()) class="space-y-3">
                    <input type="hidden" name="reference" value=reference.clone()/>
                    <p class="text-sm">{t(lang, "backoffice.bank.record_help")}" "{rule}</p>
                    <div class="flex flex-wrap gap-3">
                        <div class="space-y-1">
                            <label for="wire-amount" class="block font-medium">{format!("{} ({})", t(lang, "backoffice.bank.received"), d.currency)}</label>
                            <input id="wire-amount" name="amount" inputmode="decimal" value=amount required class="rounded-lg border border-border bg-bg p-3"/>
                        </div>
                        <div class="space-y-1">
                            <label for="wire-date" class="block font-medium">{t(lang, "backoffice.bank.value_date")}</label>
                            <input id="wire-date" name="value_date" type="date" value=date required class="rounded-lg border border-border bg-bg p-3"/>
                        </div>
                    </div>
                    <button class="rounded-lg min-h-11 px-4 bg-brand text-brand-contrast font-semibold" data-testid="bank-record">{t(lang, "backoffice.bank.record")}</button>
                </form>
            })}
        </section>
    }
}

/// A difference between what arrived and what was announced, signed.
fn difference(w: &WireView) -> String {
    let diff = w.amount_minor - w.expected_minor;
    if diff == 0 {
        "0".into()
    } else {
        format!("{}{}", if diff > 0 { "+" } else { "−" }, money(diff.abs(), w.digits))
    }
}

#[component]
fn WireTable(lang: Lang, list: Vec<WireView>, me: Option<i64>) -> impl IntoView {
    let headers = vec![
        t(lang, "backoffice.col_id"),
        t(lang, "backoffice.col_login"),
        t(lang, "backoffice.bank.expected"),
        t(lang, "backoffice.bank.received"),
        t(lang, "backoffice.bank.difference"),
        t(lang, "backoffice.bank.value_date"),
        t(lang, "backoffice.bank.recorded_by"),
        t(lang, "backoffice.col_state"),
    ];
    let mut headers = headers;
    if me.is_some() {
        headers.push(t(lang, "backoffice.col_actions"));
    }
    view! {
        <ListTable is_empty=list.is_empty() empty=t(lang, if me.is_some() { "backoffice.bank.approvals_none" } else { "backoffice.bank.none" }) label=t(lang, "backoffice.bank.title") headers>
            {list.into_iter().map(|w| {
                let actions = me.map(|me| {
                    let mine = w.recorded_by == me;
                    view! {
                        <td class="p-2 space-y-1">
                            {if mine {
                                view! { <p class="text-muted text-xs" data-testid="bank-yours">{t(lang, "backoffice.bank.yours")}</p> }.into_any()
                            } else {
                                view! {
                                    <form method="post" action=format!("/backoffice/bank/wires/{}/approve?lang={}", w.id, lang.code())>
                                        <button class="rounded-lg min-h-11 px-3 bg-brand text-brand-contrast font-semibold" data-testid="bank-approve">{t(lang, "backoffice.bank.approve")}</button>
                                    </form>
                                }.into_any()
                            }}
                            <form method="post" action=format!("/backoffice/bank/wires/{}/discard?lang={}", w.id, lang.code())>
                                <button class="rounded-lg border border-border min-h-11 px-3" data-testid="bank-discard">{t(lang, "backoffice.bank.discard")}</button>
                            </form>
                        </td>
                    }
                });
                let state = match w.state { WireState::AwaitingApproval => "awaiting_approval", WireState::Approved => "approved" };
                view! {
                    <tr class="border-t border-border" data-testid="bank-wire" data-state=state data-login=w.login.to_string()>
                        <td class="p-2 font-mono text-xs">{w.deposit_id.to_string()}</td>
                        <td class="p-2">{w.login.to_string()}</td>
                        <td class="p-2">{format!("{} {}", money(w.expected_minor, w.digits), w.currency)}</td>
                        <td class="p-2" data-testid="bank-wire-received">{format!("{} {}", money(w.amount_minor, w.digits), w.currency)}</td>
                        <td class="p-2" data-testid="bank-wire-difference">{difference(&w)}</td>
                        <td class="p-2">{w.value_date.clone()}</td>
                        <td class="p-2">{w.recorded_by_email.clone()}{w.approved_by_email.clone().filter(|a| *a != w.recorded_by_email).map(|a| format!(" · {a}"))}</td>
                        <td class="p-2">{t(lang, &format!("backoffice.bank.state.{state}"))}</td>
                        {actions}
                    </tr>
                }
            }).collect_view()}
        </ListTable>
    }
}

#[component]
fn Approvals(lang: Lang, list: Vec<WireView>, me: i64) -> impl IntoView {
    view! {
        <section class="space-y-2" data-testid="bank-approvals">
            <h2 class="text-lg font-semibold">{t(lang, "backoffice.bank.approvals")}</h2>
            <WireTable lang list me=Some(me)/>
        </section>
    }
}

#[component]
fn Statement(lang: Lang, lines: Vec<EntryRecord>) -> impl IntoView {
    let headers = vec![
        t(lang, "backoffice.bank.value_date"),
        t(lang, "backoffice.bank.received"),
        t(lang, "backoffice.bank.col_debtor"),
        t(lang, "backoffice.bank.col_text"),
        t(lang, "backoffice.col_actions"),
    ];
    view! {
        <section class="space-y-2">
            <h2 class="text-lg font-semibold">{t(lang, "backoffice.bank.statement")}</h2>
            <form method="post" action=format!("/backoffice/bank/statements?lang={}", lang.code()) enctype="multipart/form-data"
                class="flex flex-wrap items-end gap-2 rounded-xl border border-border bg-surface p-4">
                <div class="grow space-y-1">
                    <label for="statement-file" class="block font-medium">{t(lang, "backoffice.bank.statement_file")}</label>
                    <input id="statement-file" name="statement" type="file" accept=".xml,application/xml,text/xml" required class="block"/>
                </div>
                <button class="rounded-lg border border-border min-h-11 px-4" data-testid="bank-import">{t(lang, "backoffice.bank.import")}</button>
            </form>
            <ListTable is_empty=lines.is_empty() empty=t(lang, "backoffice.bank.lines_none") label=t(lang, "backoffice.bank.lines") headers>
                {lines.into_iter().map(|e| {
                    let matched = e.deposit_id.clone();
                    let action = format!("/backoffice/bank/entries/{}/assign?lang={}", e.id, lang.code());
                    let dismiss = view! {
                        <form method="post" action=format!("/backoffice/bank/entries/{}/dismiss?lang={}", e.id, lang.code())>
                            <button class="rounded-lg border border-border min-h-11 px-3" data-testid="bank-dismiss-line">{t(lang, "backoffice.bank.dismiss")}</button>
                        </form>
                    };
                    let assign = match matched {
                        Some(_) if e.recorded => view! {
                            <p class="text-xs" data-testid="bank-line-recorded">{t(lang, "backoffice.bank.recorded_line")}</p>
                        }.into_any(),
                        Some(id) => view! {
                            <form method="post" action=action class="space-y-1">
                                <p class="text-xs">{t_with(lang, "backoffice.bank.matched", &[("id", &id.to_string())])}</p>
                                <button class="rounded-lg min-h-11 px-3 bg-brand text-brand-contrast font-semibold" data-testid="bank-confirm-line">{t(lang, "backoffice.bank.confirm")}</button>
                            </form>
                        }.into_any(),
                        None => {
                            let input_id = format!("assign-{}", e.id);
                            view! {
                                <form method="post" action=action class="flex flex-wrap items-end gap-1">
                                    <label for=input_id.clone() class="sr-only">{t(lang, "backoffice.bank.reference")}</label>
                                    <input id=input_id name="reference" required placeholder="RF.." class="rounded-lg border border-border bg-bg p-2 font-mono text-sm"/>
                                    <button class="rounded-lg border border-border min-h-11 px-3" data-testid="bank-assign-line">{t(lang, "backoffice.bank.assign")}</button>
                                </form>
                            }.into_any()
                        }
                    };
                    let state = match (&e.deposit_id, e.recorded) {
                        (Some(_), true) => "recorded",
                        (Some(_), false) => "matched",
                        (None, _) => "unmatched",
                    };
                    view! {
                        <tr class="border-t border-border align-top" data-testid="bank-line" data-state=state>
                            <td class="p-2 whitespace-nowrap">{e.value_date.clone()}</td>
                            <td class="p-2 whitespace-nowrap">{format!("{} {}", e.amount, e.currency)}</td>
                            <td class="p-2">{e.debtor.clone()}</td>
                            <td class="p-2 break-words">{e.remittance.clone()}</td>
                            <td class="p-2 space-y-1">{assign}{dismiss}</td>
                        </tr>
                    }
                }).collect_view()}
            </ListTable>
        </section>
    }
}

/// The note a successful step leaves, by its code in the redirect.
fn note(lang: Lang, q: &HashMap<String, String>) -> Option<String> {
    let code = q.get("note")?;
    let known = ["confirmed", "awaiting_approval", "approved", "discarded", "imported", "dismissed"];
    known.contains(&code.as_str()).then(|| t_with(lang, &format!("backoffice.bank.note.{code}"), &[("count", q.get("count").map_or("0", String::as_str))]))
}

fn lang_of(q: &HashMap<String, String>) -> Lang {
    q.get("lang").and_then(|l| Lang::parse(l)).unwrap_or_default()
}

fn after(outcome: WireOutcome, lang: Lang) -> Response {
    let code = if outcome == WireOutcome::AwaitingApproval { "awaiting_approval" } else { "confirmed" };
    see_other(format!("/backoffice/bank?note={code}&lang={}", lang.code()))
}

pub async fn show(State(state): State<AppState>, staff: Staff<Finance>, Query(q): Query<HashMap<String, String>>) -> Result<Response, PageError> {
    let reference = q.get("reference").map(|r| r.trim().to_string()).filter(|r| !r.is_empty() && r.len() <= 64);
    let (found, problem) = match &reference {
        Some(r) => match wires::deposit_for(&state, r).await {
            Ok(d) => (Some(d), None),
            Err(p) => (None, Some(p)),
        },
        None => (None, None),
    };
    let v = View { reference, found, note: note(lang_of(&q), &q), problem, typed: Typed::default() };
    render(&state, &q, &staff, v).await
}

/// A refused step: the page again, with the reason and what was typed.
async fn refused(
    state: &AppState,
    q: &HashMap<String, String>,
    staff: &StaffRecord,
    reference: Option<String>,
    typed: Typed,
    p: WireProblem,
) -> Result<Response, PageError> {
    let found = match &reference {
        Some(r) => wires::deposit_for(state, r).await.ok(),
        None => None,
    };
    render(state, q, staff, View { reference, found, note: None, problem: Some(p), typed }).await
}

pub async fn record(
    State(state): State<AppState>,
    staff: Staff<Finance>,
    Query(q): Query<HashMap<String, String>>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let field = |k: &str| form.get(k).map(|v| v.chars().take(64).collect::<String>()).unwrap_or_default();
    let (reference, amount, value_date) = (field("reference"), field("amount"), field("value_date"));
    match wires::record_by_hand(&state, &staff, &reference, &amount, &value_date).await {
        Ok(outcome) => Ok(after(outcome, lang_of(&q))),
        Err(p) => refused(&state, &q, &staff, Some(reference), Typed { amount, value_date }, p).await,
    }
}

pub async fn approve(
    State(state): State<AppState>,
    staff: Staff<Finance>,
    Query(q): Query<HashMap<String, String>>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    match wires::approve(&state, &staff, id).await {
        Ok(_) => Ok(see_other(format!("/backoffice/bank?note=approved&lang={}", lang_of(&q).code()))),
        Err(p) => refused(&state, &q, &staff, None, Typed::default(), p).await,
    }
}

pub async fn discard(
    State(state): State<AppState>,
    staff: Staff<Finance>,
    Query(q): Query<HashMap<String, String>>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    if !state.store.bank.discard_wire(id).await? {
        return refused(&state, &q, &staff, None, Typed::default(), WireProblem::Refused(WireOutcome::NotFound)).await;
    }
    tracing::info!(wire = id, staff = staff.id, "recorded bank transfer discarded before approval");
    Ok(see_other(format!("/backoffice/bank?note=discarded&lang={}", lang_of(&q).code())))
}

pub async fn assign(
    State(state): State<AppState>,
    staff: Staff<Finance>,
    Query(q): Query<HashMap<String, String>>,
    Path(id): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let reference = form.get("reference").map(|r| r.chars().take(64).collect::<String>());
    match wires::record_from_entry(&state, &staff, id, reference.as_deref()).await {
        Ok(outcome) => Ok(after(outcome, lang_of(&q))),
        Err(p) => refused(&state, &q, &staff, reference, Typed::default(), p).await,
    }
}

/// A line that is not a deposit (or whose deposit was recorded by hand) is set aside.
pub async fn dismiss(
    State(state): State<AppState>,
    staff: Staff<Finance>,
    Query(q): Query<HashMap<String, String>>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    if !state.store.bank.dismiss_entry(id, staff.id, state.clock.now_ms()).await? {
        return refused(&state, &q, &staff, None, Typed::default(), WireProblem::Refused(WireOutcome::EntryUsed)).await;
    }
    tracing::info!(entry = id, staff = staff.id, "bank statement line set aside");
    Ok(see_other(format!("/backoffice/bank?note=dismissed&lang={}", lang_of(&q).code())))
}

/// `POST /backoffice/bank/statements` (multipart, field `statement`).
pub async fn import(
    State(state): State<AppState>,
    staff: Staff<Finance>,
    Query(q): Query<HashMap<String, String>>,
    mut form: Multipart,
) -> Result<Response, PageError> {
    // The statement, after at most a few other parts (our form sends none):
    // a body of thousands of tiny parts is refused, not parsed to the end.
    let mut xml = None;
    for _ in 0..=crate::kyc::upload::MAX_OTHER_PARTS {
        let Some(field) = form.next_field().await.map_err(|_| PageError::BadRequest)? else { break };
        if field.name() == Some("statement") {
            xml = Some(field.bytes().await.map_err(|_| PageError::BadRequest)?);
            break;
        }
    }
    let Some(bytes) = xml else { return Err(PageError::BadRequest) };
    let problem = match String::from_utf8(bytes.to_vec()) {
        Err(_) => WireProblem::Statement("not UTF-8 text".into()),
        Ok(text) => match wires::import_statement(&state, text).await {
            Ok(count) => {
                tracing::info!(staff = staff.id, new_lines = count, "bank statement imported");
                return Ok(see_other(format!("/backoffice/bank?note=imported&count={count}&lang={}", lang_of(&q).code())));
            }
            Err(p) => p,
        },
    };
    refused(&state, &q, &staff, None, Typed::default(), problem).await
}
