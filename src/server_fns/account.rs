use crate::domain::Login;
use leptos::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::errors::AppError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountInfo {
    pub login: Login,
    pub name: Option<String>,
    pub currency: Option<String>,
    /// `None` when cTrader could not be read; never a float.
    pub balance: Option<Decimal>,
    pub user_id: i64,
    pub trader_id: Option<i64>,
    pub source: String,
}

/// The identified trader's live account details, read from cTrader.
#[server(endpoint = "account/summary")]
pub async fn account_summary() -> Result<AccountInfo, AppError> {
    let (state, session) = crate::session::require().await?;
    let trader = state.ctrader.trader_shown(session.trader.login).await;
    let (name, currency, balance) = match trader {
        Ok(t) => (t.display_name(), Some(t.deposit_currency.clone()), Some(t.balance_decimal())),
        Err(crate::ctrader::CtraderError::Unavailable(_)) => return Err(AppError::PlatformUnavailable),
        Err(e) => {
            tracing::warn!(error = %e, "trader read failed");
            (session.trader.name.clone(), session.trader.currency.clone(), None)
        }
    };
    Ok(AccountInfo {
        login: session.trader.login,
        name,
        currency,
        balance,
        user_id: session.trader.user_id,
        trader_id: session.trader.trader_id,
        source: session.prefs.source.as_str().to_string(),
    })
}
