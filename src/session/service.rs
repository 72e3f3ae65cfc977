use axum::http::HeaderMap;

use super::cookie::{hash, new_session_id, session_ids};
use super::model::{Prefs, Session, TraderIdentity};
use crate::domain::Login;
use crate::domain::{Lang, PageContext, Source, Theme, TraderView};
use crate::state::AppState;
use crate::store::{SessionRecord, StoreError};

/// How often an active session's `last_seen_at` is written (not on every request).
const TOUCH_EVERY_MS: i64 = 60_000;

/// Creates a session for a freshly identified trader; returns the cookie value.
/// `switched_from`: the account of a live session this one replaces, shown on the first page.
/// `kyc_type`: the configured kycType the opening link named, if any.
pub async fn create(
    state: &AppState,
    trader: &TraderIdentity,
    prefs: Prefs,
    switched_from: Option<Login>,
    kyc_type: Option<String>,
) -> Result<String, StoreError> {
    let id = new_session_id();
    let now = state.clock.now_ms();
    let record = SessionRecord {
        id_hash: hash(&id),
        user_id: trader.user_id,
        trader_id: trader.trader_id,
        account_id: trader.account_id,
        login: trader.login,
        broker_name: trader.broker_name.clone(),
        trader_name: trader.name.clone(),
        currency: trader.currency.clone(),
        lang: prefs.lang.code().into(),
        theme: prefs.theme.as_str().into(),
        source: prefs.source.as_str().into(),
        created_at: now,
        last_seen_at: now,
        expires_at: now + state.settings.session.absolute_minutes as i64 * 60_000,
        switched_from,
        kyc_type,
        kyc_back: None,
    };
    state.store.sessions.insert(&record).await?;
    Ok(id)
}

/// The live session named by the request's cookie, if any. Expired sessions
/// are deleted on sight.
pub async fn load_from_headers(state: &AppState, headers: &HeaderMap) -> Result<Option<Session>, StoreError> {
    for id in session_ids(headers, &state.settings.session.cookie_name) {
        if let Some(session) = live(state, &hash(&id)).await? {
            return Ok(Some(session));
        }
    }
    Ok(None)
}

/// The session with this id hash, if it is live (an expired one is deleted on sight).
pub async fn live(state: &AppState, id_hash: &str) -> Result<Option<Session>, StoreError> {
    let idle_ms = state.settings.session.idle_minutes as i64 * 60_000;
    let now = state.clock.now_ms();
    let Some(r) = state.store.sessions.find(id_hash).await? else { return Ok(None) };
    if r.expires_at <= now || r.last_seen_at + idle_ms <= now {
        state.store.sessions.delete(id_hash).await?;
        return Ok(None);
    }
    Ok(Some(from_record(r)))
}

/// Records activity and new display choices, writing only when something changed.
pub async fn touch(state: &AppState, session: &mut Session, prefs: Prefs) -> Result<(), StoreError> {
    let now = state.clock.now_ms();
    if prefs != session.prefs || now - session.last_seen_at >= TOUCH_EVERY_MS {
        state.store.sessions.touch(&session.id_hash, now, prefs.lang.code(), prefs.theme.as_str(), prefs.source.as_str()).await?;
        session.prefs = prefs;
        session.last_seen_at = now;
    }
    Ok(())
}

pub async fn delete_all(state: &AppState, headers: &HeaderMap) -> Result<(), StoreError> {
    for id in session_ids(headers, &state.settings.session.cookie_name) {
        state.store.sessions.delete(&hash(&id)).await?;
    }
    Ok(())
}

fn from_record(r: SessionRecord) -> Session {
    Session {
        prefs: Prefs {
            lang: Lang::parse(&r.lang).unwrap_or_default(),
            theme: Theme::parse(&r.theme).unwrap_or_default(),
            source: Source::parse(&r.source).unwrap_or_default(),
        },
        trader: TraderIdentity {
            user_id: r.user_id,
            trader_id: r.trader_id,
            account_id: r.account_id,
            login: r.login,
            name: r.trader_name,
            currency: r.currency,
            broker_name: r.broker_name,
        },
        id_hash: r.id_hash,
        created_at: r.created_at,
        last_seen_at: r.last_seen_at,
        expires_at: r.expires_at,
        switched_from: r.switched_from,
        kyc_type: r.kyc_type,
        kyc_back: r.kyc_back.as_deref().and_then(crate::domain::limits::BackTo::parse),
    }
}

/// What the screen's frame shows: the broker's brand, the trader, the choices.
pub fn page_context(state: &AppState, prefs: Prefs, session: Option<&Session>) -> PageContext {
    let s = &state.settings;
    let brand = state.theme.current();
    PageContext {
        lang: prefs.lang,
        theme: prefs.theme,
        source: prefs.source,
        broker_name: brand.broker_name.clone(),
        legal_entity: brand.legal_entity.clone(),
        logo_url: brand.logo.clone(),
        footer: brand.footer_for(prefs.lang),
        close_url: s.urls.close.clone(),
        simulator: s.uses_simulator(),
        parent_origins: s.notify.parent_origins.clone(),
        trader: session.map(|sess| TraderView {
            name: sess.trader.name.clone(),
            login: sess.trader.login,
            user_id: sess.trader.user_id,
            trader_id: sess.trader.trader_id,
            account_id: sess.trader.account_id,
            currency: sess.trader.currency.clone(),
            switched_from: sess.switched_from,
        }),
    }
}
