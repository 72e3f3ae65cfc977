//! The deposit service: start a deposit, apply a provider's event, list a
//! trader's deposits. Server functions and the webhook handler call these.

use rust_decimal::Decimal;

use crate::deposit::{PaymentEvent, PaymentRequest, ProviderError};
use crate::domain::{fee, parse_amount, Currency, DepositId, DepositState, DepositView, Login, MethodKind};
use crate::errors::AppError;
use crate::session::Session;
use crate::state::AppState;
use crate::store::{Capped, DepositRecord, EventOutcome, StoreError};
use crate::time::now_ms;

fn internal(e: StoreError) -> AppError {
    tracing::error!(error = %e, "deposit storage error");
    AppError::Internal
}

/// Minor units of `amount` in a currency with `digits`; `None` if it does not fit exactly.
pub fn to_minor(amount: Decimal, digits: u32) -> Option<i64> {
    use rust_decimal::prelude::ToPrimitive;
    if amount.normalize().scale() > digits {
        return None;
    }
    amount.checked_mul(Decimal::from(10i64.checked_pow(digits)?))?.to_i64()
}

pub fn from_minor(minor: i64, digits: u32) -> Decimal {
    Decimal::new(minor, digits)
}

/// The trader's account currency: from the session, else read from cTrader.
pub async fn account_currency(state: &AppState, session: &Session) -> Result<Currency, AppError> {
    let raw = match &session.trader.currency {
        Some(c) => c.clone(),
        None => state.ctrader.trader(session.trader.login).await.map_err(|_| AppError::PlatformUnavailable)?.deposit_currency,
    };
    depositable(&raw)
}

/// A currency as cTrader names it, if deposits can be taken in it at all
/// (an ISO code); which ones the broker takes is checked against its rules next.
pub fn depositable(raw: &str) -> Result<Currency, AppError> {
    raw.parse().map_err(|_| AppError::CurrencyNotSupported(raw.to_string()))
}

fn valid_key(key: &str) -> bool {
    (16..=64).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Creates the deposit for this form (once per idempotency key) and the
/// provider's hosted payment; returns where to send the browser.
pub async fn start(state: &AppState, session: &Session, amount: &str, method: &str, key: &str) -> Result<String, AppError> {
    if !valid_key(key) {
        return Err(AppError::InvalidRequest);
    }
    let currency = account_currency(state, session).await?;
    let offered = state.settings.methods_for(&currency);
    if offered.is_empty() {
        return Err(AppError::CurrencyNotSupported(currency.to_string()));
    }
    // Only a method this currency allows, with its own limits and fee.
    let chosen = offered.into_iter().find(|m| m.name == method).ok_or(AppError::InvalidRequest)?;
    let provider = state.payments.provider(chosen.kind).ok_or(AppError::PaymentUnavailable)?;
    let rule = chosen.rule;
    let amount = parse_amount(amount, &rule).map_err(AppError::InvalidAmount)?;
    let fee = fee(amount, &rule);
    let now = now_ms();
    let login = session.trader.login;
    crate::limits::check_deposits(state, login).await?;
    // The trader's level: one deposit's own cap on its amount here, the rest
    // with the insert (a form already submitted is resumed whatever they say).
    let level = crate::limits::standing(state, login, &currency, rule.digits, now).await?;
    if let Some(view) = &level {
        if let Some(refusal) = view.refuses(amount).filter(|_| view.limits.per_deposit.is_some_and(|cap| amount > cap)) {
            return Err(AppError::AboveLevelLimit(refusal));
        }
    }
    let candidate = DepositRecord {
        id: DepositId::generate(),
        login: session.trader.login,
        user_id: session.trader.user_id,
        // Per method: a form whose card payment failed can still become a
        // bank transfer; the same method with the same key is the same deposit.
        idempotency_key: format!("{key}/{}", chosen.name),
        currency: currency.clone(),
        digits: rule.digits,
        requested_minor: to_minor(amount, rule.digits).ok_or(AppError::InvalidRequest)?,
        fee_minor: to_minor(fee, rule.digits).ok_or(AppError::InvalidRequest)?,
        confirmed_minor: None,
        method: method.to_string(),
        // A bank transfer has no provider to wait for: the trader is shown
        // where to send the money, and it waits for the wire.
        state: if chosen.kind == MethodKind::BankTransfer { DepositState::AwaitingFunds } else { DepositState::Pending },
        provider_payment_id: None,
        balance_history_id: None,
        failure_reason: None,
        created_at: now,
        updated_at: now,
    };
    let (deposit, created) = match &level {
        None => state.store.deposits.create_or_get(&candidate).await.map_err(internal)?,
        Some(view) => match state.store.deposits.create_capped(&candidate, &crate::limits::cap(&view.limits, rule.digits, now)).await.map_err(internal)? {
            Capped::Stored(deposit, created) => (*deposit, created),
            // Past the 30 days' or the lifetime cap (with what was deposited since the form opened).
            Capped::Over => {
                let now_standing = crate::limits::standing(state, login, &currency, rule.digits, now).await?.unwrap_or(view.clone());
                let refusal = now_standing.refuses(amount).unwrap_or(crate::domain::limits::LevelRefusal {
                    room: now_standing.room().unwrap_or(Decimal::ZERO),
                    upgrade: None,
                    pending: now_standing.pending,
                    digits: rule.digits,
                });
                return Err(AppError::AboveLevelLimit(refusal));
            }
        },
    };
    if !created && (deposit.requested_minor != candidate.requested_minor || deposit.method != candidate.method) {
        return Err(AppError::AlreadySubmitted);
    }
    let return_url = format!("/inapp/deposit?deposit={}", deposit.id);
    if !matches!(deposit.state, DepositState::Pending | DepositState::AwaitingFunds) {
        return Ok(return_url);
    }
    // Every duplicate submit asks the provider again with the same idempotency
    // key (the deposit id) and gets the same payment back.
    let request = PaymentRequest {
        reference: deposit.id.clone(),
        amount: from_minor(deposit.requested_minor + deposit.fee_minor, deposit.digits),
        digits: deposit.digits,
        currency: deposit.currency.clone(),
        return_url,
        created_at: deposit.created_at,
    };
    let hosted = provider.create_payment(&request).await.map_err(|e| {
        tracing::warn!(error = %e, deposit = %deposit.id, "payment creation failed");
        match e {
            ProviderError::Unavailable(_) | ProviderError::Refused(_) => AppError::PaymentUnavailable,
        }
    })?;
    if created || deposit.provider_payment_id.is_none() {
        state.store.deposits.set_provider_payment(&deposit.id, &hosted.id, now_ms()).await.map_err(internal)?;
    }
    Ok(hosted.redirect_url)
}

/// Applies a verified event from the provider of `from`. The credited amount
/// is the provider's, less the fee recorded at creation; the browser's number
/// plays no part. A provider speaks only for deposits of its own methods.
pub async fn apply_event(state: &AppState, from: MethodKind, event: &PaymentEvent) -> Result<EventOutcome, StoreError> {
    let now = now_ms();
    let deposits = &state.store.deposits;
    // A reference that is not one of our ids names no deposit of ours.
    let Ok(reference) = event.reference().parse::<DepositId>() else { return Ok(EventOutcome::UnknownDeposit) };
    let reference = &reference;
    let Some(d) = deposits.get(reference).await? else { return Ok(EventOutcome::UnknownDeposit) };
    // (A method no longer configured cannot be checked: its late events still count.)
    let kind = state.settings.deposit.methods.iter().find(|m| m.name == d.method).map(|m| m.kind);
    if kind.is_some_and(|k| k != from) {
        tracing::warn!(deposit = %d.id, "a provider's event names a deposit of another method; ignored");
        return Ok(EventOutcome::UnknownDeposit);
    }
    match event {
        PaymentEvent::Succeeded { event_id, amount, currency, .. } => {
            let paid = to_minor(*amount, d.digits);
            match paid {
                Some(paid) if currency.eq_ignore_ascii_case(d.currency.as_str()) && paid > d.fee_minor => {
                    if paid != d.requested_minor + d.fee_minor {
                        tracing::warn!(deposit = %d.id, "provider confirmed a different amount; crediting the provider's");
                    }
                    let outcome = deposits.confirm(event_id, reference, paid - d.fee_minor, now).await?;
                    if outcome == EventOutcome::Applied {
                        state.credit_queued.notify_one();
                    }
                    Ok(outcome)
                }
                _ => {
                    // Paid, so never "failed": a person decides (credit or refund).
                    tracing::error!(deposit = %d.id, "provider confirmed an amount or currency that cannot be credited; held for review");
                    let reason = format!("provider confirmed {amount} {currency}");
                    deposits.hold_for_review(event_id, reference, &reason, now).await
                }
            }
        }
        PaymentEvent::Failed { event_id, reason, .. } => deposits.close_unpaid(event_id, reference, DepositState::Failed, reason, now).await,
        PaymentEvent::Cancelled { event_id, .. } => deposits.close_unpaid(event_id, reference, DepositState::Cancelled, "cancelled", now).await,
        PaymentEvent::Expired { event_id, .. } => deposits.close_unpaid(event_id, reference, DepositState::Expired, "expired", now).await,
        PaymentEvent::Noted { .. } => Ok(EventOutcome::Ignored),
    }
}

pub fn view(d: &DepositRecord) -> DepositView {
    DepositView {
        id: d.id.clone(),
        amount: from_minor(d.confirmed_minor.unwrap_or(d.requested_minor), d.digits),
        currency: d.currency.clone(),
        state: d.state,
        created_at_ms: d.created_at,
    }
}

pub async fn recent(state: &AppState, login: Login) -> Result<Vec<DepositView>, AppError> {
    Ok(state.store.deposits.recent(login, 10).await.map_err(internal)?.iter().map(view).collect())
}
