//! Server functions of the withdrawal screen: the form, a request, the
//! trader's list (followed live while one is moving) and a cancel.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::{WithdrawalForm, WithdrawalView};
use crate::errors::AppError;

#[server(endpoint = "withdrawal/form")]
pub async fn load_withdrawal_form() -> Result<WithdrawalForm, AppError> {
    let (state, session) = crate::session::require().await?;
    crate::withdrawal::service::form(&state, &session).await
}

/// A recorded request, and the key for the form's next one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WithdrawalRequested {
    pub withdrawal: WithdrawalView,
    pub next_key: String,
}

/// `payout` is `bank` (with `iban` and `holder`) or `card` (with the deposit id in `card`).
#[server(endpoint = "withdrawal/request")]
pub async fn request_withdrawal(
    amount: String,
    payout: String,
    iban: String,
    holder: String,
    card: String,
    key: String,
) -> Result<WithdrawalRequested, AppError> {
    let (state, session) = crate::session::require().await?;
    let request = crate::withdrawal::service::Request { amount: &amount, payout: &payout, iban: &iban, holder: &holder, card: &card, key: &key };
    let withdrawal = crate::withdrawal::service::request(&state, &session, request).await?;
    Ok(WithdrawalRequested { withdrawal, next_key: crate::withdrawal::service::new_key() })
}

#[server(endpoint = "withdrawal/list")]
pub async fn list_withdrawals() -> Result<Vec<WithdrawalView>, AppError> {
    let (state, session) = crate::session::require().await?;
    crate::withdrawal::service::list(&state, session.trader.login).await
}

#[server(endpoint = "withdrawal/cancel")]
pub async fn cancel_withdrawal(id: String) -> Result<WithdrawalView, AppError> {
    let (state, session) = crate::session::require().await?;
    crate::withdrawal::service::cancel(&state, &session, &id).await
}
