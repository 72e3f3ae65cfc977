//! Back-office pages: server-rendered HTML forms, no WASM needed.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use leptos::prelude::*;

use super::auth::{self, Role};
use crate::domain::DepositId;
use crate::domain::{format_amount, DepositState, Lang, PageContext};
use crate::i18n::{t, t_with};
use crate::render::{document, html_response};
use crate::security::throttle;
use crate::session::{page_context, Prefs};
use crate::state::AppState;
use crate::store::DepositRecord;
use crate::web::{Admins, AnyStaff, ClientAddr, PageError, Staff};

pub(super) fn page(state: &AppState, query: &HashMap<String, String>) -> PageContext {
    let lang = query.get("lang").and_then(|l| Lang::parse(l)).unwrap_or_default();
    page_context(state, Prefs { lang, ..Prefs::default() }, None)
}

pub(super) fn redirect(to: &'static str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
}

/// A back-office page: personal data, never cached.
pub(super) fn no_store(html: String) -> Response {
    let mut res = html_response(StatusCode::OK, html);
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// One page of a back-office list of `total` rows, `per` a page; the query
/// names it with `key` (`page`, or another name where one screen has several
/// lists), counted from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Paging {
    pub page: i64,
    pub per: i64,
    pub total: i64,
    pub key: &'static str,
}

impl Paging {
    /// The page the query asks for, kept within the pages there are: a link
    /// from when the list was longer opens its last page, not an empty one.
    pub fn from_query(query: &HashMap<String, String>, key: &'static str, per: i64, total: i64) -> Paging {
        let asked = query.get(key).and_then(|p| p.parse::<i64>().ok()).unwrap_or(1);
        let pages = ((total.max(0) + per - 1) / per).max(1);
        Paging { page: asked.clamp(1, pages), per, total, key }
    }

    pub fn pages(self) -> i64 {
        ((self.total.max(0) + self.per - 1) / self.per).max(1)
    }

    pub fn offset(self) -> i64 {
        (self.page - 1) * self.per
    }
}

/// "Page 2 of 7" with links to the pages either side; `href` is the list's
/// address with its other parameters, ending in `?` or `&`.
#[component]
pub(super) fn Pager(lang: Lang, paging: Paging, href: String) -> impl IntoView {
    let pages = paging.pages();
    let key = paging.key;
    let link = move |page: i64, label: &str, testid: &'static str| {
        view! { <a class="underline inline-flex items-center min-h-11 px-2" href=format!("{href}{key}={page}") data-testid=testid>{t(lang, label)}</a> }
    };
    let previous = (paging.page > 1).then(|| link(paging.page - 1, "backoffice.page_previous", "page-previous"));
    let next = (paging.page < pages).then(|| link(paging.page + 1, "backoffice.page_next", "page-next"));
    (pages > 1).then(|| {
        view! {
            <nav class="flex flex-wrap items-center gap-2 text-sm" aria-label=t(lang, "backoffice.pages") data-pager=key>
                {previous}
                <span data-testid="page-of">{t_with(lang, "backoffice.page_of", &[("page", &paging.page.to_string()), ("pages", &pages.to_string())])}</span>
                {next}
            </nav>
        }
    })
}

/// A back-office list: `empty` when there are no rows, else a table with
/// `headers` (already translated) over the rows given as children, in a
/// region named `label`.
#[component]
pub(super) fn ListTable(is_empty: bool, empty: String, label: String, headers: Vec<String>, children: Children) -> impl IntoView {
    if is_empty {
        return view! { <p class="text-muted">{empty}</p> }.into_any();
    }
    view! {
        <TableScroll label=label>
            <table class="w-full text-sm">
                <thead><tr>
                    {headers.into_iter().map(|h| view! { <th scope="col" class="p-2 text-start">{h}</th> }).collect_view()}
                </tr></thead>
                <tbody>{children()}</tbody>
            </table>
        </TableScroll>
    }
    .into_any()
}

/// The box a wide table scrolls in at phone width: focusable, so a keyboard
/// can scroll it, and named, so a screen reader says what it holds.
#[component]
pub(super) fn TableScroll(label: String, children: Children) -> impl IntoView {
    view! {
        <div class="overflow-x-auto rounded-xl border border-border bg-surface" tabindex="0" role="region" aria-label=label>
            {children()}
        </div>
    }
}

#[component]
pub(super) fn Shell(title: String, children: Children) -> impl IntoView {
    let ctx = crate::components::use_page();
    view! {
        <div class="min-h-screen bg-bg text-text">
            <header class="flex items-center gap-3 px-4 py-3 border-b border-border bg-surface">
                <img src=ctx.logo_url.clone() alt="" class="h-8 w-8" width="32" height="32"/>
                <span class="font-semibold">{ctx.broker_name.clone()}</span>
                <span class="text-muted">{t(ctx.lang, "backoffice.title")}</span>
                <nav class="ms-auto flex flex-wrap gap-4" aria-label=t(ctx.lang, "backoffice.title")>
                    <a href="/backoffice" class="underline">{t(ctx.lang, "backoffice.nav_deposits")}</a>
                    <a href="/backoffice/kyc" class="underline" data-testid="nav-kyc">{t(ctx.lang, "backoffice.nav_kyc")}</a>
                    <a href="/backoffice/chat" class="underline" data-testid="nav-chat">{t(ctx.lang, "backoffice.nav_chat")}</a>
                    <a href="/backoffice/requests" class="underline" data-testid="nav-requests">{t(ctx.lang, "backoffice.nav_requests")}</a>
                    <a href="/backoffice/bank" class="underline" data-testid="nav-bank">{t(ctx.lang, "backoffice.bank.title")}</a>
                    <a href="/backoffice/withdrawals" class="underline" data-testid="nav-withdrawals">{t(ctx.lang, "backoffice.withdrawals.title")}</a>
                    <a href="/backoffice/sso" class="underline" data-testid="nav-sso">{t(ctx.lang, "backoffice.nav_sso")}</a>
                </nav>
            </header>
            <main class="max-w-5xl mx-auto p-4 space-y-4">
                <h1 class="text-2xl font-bold">{title}</h1>
                {children()}
            </main>
        </div>
    }
}

fn sign_in_page(state: &AppState, ctx: &PageContext, problem: Option<Problem>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "backoffice.sign_in");
    let html = document(ctx, &state.css_href(), title.clone(), move || {
        view! {
            <Shell title=title.clone()>
                <form method="post" action="/backoffice/sign-in" class="max-w-sm space-y-3 rounded-xl border border-border bg-surface p-4">
                    {problem.map(|p| view! { <p role="alert" class="text-danger font-medium" data-testid="sign-in-error">{t(lang, p.key())}</p> })}
                    <label for="email" class="block font-medium">{t(lang, "backoffice.email")}</label>
                    <input id="email" name="email" type="email" autocomplete="username" required
                        class="w-full rounded-lg border border-border bg-bg p-3"/>
                    <label for="password" class="block font-medium">{t(lang, "backoffice.password")}</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required
                        class="w-full rounded-lg border border-border bg-bg p-3"/>
                    <button class="w-full rounded-lg min-h-11 bg-brand text-brand-contrast font-semibold">{t(lang, "backoffice.sign_in")}</button>
                </form>
            </Shell>
        }
        .into_any()
    });
    html_response(problem.map_or(StatusCode::OK, Problem::status), html)
}

/// Why a sign-in was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Problem {
    Wrong,
    TooMany,
}

impl Problem {
    pub(crate) fn key(self) -> &'static str {
        match self {
            Problem::Wrong => "backoffice.wrong",
            Problem::TooMany => "backoffice.too_many",
        }
    }

    pub(crate) fn status(self) -> StatusCode {
        match self {
            Problem::Wrong => StatusCode::UNAUTHORIZED,
            Problem::TooMany => StatusCode::TOO_MANY_REQUESTS,
        }
    }
}

pub async fn sign_in_form(State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Response {
    sign_in_page(&state, &page(&state, &q), None)
}

pub async fn sign_in(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let ctx = page(&state, &q);
    let (email, password) = (form.get("email").cloned().unwrap_or_default(), form.get("password").cloned().unwrap_or_default());
    if email.len() > 254 || password.len() > 1024 {
        return Ok(sign_in_page(&state, &ctx, Some(Problem::Wrong)));
    }
    let Some(attempt) = throttle::begin(&state, "staff", &email, client, &headers).await? else {
        tracing::warn!("staff sign-in refused: too many failed attempts from this address or for this email");
        return Ok(sign_in_page(&state, &ctx, Some(Problem::TooMany)));
    };
    let checked = match auth::sign_in(&state, &email, &password).await {
        Ok(checked) => checked,
        Err(e) => {
            throttle::abandoned(&state, attempt).await;
            return Err(e);
        }
    };
    let Some((staff, cookie)) = checked else {
        tracing::info!("staff sign-in refused");
        return Ok(sign_in_page(&state, &ctx, Some(Problem::Wrong)));
    };
    let device = throttle::succeeded(&state, attempt).await;
    tracing::info!(staff = staff.id, "staff signed in");
    let mut res = redirect("/backoffice");
    res.headers_mut().insert(header::SET_COOKIE, cookie);
    match device {
        Ok(device) => {
            res.headers_mut().append(header::SET_COOKIE, device);
        }
        Err(e) => tracing::warn!(error = %e, "clearing failed sign-ins failed"),
    }
    Ok(res)
}

pub async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, PageError> {
    let clear = auth::sign_out(&state, &headers).await?;
    let mut res = redirect("/backoffice/sign-in");
    res.headers_mut().insert(header::SET_COOKIE, clear);
    Ok(res)
}

fn deposit_rows(lang: Lang, deposits: Vec<DepositRecord>, admin: bool) -> impl IntoView {
    deposits
        .into_iter()
        .map(|d| {
            let amount = format_amount(rust_decimal::Decimal::new(d.confirmed_minor.unwrap_or(d.requested_minor), d.digits), d.digits);
            let state = d.state.as_str();
            // Only a confirmed amount can be credited; a provider mismatch
            // (no confirmed amount) is settled with the provider instead.
            let retry = (admin && d.state == DepositState::Review && d.confirmed_minor.is_some()).then(|| {
                view! {
                    <form method="post" action=format!("/backoffice/deposits/{}/retry-credit", d.id)>
                        <button class="rounded-lg border border-border min-h-11 px-3" data-testid="retry-credit">{t(lang, "backoffice.retry_credit")}</button>
                    </form>
                }
            });
            view! {
                <tr class="border-t border-border" data-testid="bo-deposit" data-state=state>
                    <td class="p-2 font-mono text-xs">{d.id}</td>
                    <td class="p-2">{d.login}</td>
                    <td class="p-2">{format!("{amount} {}", d.currency)}</td>
                    <td class="p-2">{t(lang, &format!("deposit.state.{state}"))}</td>
                    <td class="p-2">{d.failure_reason.unwrap_or_default()}</td>
                    <td class="p-2">{crate::time::rfc3339(d.created_at)}</td>
                    <td class="p-2">{retry}</td>
                </tr>
            }
        })
        .collect_view()
}

/// How many deposits a dashboard page lists.
const DEPOSITS_PER_PAGE: i64 = 50;

/// The deposits part of the dashboard: the double-credit alert, what needs
/// action, and one page of deposits (a state's queue oldest first, or all newest first).
struct DepositsView {
    twice: Vec<crate::store::DuplicateCredit>,
    twice_paging: Paging,
    in_review: i64,
    state: Option<DepositState>,
    list: Vec<DepositRecord>,
    paging: Paging,
}

async fn deposits_view(state: &AppState, q: &HashMap<String, String>) -> Result<DepositsView, PageError> {
    let store = &state.store.deposits;
    let filter = q.get("state").and_then(|s| DepositState::parse(s));
    let paging = Paging::from_query(q, "page", DEPOSITS_PER_PAGE, store.count(filter).await?);
    // Each one is money to correct: all of them reachable, oldest first.
    let twice_paging = Paging::from_query(q, "twice_page", DEPOSITS_PER_PAGE, store.duplicate_count().await?);
    Ok(DepositsView {
        twice: store.duplicate_credits(twice_paging.per, twice_paging.offset()).await?,
        twice_paging,
        in_review: store.count(Some(DepositState::Review)).await?,
        state: filter,
        list: store.page(filter, paging.per, paging.offset()).await?,
        paging,
    })
}

pub async fn dashboard(State(state): State<AppState>, staff: Staff<AnyStaff>, Query(q): Query<HashMap<String, String>>) -> Result<Response, PageError> {
    let ctx = page(&state, &q);
    let role = staff.role;
    // Deposits are money: admins, finance and support see them, compliance does not need to.
    let deposits = if matches!(role, Role::Admin | Role::Support | Role::Finance) { Some(deposits_view(&state, &q).await?) } else { None };
    let lang = ctx.lang;
    let title = t(lang, "backoffice.title");
    let html = document(&ctx, &state.css_href(), title.clone(), move || {
        let who = t_with(lang, "backoffice.signed_in_as", &[("email", &staff.email), ("role", role.as_str())]);
        view! {
            <Shell title=title.clone()>
                <div class="flex items-center justify-between gap-4">
                    <p data-testid="signed-in-as">{who}</p>
                    <form method="post" action="/backoffice/sign-out">
                        <button class="rounded-lg border border-border min-h-11 px-4">{t(lang, "backoffice.sign_out")}</button>
                    </form>
                </div>
                {deposits.map(|v| {
                    let filter = v.state.map(DepositState::as_str).unwrap_or_default();
                    let href = if filter.is_empty() { format!("/backoffice?lang={}&", lang.code()) } else { format!("/backoffice?state={filter}&lang={}&", lang.code()) };
                    let needs = (v.in_review > 0).then(|| view! {
                        <p role="status" class="rounded-lg border-2 border-warning p-3" data-testid="needs-action">
                            <a class="underline" href=format!("/backoffice?state=review&lang={}", lang.code())>
                                {t_with(lang, "backoffice.in_review", &[("count", &v.in_review.to_string())])}
                            </a>
                        </p>
                    });
                    let options = std::iter::once(("", t(lang, "backoffice.all_states")))
                        .chain(DepositState::ALL.iter().map(|s| (s.as_str(), t(lang, &format!("deposit.state.{}", s.as_str())))))
                        .map(|(value, label)| view! { <option value=value selected=value == filter>{label}</option> })
                        .collect_view();
                    view! {
                        {super::duplicates::alert(lang, v.twice, v.twice_paging, href.clone(), role == Role::Admin)}
                        {needs}
                        <section class="space-y-2">
                            <h2 class="text-lg font-semibold">{t(lang, "backoffice.deposits")}</h2>
                            <form method="get" action="/backoffice" class="flex flex-wrap items-end gap-2">
                                <input type="hidden" name="lang" value=lang.code()/>
                                <div class="space-y-1">
                                    <label for="deposit-state" class="block text-sm">{t(lang, "backoffice.filter_state")}</label>
                                    <select id="deposit-state" name="state" class="rounded-lg border border-border bg-bg p-2 min-h-11">{options}</select>
                                </div>
                                <button class="rounded-lg border border-border min-h-11 px-4" data-testid="deposit-filter">{t(lang, "backoffice.show")}</button>
                            </form>
                            <p class="text-sm text-muted" data-testid="deposit-total">{t_with(lang, "backoffice.total", &[("count", &v.paging.total.to_string())])}</p>
                            <TableScroll label=t(lang, "backoffice.deposits")>
                                <table class="w-full text-sm text-start">
                                    <thead><tr>
                                        <th scope="col" class="p-2 text-start">{t(lang, "backoffice.col_id")}</th>
                                        <th scope="col" class="p-2 text-start">{t(lang, "backoffice.col_login")}</th>
                                        <th scope="col" class="p-2 text-start">{t(lang, "deposit.amount")}</th>
                                        <th scope="col" class="p-2 text-start">{t(lang, "backoffice.col_state")}</th>
                                        <th scope="col" class="p-2 text-start">{t(lang, "backoffice.col_reason")}</th>
                                        <th scope="col" class="p-2 text-start">{t(lang, "backoffice.col_created")}</th>
                                        <th scope="col" class="p-2 text-start"><span class="sr-only">{t(lang, "backoffice.col_actions")}</span></th>
                                    </tr></thead>
                                    <tbody>{deposit_rows(lang, v.list, role == Role::Admin)}</tbody>
                                </table>
                            </TableScroll>
                            <Pager lang paging=v.paging href/>
                        </section>
                    }
                })}
            </Shell>
        }
        .into_any()
    });
    Ok(no_store(html))
}

/// An admin sends a paid deposit held for review back to the crediting
/// worker; its next attempt looks the deposit up in cTrader's balance history
/// before changing anything, so a retry cannot credit twice.
pub async fn retry_credit(State(state): State<AppState>, staff: Staff<Admins>, Path(id): Path<String>) -> Result<Response, PageError> {
    let id: DepositId = id.parse().map_err(|_| PageError::NotFound)?;
    if !state.store.deposits.requeue_credit(&id, crate::time::now_ms()).await? {
        return Err(PageError::NotFound);
    }
    tracing::info!(deposit = %id, staff = %staff.email, "credit sent back to the worker");
    state.credit_queued.notify_one();
    Ok(redirect("/backoffice"))
}
