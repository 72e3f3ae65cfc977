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
    if methods.is_empty() {
        return Err(AppError::CurrencyNotSupported(currency.to_string()));
    }
    Ok(DepositForm {
        login,
        currency,
        balance: trader.map(|t| t.balance_decimal()),
        methods,
        idempotency_key: uuid::Uuid::new_v4().simple().to_string(),
        recent: crate::deposit::service::recent(&state, login).await?,
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
    let to = match &started {
        Ok(payment_page) => payment_page.clone(),
        Err(error) => DepositReturn { amount, method, key, error: error.clone() }.url(),
    };
    crate::server_fns::plain_form::redirect(&to);
    Ok(to)
}

/// A plain form post the server refused: the deposit screen again, with the
/// amount, method and key as they were (a retry is the same payment) and the
/// refusal to show. Carried in the query of `/inapp/deposit`; none of it is
/// a secret, and a forged one only shows its author a message.
#[derive(Debug, Clone, PartialEq)]
pub struct DepositReturn {
    pub amount: String,
    pub method: String,
    pub key: String,
    pub error: AppError,
}

impl DepositReturn {
    #[cfg(feature = "ssr")]
    fn url(&self) -> String {
        let error = serde_json::to_string(&self.error).unwrap_or_default();
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("amount", &self.amount)
            .append_pair("method", &self.method)
            .append_pair("key", &self.key)
            .append_pair("refused", &error)
            .finish();
        format!("/inapp/deposit?{query}")
    }

    /// The return in the screen's query, if it is one.
    pub fn from_query(query: &leptos_router::params::ParamsMap) -> Option<DepositReturn> {
        let error = serde_json::from_str(&query.get("refused")?).ok()?;
        Some(DepositReturn { amount: query.get("amount")?, method: query.get("method")?, key: query.get("key")?, error })
    }
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
