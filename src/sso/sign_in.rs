//! `/oauth2/sign-in`: the broker's own sign-in form, shown by the trading app
//! on a first login (cTrader's Full SSO first login, stages 1–7). A right email and password
//! send the browser to `identity.app_redirect_url?code=…`, a one-time code
//! that cTrader exchanges at 4.2.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use leptos::prelude::*;

use crate::components::Frame;
use crate::domain::{ErrorCode, Lang, PageContext};
use crate::i18n::t;
use crate::render::{document, error_page, html_response};
use crate::security::throttle;
use crate::session::{page_context, Prefs};
use crate::state::AppState;
use crate::web::ClientAddr;

fn context(state: &AppState, q: &HashMap<String, String>) -> PageContext {
    let lang = q.get("lang").and_then(|l| Lang::parse(l)).unwrap_or_default();
    page_context(state, Prefs { lang, ..Prefs::default() }, None)
}

fn page(state: &AppState, ctx: &PageContext, problem: Option<(&'static str, StatusCode)>) -> Response {
    let lang = ctx.lang;
    let title = t(lang, "sso.title");
    let action = format!("/oauth2/sign-in?lang={}", lang.code());
    let html = document(ctx, &state.css_href(), title.clone(), move || {
        view! {
            <Frame title=title.clone()>
                <form method="post" action=action class="space-y-3 rounded-xl border border-border bg-surface p-4">
                    <p class="text-muted">{t(lang, "sso.lead")}</p>
                    {problem.map(|(key, _)| view! { <p role="alert" class="text-danger font-medium" data-testid="sso-error">{t(lang, key)}</p> })}
                    <label for="email" class="block font-medium">{t(lang, "sso.email")}</label>
                    <input id="email" name="email" type="email" autocomplete="username" required
                        class="w-full rounded-lg border border-border bg-bg p-3"/>
                    <label for="password" class="block font-medium">{t(lang, "sso.password")}</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required
                        class="w-full rounded-lg border border-border bg-bg p-3"/>
                    <button class="w-full rounded-lg min-h-11 bg-brand text-brand-contrast font-semibold">{t(lang, "sso.submit")}</button>
                </form>
            </Frame>
        }
        .into_any()
    });
    let mut res = html_response(problem.map_or(StatusCode::OK, |(_, status)| status), html);
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

pub async fn form(State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Response {
    page(&state, &context(&state, &q), None)
}

pub async fn submit(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Query(q): Query<HashMap<String, String>>,
    headers: axum::http::HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let ctx = context(&state, &q);
    let (email, password) = (form.get("email").cloned().unwrap_or_default(), form.get("password").cloned().unwrap_or_default());
    const WRONG: (&str, StatusCode) = ("sso.wrong", StatusCode::UNAUTHORIZED);
    if email.len() > 254 || password.len() > 1024 {
        return page(&state, &ctx, Some(WRONG));
    }
    let attempt = match throttle::begin(&state, "sso", &email, client, &headers).await {
        Ok(Some(attempt)) => attempt,
        Ok(None) => return page(&state, &ctx, Some(("sso.too_many", StatusCode::TOO_MANY_REQUESTS))),
        Err(_) => return error_page(&ctx, &state.css_href(), ErrorCode::Internal),
    };
    match super::service::sign_in(&state, &email, &password).await {
        Ok(Some(code)) => {
            let device = throttle::succeeded(&state, attempt).await;
            let target = &state.settings.identity.app_redirect_url;
            let sep = if target.contains('?') { '&' } else { '?' };
            match HeaderValue::from_str(&format!("{target}{sep}code={code}")) {
                Ok(location) => {
                    let mut res = StatusCode::SEE_OTHER.into_response();
                    res.headers_mut().insert(header::LOCATION, location);
                    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                    if let Ok(device) = device {
                        res.headers_mut().append(header::SET_COOKIE, device);
                    }
                    res
                }
                Err(_) => error_page(&ctx, &state.css_href(), ErrorCode::Internal),
            }
        }
        // The try stays counted.
        Ok(None) => page(&state, &ctx, Some(WRONG)),
        Err(e) => {
            throttle::abandoned(&state, attempt).await;
            let mut res = error_page(&ctx, &state.css_href(), ErrorCode::Internal);
            if e == super::SsoError::Busy {
                // Not our failure: too many sign-ins at once. The same page, told to retry.
                *res.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
                res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            res
        }
    }
}
