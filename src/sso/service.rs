//! The token rules of Full SSO, independent of HTTP: what each call checks,
//! issues and stores. Tokens are 256 random bits; only their SHA-256 is kept.

use axum::http::HeaderMap;
use secrecy::ExposeSecret;

use super::SsoError;
use crate::domain::Login;
use crate::security::password::{hash_password, verify, Queue};
use crate::session::{hash, new_session_id};
use crate::state::AppState;
use crate::store::{AccessCheck, OneTime, SsoUser, Store};

const HOUR_MS: i64 = 3_600_000;

fn one_time_ms(state: &AppState) -> i64 {
    state.settings.identity.one_time_ttl_seconds as i64 * 1000
}

/// 4.1: the configured password buys a CRM API token. Returns it and its lifetime in seconds.
pub async fn issue_crm_token(state: &AppState, password: &str) -> Result<(String, i64), SsoError> {
    // No lock-out here (anyone could lock cTrader out): after repeated wrong
    // passwords every try waits a second, which makes guessing hopeless but
    // lets the right password through.
    if crate::security::throttle::crm_locked(state).await? {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    let ok = verify(Queue::CrmApi, password, Some(state.settings.identity.crm_password_hash.expose_secret())).await?;
    if !ok {
        tracing::info!("crm api token refused: wrong password");
        crate::security::throttle::crm_failed(state).await?;
        return Err(SsoError::WrongPassword);
    }
    crate::security::throttle::crm_succeeded(state).await?;
    let token = new_session_id();
    let now = state.clock.now_ms();
    let ttl = state.settings.identity.crm_token_ttl_hours as i64 * HOUR_MS;
    state.store.sso.insert_crm_token(&hash(&token), now, now + ttl).await?;
    tracing::info!("crm api token issued");
    Ok((token, ttl / 1000))
}

/// The CRM API token of a request, from `Authorization: Bearer …` only: a
/// token in a URL would end up in proxies' and load balancers' logs.
pub async fn require_crm_token(state: &AppState, headers: &HeaderMap) -> Result<(), SsoError> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|v| v.trim().to_string());
    let Some(token) = token.filter(|t| !t.is_empty()) else { return Err(SsoError::MissingCrmToken) };
    if token.len() > 512 || !state.store.sso.crm_token_valid(&hash(&token), state.clock.now_ms()).await? {
        return Err(SsoError::InvalidCrmToken);
    }
    Ok(())
}

fn one_time_error(found: OneTime) -> Result<SsoUser, SsoError> {
    match found {
        OneTime::Redeemed(user) => Ok(user),
        OneTime::Expired => Err(SsoError::OtExpired),
        OneTime::Invalid => Err(SsoError::InvalidOtToken),
    }
}

/// What 4.2 answers.
pub struct Authorized {
    pub user_id: i64,
    pub access_token: String,
    pub inapp_token: String,
}

/// 4.2: a sign-in code (single use, short-lived) becomes a long-term access token.
pub async fn authorize_code(state: &AppState, code: &str) -> Result<Authorized, SsoError> {
    if code.is_empty() || code.len() > 512 {
        return Err(SsoError::InvalidOtToken);
    }
    let now = state.clock.now_ms();
    let user = one_time_error(state.store.sso.redeem_one_time(&hash(code), "code", now).await?)?;
    let (access_token, inapp_token) = (new_session_id(), new_session_id());
    let ttl = state.settings.identity.access_token_ttl_days as i64 * 24 * HOUR_MS;
    let id = format!("at_{}", uuid::Uuid::new_v4().simple());
    state.store.sso.insert_access_token(&id, &hash(&access_token), user.user_id, &hash(&inapp_token), now, now + ttl).await?;
    tracing::info!(user_id = user.user_id, access_token_id = %id, "access token issued");
    Ok(Authorized { user_id: user.user_id, access_token, inapp_token })
}

/// 4.3: a stored access token names its user again (and gets a fresh inappToken).
pub async fn authorize_access(state: &AppState, access_token: &str) -> Result<(i64, String), SsoError> {
    if access_token.is_empty() || access_token.len() > 512 {
        return Err(SsoError::InvalidAccessToken);
    }
    let inapp = new_session_id();
    match state.store.sso.use_access_token(&hash(access_token), &hash(&inapp), state.clock.now_ms()).await? {
        AccessCheck::Valid(user) => Ok((user.user_id, inapp)),
        AccessCheck::Revoked => Err(SsoError::AccessRevoked),
        AccessCheck::Invalid => Err(SsoError::InvalidAccessToken),
    }
}

/// 4.4: a one-time token for a screen link, for a known user (and, when
/// given, the inappToken of one of their live access tokens).
pub async fn generate_screen_token(state: &AppState, user_id: i64, inapp_token: Option<&str>) -> Result<String, SsoError> {
    let now = state.clock.now_ms();
    let Some(user) = state.store.sso.user(user_id).await? else { return Err(SsoError::UserNotFound) };
    match inapp_token {
        Some(inapp) => {
            if inapp.len() > 512 || !state.store.sso.inapp_token_valid(user.user_id, &hash(inapp), now).await? {
                return Err(SsoError::InvalidInappToken);
            }
        }
        // Without an inappToken the user must still hold a live access token:
        // revoking a user's sign-ins stops their screen links too.
        None => {
            if !state.store.sso.has_live_access(user.user_id, now).await? {
                return Err(SsoError::NoAccessToken);
            }
        }
    }
    let token = new_session_id();
    state.store.sso.insert_one_time(&hash(&token), "screen", user.user_id, now, now + one_time_ms(state)).await?;
    Ok(token)
}

/// A first login on the sign-in page: the code the app hands to cTrader.
pub async fn sign_in(state: &AppState, email: &str, password: &str) -> Result<Option<String>, SsoError> {
    let user = state.store.sso.user_by_email(&email.trim().to_ascii_lowercase()).await?;
    let ok = verify(Queue::SignIn, password, user.as_ref().map(|u| u.password_hash.as_str())).await?;
    let Some(user) = user.filter(|_| ok) else { return Ok(None) };
    let code = new_session_id();
    let now = state.clock.now_ms();
    state.store.sso.insert_one_time(&hash(&code), "code", user.user_id, now, now + one_time_ms(state)).await?;
    tracing::info!(user_id = user.user_id, "sso sign-in");
    Ok(Some(code))
}

/// A screen link's token in Full SSO mode: validated here, used up once.
pub async fn redeem_screen_token(state: &AppState, token: &str) -> Result<SsoUser, SsoError> {
    one_time_error(state.store.sso.redeem_one_time(&hash(token), "screen", state.clock.now_ms()).await?)
}

#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("the email must look like name@example.com")]
    BadEmail,
    #[error("the password must be at least 12 characters")]
    WeakPassword,
    #[error("the login must be a positive trading account number")]
    BadLogin,
    #[error("a user with this email already exists")]
    Exists,
    #[error("{0}")]
    Store(#[from] crate::store::StoreError),
}

/// Creates a CRM user (for `broker-inapp create-user` and tests): email,
/// password (argon2-hashed) and the trading login they open screens for.
pub async fn create_user(store: &Store, email: &str, password: &str, login: Login) -> Result<i64, CreateUserError> {
    let email = email.trim().to_ascii_lowercase();
    if email.len() > 254 || !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        return Err(CreateUserError::BadEmail);
    }
    if password.chars().count() < 12 {
        return Err(CreateUserError::WeakPassword);
    }
    if login.get() > 2_000_000_000 {
        return Err(CreateUserError::BadLogin);
    }
    let hashed = hash_password(password);
    store.sso.create_user(&email, &hashed, login, crate::time::now_ms()).await?.ok_or(CreateUserError::Exists)
}
