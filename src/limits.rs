//! Verification levels as the deposit and withdrawal screens meet them:
//! which level a trader holds (the KYC type of their approved case, or
//! `unverified`), what it lets them deposit now, which KYC would let them
//! deposit more, and the cap a new deposit is inserted under. The
//! arithmetic is `domain::limits` (shared with the browser); the caps are
//! `[limits]` in the configuration. Without any level configured nothing is
//! capped and nothing is shown.

use crate::deposit::service::{from_minor, to_minor};
use crate::domain::kyc::CaseState;
use crate::domain::limits::{LevelLimits, LevelView, Upgrade, Usage, UNVERIFIED, WINDOW_MS};
use crate::domain::{Currency, Login};
use crate::errors::AppError;
use crate::state::AppState;
use crate::store::{CaseRecord, DepositCap, StoreError};

fn internal(e: StoreError) -> AppError {
    tracing::error!(error = %e, "verification level lookup failed");
    AppError::Internal
}

/// The trader's level and KYC case.
pub async fn level_of(state: &AppState, login: Login) -> Result<(String, Option<CaseRecord>), AppError> {
    let case = state.store.kyc.case(login).await.map_err(internal)?;
    let level = match &case {
        Some(c) if c.state == CaseState::Approved => c.kyc_type.clone(),
        _ => UNVERIFIED.to_string(),
    };
    Ok((level, case))
}

/// The trader's standing in `currency` (amounts with `digits` places), as
/// of `now`; `None` when no level is configured.
pub async fn standing(state: &AppState, login: Login, currency: &Currency, digits: u32, now: i64) -> Result<Option<LevelView>, AppError> {
    let settings = &state.settings;
    if !settings.has_levels() {
        return Ok(None);
    }
    let (level, case) = level_of(state, login).await?;
    let (window, lifetime) = state.store.deposits.usage(login, now - WINDOW_MS).await.map_err(internal)?;
    let used = Usage { last_30_days: from_minor(window, digits), lifetime: from_minor(lifetime, digits) };
    let state_now = case.as_ref().map(|c| c.state);
    let pending = state_now == Some(CaseState::Submitted);
    // A case still to complete may reach any type the KYC screen would let
    // it ask for (never less than its own); a decided or waiting case, none.
    let open = matches!(state_now, None | Some(CaseState::NotStarted | CaseState::InProgress | CaseState::MoreInfo));
    let mut upgrades: Vec<(usize, Upgrade)> = if open {
        settings
            .kyc
            .types
            .iter()
            .filter(|(name, _)| crate::kyc::service::kyc_type(settings, Some(name), case.as_ref()).0 == name.as_str())
            .map(|(name, t)| {
                let room = settings.level_limits(name, currency).room(&used);
                (t.details.len() + t.documents.len(), Upgrade { kyc_type: name.clone(), room })
            })
            .collect()
    } else {
        vec![]
    };
    upgrades.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.kyc_type.cmp(&b.1.kyc_type)));
    let limits = settings.level_limits(&level, currency);
    Ok(Some(LevelView { level, limits, used, upgrades: upgrades.into_iter().map(|(_, u)| u).collect(), pending, digits }))
}

/// The cap a new deposit is inserted under (the rolling window and the
/// lifetime; one deposit's own cap is checked before, on its amount).
pub fn cap(limits: &LevelLimits, digits: u32, now: i64) -> DepositCap {
    let minor = |v: Option<rust_decimal::Decimal>| v.map(|v| to_minor(v, digits).unwrap_or(i64::MAX));
    DepositCap { since: now - WINDOW_MS, window_minor: minor(limits.per_30_days), lifetime_minor: minor(limits.lifetime) }
}

/// Whether the trader may withdraw at their level; `Err` says what to do
/// (verify, or wait for the review).
pub async fn check_withdrawals(state: &AppState, login: Login) -> Result<(), AppError> {
    if state.settings.limits.levels.is_empty() {
        return Ok(());
    }
    let (level, case) = level_of(state, login).await?;
    if state.settings.level_allows_withdrawals(&level) {
        return Ok(());
    }
    Err(AppError::VerificationRequired { pending: case.is_some_and(|c| c.state == CaseState::Submitted) })
}

/// In "KYC before the first deposit" mode, whether the trader must verify
/// before depositing; `Err` as for [`check_withdrawals`].
pub async fn check_deposits(state: &AppState, login: Login) -> Result<(), AppError> {
    if !state.settings.limits.kyc_before_first_deposit {
        return Ok(());
    }
    let (level, case) = level_of(state, login).await?;
    if level != UNVERIFIED {
        return Ok(());
    }
    Err(AppError::VerificationRequired { pending: case.is_some_and(|c| c.state == CaseState::Submitted) })
}

/// In "KYC before the first deposit" mode, the deposit screen sends a
/// trader who has yet to verify straight into KYC (and the KYC screens lead
/// back). One whose case waits for review sees the deposit screen say so.
/// Under the `/inapp` gate, which found the session.
pub async fn kyc_first(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let deposit_form = req.method() == axum::http::Method::GET
        && req.uri().path() == "/inapp/deposit"
        && crate::domain::query_values(req.uri().query().unwrap_or(""), "deposit").is_empty();
    if !state.settings.limits.kyc_before_first_deposit || !deposit_form {
        return next.run(req).await;
    }
    let Some(session) = req.extensions().get::<crate::session::Session>().cloned() else { return next.run(req).await };
    if !matches!(check_deposits(&state, session.trader.login).await, Err(AppError::VerificationRequired { pending: false })) {
        return next.run(req).await;
    }
    if let Err(e) = state.store.sessions.set_kyc(&session.id_hash, None, crate::domain::limits::BackTo::Deposit.as_str()).await {
        tracing::error!(error = %e, "recording the way back from KYC failed");
        return next.run(req).await;
    }
    (axum::http::StatusCode::SEE_OTHER, [(axum::http::header::LOCATION, "/inapp/kyc")]).into_response()
}
