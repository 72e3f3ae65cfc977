use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::{DepositForm, DepositView};
use crate::errors::AppError;

/// The form for the identified trader. `account` is the `account` query
/// parameter cTrader sent; it must be the trader's own login.
#[server(endpoint = "deposit/form")]
pub async fn load_deposit_form(account: Option<String>) -> Result<DepositForm, AppError> {
    let (state, session) = crate::session::require().await?;
    let login = session.trader.login;
    if let Some(a) = account.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        if a.parse::<crate::domain::Login>().ok() != Some(login) {
            return Err(AppError::AccountNotYours);
        }
    }
    let trader = state.ctrader.trader_shown(login).await.ok();
    let currency = match &trader {
        Some(t) => crate::deposit::service::depositable(&t.deposit_currency)?,
        None => crate::deposit::service::account_currency(&state, &session).await?,
    };
    let methods = state.settings.methods_for(&currency);
    let Some(first) = methods.first() else {
        return Err(AppError::CurrencyNotSupported(currency.to_string()));
    };
    crate::limits::check_deposits(&state, login).await?;
    let level = crate::limits::standing(&state, login, &currency, first.rule.digits, crate::time::now_ms()).await?;
    Ok(DepositForm {
        login,
        currency,
        balance: trader.map(|t| t.balance_decimal()),
        methods,
        idempotency_key: uuid::Uuid::new_v4().simple().to_string(),
        recent: crate::deposit::service::recent(&state, login).await?,
        level,
    })
}

/// Starts (or, for the same key, resumes) a deposit; answers the hosted
/// payment page to send the browser to. The form posted before the WASM
/// arrived is sent there directly, or back to the screen with what was
/// typed and the refusal ([`DepositReturn`]).
#[server(endpoint = "deposit/start")]
pub async fn start_deposit(amount: String, method: String, key: String) -> Result<String, AppError> {
    let started = async {
        let (state, session) = crate::session::require().await?;
        crate::deposit::service::start(&state, &session, &amount, &method, &key).await
    }
    .await;
    if !crate::server_fns::plain_form::posted_by_browser() {
        return started;
    }
    use crate::server_fns::plain_form::redirect;
    let back = |error: &AppError| DepositReturn::url(&amount, &method, &key, error);
    let to = match &started {
        Ok(payment_page) if redirect(payment_page) => return Ok(payment_page.clone()),
        Ok(_) => {
            tracing::warn!("the payment page's address cannot be a redirect");
            back(&AppError::PaymentUnavailable)
        }
        Err(error) => back(error),
    };
    redirect(&to);
    Ok(to)
}

/// A plain form post the server refused: the deposit screen again, with the
/// amount, method and key as they were (a retry is the same payment) and why.
/// Carried in the query of `/inapp/deposit`. None of it is a secret, and the
/// reason is a code from a closed set, never text: a forged link can show
/// only our own messages. An amount's refusal is not carried at all: the
/// screen finds it again from the amount, with the server's own rules.
#[derive(Debug, Clone, PartialEq)]
pub struct DepositReturn {
    pub amount: String,
    pub method: String,
    /// Empty when the refusal was about the key itself: the form's new one is used.
    pub key: String,
    pub error: Option<AppError>,
}

impl DepositReturn {
    #[cfg(feature = "ssr")]
    fn url(amount: &str, method: &str, key: &str, error: &AppError) -> String {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("amount", amount)
            .append_pair("method", method)
            .append_pair("key", key)
            .append_pair("refused", refusal_code(error))
            .finish();
        format!("/inapp/deposit?{query}")
    }

    /// The return in the screen's query, if it is one.
    pub fn from_query(query: &leptos_router::params::ParamsMap) -> Option<DepositReturn> {
        let error = refusal_from_code(&query.get("refused")?)?;
        let key = if error == Some(AppError::InvalidRequest) { String::new() } else { query.get("key")? };
        Some(DepositReturn { amount: query.get("amount")?, method: query.get("method")?, key, error })
    }
}

/// The refusals `deposit::service::start` can answer, as query codes.
#[cfg(feature = "ssr")]
fn refusal_code(error: &AppError) -> &'static str {
    match error {
        // The screen finds a level's refusal again from the amount too (its form carries the level).
        AppError::InvalidAmount(_) | AppError::AboveLevelLimit(_) => "amount",
        AppError::AlreadySubmitted => "already_submitted",
        AppError::PaymentUnavailable => "payment_unavailable",
        AppError::PlatformUnavailable => "platform_unavailable",
        AppError::SessionExpired => "session_expired",
        AppError::VerificationRequired { pending: false } => "verify",
        AppError::VerificationRequired { pending: true } => "verify_pending",
        AppError::InvalidRequest | AppError::CurrencyNotSupported(_) => "invalid_request",
        _ => "internal",
    }
}

/// `None` for an unknown code; `Some(None)` for an amount's refusal.
fn refusal_from_code(code: &str) -> Option<Option<AppError>> {
    Some(Some(match code {
        "amount" => return Some(None),
        "already_submitted" => AppError::AlreadySubmitted,
        "payment_unavailable" => AppError::PaymentUnavailable,
        "platform_unavailable" => AppError::PlatformUnavailable,
        "session_expired" => AppError::SessionExpired,
        "verify" => AppError::VerificationRequired { pending: false },
        "verify_pending" => AppError::VerificationRequired { pending: true },
        "invalid_request" => AppError::InvalidRequest,
        "internal" => AppError::Internal,
        _ => return None,
    }))
}

#[server(endpoint = "deposit/recent")]
pub async fn recent_deposits() -> Result<Vec<DepositView>, AppError> {
    let (state, session) = crate::session::require().await?;
    crate::deposit::service::recent(&state, session.trader.login).await
}

/// A deposit's state and where the browser goes when it ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DepositStatus {
    pub deposit: DepositView,
    pub success_url: String,
    pub failure_url: String,
    /// Where and how to pay, while a bank transfer waits for the trader's money.
    pub bank: Option<crate::domain::BankInstructions>,
}

#[server(endpoint = "deposit/status")]
pub async fn get_deposit_status(id: String) -> Result<DepositStatus, AppError> {
    let (state, session) = crate::session::require().await?;
    let id: crate::domain::DepositId = id.parse().map_err(|_| AppError::NotFound)?;
    let record = state.store.deposits.get(&id).await.map_err(|_| AppError::Internal)?;
    // Another trader's deposit is as good as absent.
    let record = record.filter(|d| d.login == session.trader.login).ok_or(AppError::NotFound)?;
    let with_id = |url: &str| format!("{url}{}depositId={}", if url.contains('?') { '&' } else { '?' }, record.id);
    Ok(DepositStatus {
        deposit: crate::deposit::service::view(&record),
        success_url: with_id(&state.settings.urls.success),
        failure_url: with_id(&state.settings.urls.failure),
        bank: crate::deposit::bank::instructions(&state.settings, &record),
    })
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_of_a_deposit_start_reads_back_from_its_code() {
        use AppError::*;
        for e in [
            AlreadySubmitted,
            PaymentUnavailable,
            PlatformUnavailable,
            SessionExpired,
            InvalidRequest,
            Internal,
            VerificationRequired { pending: false },
            VerificationRequired { pending: true },
        ] {
            assert_eq!(refusal_from_code(refusal_code(&e)), Some(Some(e)));
        }
        // The amount's own refusal is found again from the amount.
        assert_eq!(refusal_from_code(refusal_code(&InvalidAmount(crate::domain::AmountError::NotANumber))), Some(None));
        // Text is no code.
        assert_eq!(refusal_from_code(refusal_code(&CurrencyNotSupported("wire funds to X".into()))), Some(Some(InvalidRequest)));
        assert_eq!(refusal_from_code("wire funds to X"), None);
    }
}
