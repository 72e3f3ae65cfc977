//! `/backoffice/withdrawals`, for finance: approve or reject what traders
//! requested (a second, different finance user above the four-eyes amount),
//! watch approved ones being debited, and mark debited ones paid with the
//! bank's reference. Any debit cTrader holds twice is listed on top until
//! someone has reversed the extra copy. Server-rendered forms; a refused step
//! comes back with the reason.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use leptos::prelude::*;
use rust_decimal::Decimal;

use super::pages::{no_store, page, ListTable, Pager, Paging, Shell};
use crate::domain::{format_amount, format_timestamp, Iban, Lang, WithdrawalId, WithdrawalState};
use crate::i18n::{t, t_with};
use crate::render::document;
use crate::state::AppState;
use crate::store::withdrawals::DuplicateDebit;
use crate::store::{Decision, StaffRecord, WithdrawalRecord};
use crate::web::{Admins, Finance, PageError, Staff};
use crate::withdrawal::service::{self, FinanceProblem};

/// How many a queue page shows, oldest first: each queue that needs action
/// (to approve, to pay, being debited, paid twice) is paged on its own, its
/// heading says how many wait in all, so nothing drops out of sight behind
/// newer requests.
const QUEUE: i64 = 50;

fn lang_of(q: &HashMap<String, String>) -> Lang {
    q.get("lang").and_then(|l| Lang::parse(l)).unwrap_or_default()
}

/// The queues' pages in a query (`&page=2&pay_page=3`): a finance step
/// posts them along and comes back to the same pages, so whoever works
/// through page 3 of a queue stays on it.
const PAGE_KEYS: [&str; 4] = ["page", "pay_page", "debiting_page", "twice_page"];

fn position(q: &HashMap<String, String>) -> String {
    PAGE_KEYS.iter().filter_map(|k| q.get(*k).and_then(|v| v.parse::<i64>().ok()).map(|v| format!("&{k}={v}"))).collect()
}

/// Back to the page (at the same queue pages) with a note.
fn back(note: &str, q: &HashMap<String, String>) -> Response {
    let to = format!("/backoffice/withdrawals?note={note}&lang={}{}", lang_of(q).code(), position(q));
    (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
}

fn amount(w: &WithdrawalRecord) -> String {
    format!("{} {}", format_amount(Decimal::new(w.amount_minor, w.digits), w.digits), w.currency)
}

/// Where to send the money, in full: finance pays it.
fn destination(lang: Lang, w: &WithdrawalRecord) -> String {
    match (&w.iban, &w.card_deposit_id) {
        (Some(iban), _) => {
            let grouped = iban.parse::<Iban>().map_or_else(|_| iban.clone(), |i| i.to_string());
            format!("{grouped} · {}", w.holder.clone().unwrap_or_default())
        }
        (None, Some(d)) => t_with(lang, "backoffice.withdrawals.card_of", &[("id", d.as_str())]),
        (None, None) => String::new(),
    }
}

/// One page of a queue.
struct Queue<T> {
    rows: Vec<T>,
    paging: Paging,
}

struct Queues {
    to_approve: Queue<WithdrawalRecord>,
    debiting: Queue<WithdrawalRecord>,
    to_pay: Queue<WithdrawalRecord>,
    recent: Vec<WithdrawalRecord>,
    duplicates: Queue<DuplicateDebit>,
}

/// The page of withdrawals in `state` that the query asks for under `key`.
async fn in_state(state: &AppState, q: &HashMap<String, String>, key: &'static str, s: WithdrawalState) -> Result<Queue<WithdrawalRecord>, PageError> {
    let store = &state.store.withdrawals;
    let paging = Paging::from_query(q, key, QUEUE, store.count(s).await?);
    Ok(Queue { rows: store.list(Some(s), paging.per, paging.offset()).await?, paging })
}

async fn queues(state: &AppState, q: &HashMap<String, String>) -> Result<Queues, PageError> {
    let store = &state.store.withdrawals;
    let twice = Paging::from_query(q, "twice_page", QUEUE, store.duplicate_count().await?);
    Ok(Queues {
        to_approve: in_state(state, q, "page", WithdrawalState::Requested).await?,
        debiting: in_state(state, q, "debiting_page", WithdrawalState::Approved).await?,
        to_pay: in_state(state, q, "pay_page", WithdrawalState::Debited).await?,
        recent: store.list(None, 30, 0).await?,
        duplicates: Queue { rows: store.duplicate_debits(twice.per, twice.offset()).await?, paging: twice },
    })
}

async fn render(state: &AppState, q: &HashMap<String, String>, staff: &StaffRecord, problem: Option<FinanceProblem>) -> Result<Response, PageError> {
    let ctx = page(state, q);
    let lang = ctx.lang;
    let queues = queues(state, q).await?;
    let href = format!("/backoffice/withdrawals?lang={}&", lang.code());
    let at = position(q);
    let me = staff.id;
    let admin = staff.role == crate::store::Role::Admin;
    let note = q
        .get("note")
        .filter(|n| ["approved", "awaiting_second", "rejected", "paid", "reversed"].contains(&n.as_str()))
        .map(|n| t(lang, &format!("backoffice.withdrawals.note.{n}")));
    let title = t(lang, "backoffice.withdrawals.title");
    let html = document(&ctx, &state.css_href(), title.clone(), move || {
        let problem = problem.map(
            |p| view! { <p role="alert" class="rounded-lg border-2 border-danger p-3 font-medium" data-testid="withdrawals-problem">{t(lang, p.key())}</p> },
        );
        let note = note.map(|n| view! { <p role="status" class="rounded-lg border border-border bg-surface p-3" data-testid="withdrawals-note">{n}</p> });
        let Queues { to_approve, debiting, to_pay, recent, duplicates } = queues;
        view! {
            <Shell title=title.clone()>
                {problem}
                {note}
                <Duplicates lang queue=duplicates admin href=href.clone() at=at.clone()/>
                <section class="space-y-2" data-testid="withdrawals-to-approve">
                    <h2 class="text-lg font-semibold">{t_with(lang, "backoffice.withdrawals.to_approve", &[("count", &to_approve.paging.total.to_string())])}</h2>
                    <Table lang list=to_approve.rows empty="backoffice.withdrawals.to_approve_none" actions=Actions::Decide { me } at=at.clone()/>
                    <Pager lang paging=to_approve.paging href=href.clone()/>
                </section>
                <section class="space-y-2" data-testid="withdrawals-to-pay">
                    <h2 class="text-lg font-semibold">{t_with(lang, "backoffice.withdrawals.to_pay", &[("count", &to_pay.paging.total.to_string())])}</h2>
                    <Table lang list=to_pay.rows empty="backoffice.withdrawals.to_pay_none" actions=Actions::Pay at=at.clone()/>
                    <Pager lang paging=to_pay.paging href=href.clone()/>
                </section>
                <section class="space-y-2" data-testid="withdrawals-debiting">
                    <h2 class="text-lg font-semibold">{t_with(lang, "backoffice.withdrawals.debiting", &[("count", &debiting.paging.total.to_string())])}</h2>
                    <Table lang list=debiting.rows empty="backoffice.withdrawals.debiting_none" actions=Actions::None at=String::new()/>
                    <Pager lang paging=debiting.paging href=href.clone()/>
                </section>
                <section class="space-y-2" data-testid="withdrawals-recent">
                    <h2 class="text-lg font-semibold">{t(lang, "backoffice.withdrawals.recent")}</h2>
                    <Table lang list=recent empty="backoffice.withdrawals.none" actions=Actions::None at=String::new()/>
                </section>
            </Shell>
        }
        .into_any()
    });
    let mut res = no_store(html);
    if problem.is_some() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

#[derive(Clone, Copy)]
enum Actions {
    /// Approve and reject, for requests; `me` cannot give a four-eyes second approval after a first.
    Decide {
        me: i64,
    },
    /// Mark paid, for debited ones.
    Pay,
    None,
}

#[component]
/// `at`: the queue pages the row's forms post along (see [`position`]).
fn Table(lang: Lang, list: Vec<WithdrawalRecord>, empty: &'static str, actions: Actions, at: String) -> impl IntoView {
    let mut headers = vec![
        t(lang, "backoffice.col_id"),
        t(lang, "backoffice.col_login"),
        t(lang, "backoffice.withdrawals.col_amount"),
        t(lang, "backoffice.withdrawals.col_destination"),
        t(lang, "backoffice.withdrawals.col_requested"),
        t(lang, "backoffice.col_state"),
    ];
    if !matches!(actions, Actions::None) {
        headers.push(t(lang, "backoffice.col_actions"));
    }
    view! {
        <ListTable is_empty=list.is_empty() empty=t(lang, empty) label=t(lang, "backoffice.withdrawals.title") headers>
            {list.into_iter().map(|w| {
                let state = w.state.as_str();
                let mut state_text = t(lang, &format!("withdraw.state.{state}"));
                if let Some(r) = &w.reason {
                    state_text = format!("{state_text}: {r}");
                }
                if w.state == WithdrawalState::Requested && w.four_eyes {
                    let key = if w.first_approved_by.is_some() { "backoffice.withdrawals.second_needed" } else { "backoffice.withdrawals.two_needed" };
                    state_text = format!("{state_text} · {}", t(lang, key));
                }
                if let Some(reference) = &w.paid_reference {
                    state_text = format!("{state_text} · {reference}");
                }
                let cell = row_actions(lang, &w, actions, &at);
                view! {
                    <tr class="border-t border-border align-top" data-testid="bo-withdrawal" data-state=state data-login=w.login.to_string() data-id=w.id.to_string()>
                        <td class="p-2 font-mono text-xs">{w.id.to_string()}</td>
                        <td class="p-2">{w.login.to_string()}</td>
                        <td class="p-2 whitespace-nowrap">{amount(&w)}</td>
                        <td class="p-2 font-mono text-xs break-words" data-testid="bo-withdrawal-destination">{destination(lang, &w)}</td>
                        <td class="p-2 whitespace-nowrap">{format_timestamp(w.created_at)}</td>
                        <td class="p-2" data-testid="bo-withdrawal-state">{state_text}</td>
                        {cell}
                    </tr>
                }
            }).collect_view()}
        </ListTable>
    }
}

fn row_actions(lang: Lang, w: &WithdrawalRecord, actions: Actions, at: &str) -> Option<AnyView> {
    let base = format!("/backoffice/withdrawals/{}", w.id);
    let q = format!("?lang={}{at}", lang.code());
    Some(match actions {
        Actions::None => return None,
        Actions::Decide { me } => {
            let mine = w.four_eyes && w.first_approved_by == Some(me);
            let reason_id = format!("reason-{}", w.id);
            view! {
                <td class="p-2 space-y-2">
                    {if mine {
                        view! { <p class="text-xs text-muted" data-testid="bo-withdrawal-yours">{t(lang, "backoffice.withdrawals.yours")}</p> }.into_any()
                    } else {
                        view! {
                            <form method="post" action=format!("{base}/approve{q}")>
                                <button class="rounded-lg min-h-11 px-3 bg-brand text-brand-contrast font-semibold" data-testid="bo-withdrawal-approve">{t(lang, "backoffice.withdrawals.approve")}</button>
                            </form>
                        }.into_any()
                    }}
                    <form method="post" action=format!("{base}/reject{q}") class="flex flex-wrap items-end gap-1">
                        <label for=reason_id.clone() class="sr-only">{t(lang, "backoffice.withdrawals.reason")}</label>
                        <input id=reason_id name="reason" required maxlength="500" placeholder=t(lang, "backoffice.withdrawals.reason")
                            class="rounded-lg border border-border bg-bg p-2 text-sm" data-testid="bo-withdrawal-reason"/>
                        <button class="rounded-lg border border-border min-h-11 px-3" data-testid="bo-withdrawal-reject">{t(lang, "backoffice.withdrawals.reject")}</button>
                    </form>
                </td>
            }
            .into_any()
        }
        Actions::Pay => {
            let reference_id = format!("paid-{}", w.id);
            view! {
                <td class="p-2">
                    <form method="post" action=format!("{base}/paid{q}") class="flex flex-wrap items-end gap-1">
                        <label for=reference_id.clone() class="sr-only">{t(lang, "backoffice.withdrawals.paid_reference")}</label>
                        <input id=reference_id name="reference" required maxlength="64" placeholder=t(lang, "backoffice.withdrawals.paid_reference")
                            class="rounded-lg border border-border bg-bg p-2 text-sm font-mono" data-testid="bo-withdrawal-reference"/>
                        <button class="rounded-lg min-h-11 px-3 bg-brand text-brand-contrast font-semibold" data-testid="bo-withdrawal-paid">{t(lang, "backoffice.withdrawals.mark_paid")}</button>
                    </form>
                </td>
            }
            .into_any()
        }
    })
}

/// Debits cTrader holds more than once: an admin reverses the extra copy, then says so here.
#[component]
fn Duplicates(lang: Lang, queue: Queue<DuplicateDebit>, admin: bool, href: String, at: String) -> impl IntoView {
    let Queue { rows, paging } = queue;
    (!rows.is_empty()).then(|| {
        let rows = rows
            .into_iter()
            .map(|c| {
                let w = c.withdrawal;
                let copies = t_with(lang, "backoffice.duplicate_copies", &[("ids", &c.copies)]);
                view! {
                    <li class="flex flex-wrap items-center justify-between gap-2" data-testid="duplicate-debit" data-id=w.id.to_string()>
                        <span><span class="font-mono text-xs">{w.id.to_string()}</span>" · "{w.login.to_string()}" · "{amount(&w)}" · "{copies}</span>
                        {admin.then(|| view! {
                            <form method="post" action=format!("/backoffice/withdrawals/{}/reversed?lang={}{at}", w.id, lang.code())>
                                <button class="rounded-lg border border-border min-h-11 px-3" data-testid="duplicate-debit-reversed">{t(lang, "backoffice.duplicate_reversed")}</button>
                            </form>
                        })}
                    </li>
                }
            })
            .collect_view();
        view! {
            <section role="alert" class="space-y-2 rounded-xl border-2 border-danger p-3" data-testid="duplicate-debits">
                <h2 class="text-lg font-semibold">{t(lang, "backoffice.withdrawals.duplicates")}" ("{paging.total}")"</h2>
                <p>{t(lang, "backoffice.withdrawals.duplicates_help")}</p>
                <ul class="space-y-2">{rows}</ul>
                <Pager lang paging href/>
            </section>
        }
    })
}

pub async fn show(State(state): State<AppState>, staff: Staff<Finance>, Query(q): Query<HashMap<String, String>>) -> Result<Response, PageError> {
    render(&state, &q, &staff, None).await
}

/// A finance step's answer: back to the page with a note, or the page with the reason.
async fn answer(
    state: &AppState,
    q: &HashMap<String, String>,
    staff: &StaffRecord,
    done: &str,
    outcome: Result<Decision, FinanceProblem>,
) -> Result<Response, PageError> {
    match outcome {
        Ok(Decision::AwaitingSecond) => Ok(back("awaiting_second", q)),
        Ok(_) => Ok(back(done, q)),
        Err(FinanceProblem::Storage) => Err(PageError::Internal),
        Err(p) => render(state, q, staff, Some(p)).await,
    }
}

pub async fn approve(
    State(state): State<AppState>,
    staff: Staff<Finance>,
    Query(q): Query<HashMap<String, String>>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let outcome = service::approve(&state, &staff, &id).await;
    answer(&state, &q, &staff, "approved", outcome).await
}

pub async fn reject(
    State(state): State<AppState>,
    staff: Staff<Finance>,
    Query(q): Query<HashMap<String, String>>,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let outcome = service::reject(&state, &staff, &id, form.get("reason").map_or("", String::as_str)).await;
    answer(&state, &q, &staff, "rejected", outcome).await
}

pub async fn paid(
    State(state): State<AppState>,
    staff: Staff<Finance>,
    Query(q): Query<HashMap<String, String>>,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let outcome = service::mark_paid(&state, &staff, &id, form.get("reference").map_or("", String::as_str)).await;
    answer(&state, &q, &staff, "paid", outcome).await
}

/// An admin has reversed the extra copy of a debit in cTrader: the alert
/// goes away (admins only, as for credits: it is a money correction).
pub async fn reversed(
    State(state): State<AppState>,
    staff: Staff<Admins>,
    Query(q): Query<HashMap<String, String>>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id: WithdrawalId = id.parse().map_err(|_| PageError::NotFound)?;
    if !state.store.withdrawals.resolve_duplicate(&id).await? {
        return Err(PageError::NotFound);
    }
    tracing::info!(withdrawal = %id, staff = staff.id, "duplicate debit marked as reversed");
    Ok(back("reversed", &q))
}
