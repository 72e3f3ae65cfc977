//! The middleware in front of every `/inapp` screen.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::cookie::{hash, set_cookie};
use super::model::{Prefs, TraderIdentity};
use super::service;
use crate::config::IdentityMode;
use crate::ctrader::{CtraderError, OtIdentity};
use crate::domain::{query_values, without_param, ErrorCode, Login};
use crate::render;
use crate::sso::SsoError;
use crate::state::AppState;
use crate::store::Claim;

/// With `token` in the query: redeem it (once), start a session and redirect
/// to the same URL without it. Without: find the session or show the
/// "reopen from the platform" page.
pub async fn inapp_gate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    // leptos_axum registers server functions on the same router; they find
    // the session themselves (`session::require`).
    if !req.uri().path().starts_with("/inapp/") {
        return next.run(req).await;
    }
    let raw_query = req.uri().query().unwrap_or("").to_string();
    let tokens = query_values(&raw_query, "token");
    let existing = match service::load_from_headers(&state, req.headers()).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "session lookup failed");
            return fail(&state, req.headers(), Prefs::from_query(&raw_query, Prefs::default()), ErrorCode::Internal);
        }
    };
    if !tokens.is_empty() {
        let token = tokens.iter().find(|t| !t.is_empty()).cloned().unwrap_or_default();
        let (path, headers) = (req.uri().path().to_string(), req.headers().clone());
        let replaced = existing.as_ref().map(|s| s.trader.login);
        return exchange(&state, &path, &headers, &raw_query, &token, replaced).await;
    }
    let Some(mut session) = existing else {
        return fail(&state, req.headers(), Prefs::from_query(&raw_query, Prefs::default()), ErrorCode::SessionExpired);
    };
    let prefs = Prefs::from_query(&raw_query, session.prefs);
    if let Err(e) = service::touch(&state, &mut session, prefs).await {
        tracing::error!(error = %e, "session touch failed");
        return fail(&state, req.headers(), prefs, ErrorCode::Internal);
    }
    let page = service::page_context(&state, prefs, Some(&session));
    if session.switched_from.is_some() {
        // Said once, on this page.
        if let Err(e) = state.store.sessions.clear_switched(&session.id_hash).await {
            tracing::warn!(error = %e, "clearing the account switch notice failed");
        }
    }
    req.extensions_mut().insert(page);
    req.extensions_mut().insert(session);
    next.run(req).await
}

/// The exchange's budget: two cTrader timeouts, so one slow call still
/// leaves room for the trader read.
fn exchange_budget(ctrader_timeout_ms: u64) -> Duration {
    Duration::from_millis(ctrader_timeout_ms.saturating_mul(2))
}

/// Tokens are opaque, but nothing longer or stranger than this is worth a call.
fn plausible(token: &str) -> bool {
    (8..=512).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'+' | b'/' | b'='))
}

/// `replaced`: the account of the live session the browser brought, if any.
async fn exchange(state: &AppState, path: &str, headers: &HeaderMap, raw_query: &str, token: &str, replaced: Option<Login>) -> Response {
    let prefs = Prefs::from_query(raw_query, Prefs::default());
    if !plausible(token) {
        return fail(state, headers, prefs, ErrorCode::InvalidOtToken);
    }
    let token_hash = hash(token);
    match state.store.token_claims.claim(&token_hash, state.clock.now_ms()).await {
        Ok(Claim::Won) => {}
        Ok(Claim::Taken) => return fail(state, headers, prefs, ErrorCode::TokenExpired),
        Err(e) => {
            tracing::error!(error = %e, "token claim failed");
            return fail(state, headers, prefs, ErrorCode::Internal);
        }
    }
    // One deadline for the whole exchange: a manager sign-in, a retry after a
    // refused manager token and the trader read must not add up to minutes
    // of a blank embedded browser.
    let deadline = tokio::time::Instant::now() + exchange_budget(state.settings.ctrader.timeout_ms);
    let resolved = match state.settings.identity.mode {
        IdentityMode::CtraderToken => with_ctrader(state, token, &token_hash, deadline).await,
        IdentityMode::FullSso => {
            let found = locally(state, token).await;
            if found == Err(ErrorCode::Internal) {
                // Our own storage failed: the token was not used up; let a retry use it.
                if let Err(e) = state.store.token_claims.release(&token_hash).await {
                    tracing::error!(error = %e, "token claim release failed");
                }
            }
            found
        }
    };
    let identity = match resolved {
        Ok(identity) => identity,
        Err(code) => return fail(state, headers, prefs, code),
    };
    // The name and currency are for display; the session works without them.
    let read = tokio::time::timeout_at(deadline, state.ctrader.trader(identity.login))
        .await
        .unwrap_or_else(|_| Err(CtraderError::Unavailable("no answer before the exchange deadline".into())));
    let (name, currency) = match read {
        Ok(t) => (t.display_name(), Some(t.deposit_currency)),
        Err(CtraderError::NotFound) => return fail(state, headers, prefs, ErrorCode::UserNotFound),
        Err(e) => {
            tracing::warn!(error = %e, login = %identity.login, "trader read failed; continuing without a name");
            (None, None)
        }
    };
    let trader = TraderIdentity {
        user_id: identity.user_id,
        trader_id: identity.trader_id,
        account_id: identity.account_id,
        login: identity.login,
        name,
        currency,
        broker_name: identity.broker_name,
    };
    // Never adopt a session id the browser brought along: drop it, mint a new one.
    if let Err(e) = service::delete_all(state, headers).await {
        tracing::warn!(error = %e, "old session delete failed");
    }
    // A link for another account than the one this browser is in switches
    // accounts (cTrader opens one when the trader changes account), never
    // silently: the first page names both (someone else's link, sent to trap
    // a trader into their account, shows itself).
    let switched_from = replaced.filter(|old| *old != trader.login);
    if let Some(old) = switched_from {
        tracing::info!(from = %old, to = %trader.login, "a link for another account replaced the session");
    }
    // The level the broker's link asks for, kept with the session: later
    // requests cannot name another.
    let kyc_type = query_values(raw_query, "kycType").into_iter().find(|t| state.settings.kyc.types.contains_key(t.as_str()));
    let id = match service::create(state, &trader, prefs, switched_from, kyc_type).await {
        Ok(id) => id,
        Err(e) => {
            tracing::error!(error = %e, "session create failed");
            return fail(state, headers, prefs, ErrorCode::Internal);
        }
    };
    tracing::info!(login = %trader.login, "session started from one-time token");
    let rest = without_param(raw_query, "token");
    let location = if rest.is_empty() { path.to_string() } else { format!("{path}?{rest}") };
    let mut res = StatusCode::SEE_OTHER.into_response();
    let h = res.headers_mut();
    h.insert(header::LOCATION, HeaderValue::from_str(&location).unwrap_or(HeaderValue::from_static("/")));
    h.insert(header::SET_COOKIE, set_cookie(&state.settings, &id));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// cTrader's one-time token: resolved with cTrader, within the deadline.
async fn with_ctrader(state: &AppState, token: &str, token_hash: &str, deadline: tokio::time::Instant) -> Result<OtIdentity, ErrorCode> {
    let resolved = tokio::time::timeout_at(deadline, state.ctrader.resolve_ot(token))
        .await
        .unwrap_or_else(|_| Err(CtraderError::Unavailable("no answer before the exchange deadline".into())));
    let e = match resolved {
        Ok(identity) => return Ok(identity),
        Err(e) => e,
    };
    let code = match &e {
        CtraderError::NotFound | CtraderError::Rejected { .. } => ErrorCode::InvalidOtToken,
        CtraderError::Gone => ErrorCode::TokenExpired,
        CtraderError::NoUser | CtraderError::Protocol(_) => ErrorCode::UserNotFound,
        CtraderError::Unavailable(_) | CtraderError::Unauthorized => ErrorCode::PlatformUnavailable,
    };
    if code == ErrorCode::PlatformUnavailable {
        // The token was not consumed as far as we know: let a retry use it.
        if let Err(e) = state.store.token_claims.release(token_hash).await {
            tracing::error!(error = %e, "token claim release failed");
        }
        tracing::warn!(error = %e, "one-time token resolution failed");
    } else {
        tracing::info!(code = code.code(), "one-time token refused");
    }
    Err(code)
}

/// Full SSO: the token is one this server generated (4.4); checked here.
async fn locally(state: &AppState, token: &str) -> Result<OtIdentity, ErrorCode> {
    match crate::sso::service::redeem_screen_token(state, token).await {
        Ok(user) => Ok(OtIdentity { user_id: user.user_id, trader_id: None, account_id: None, login: user.login, broker_name: None, email: Some(user.email) }),
        Err(e) => {
            let code = match e {
                SsoError::OtExpired => ErrorCode::TokenExpired,
                SsoError::Internal => ErrorCode::Internal,
                _ => ErrorCode::InvalidOtToken,
            };
            tracing::info!(code = code.code(), "one-time token refused");
            Err(code)
        }
    }
}

fn fail(state: &AppState, headers: &HeaderMap, prefs: Prefs, code: ErrorCode) -> Response {
    if render::wants_json(headers) {
        return render::error_json(code);
    }
    let page = service::page_context(state, prefs, None);
    render::error_page(&page, &state.css_href(), code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exchange_gets_two_ctrader_timeouts() {
        assert_eq!(exchange_budget(400), Duration::from_millis(800));
        assert_eq!(exchange_budget(10_000), Duration::from_secs(20));
        assert_eq!(exchange_budget(u64::MAX), Duration::from_millis(u64::MAX), "no overflow");
    }
}
