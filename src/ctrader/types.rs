use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::Login;

/// Who a one-time token belongs to, from either token contract.
#[derive(Debug, Clone, PartialEq)]
pub struct OtIdentity {
    pub user_id: i64,
    pub trader_id: Option<i64>,
    pub account_id: Option<i64>,
    /// The trading login (from `tradingLogin`, `login`, or the GET contract's `accountId`).
    pub login: Login,
    pub broker_name: Option<String>,
    pub email: Option<String>,
}

/// `GET /ctid2/inAppOneTimeToken/data` → `{userId, traderId, brokerName, accountId}`;
/// `POST /ctid2/inAppToken/redeem` → `{userId, email, tradingLogin}`. One shape reads both.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OtAnswer {
    pub user_id: Option<i64>,
    pub trader_id: Option<i64>,
    pub account_id: Option<i64>,
    pub trading_login: Option<i64>,
    pub login: Option<i64>,
    pub broker_name: Option<String>,
    pub email: Option<String>,
}

impl OtAnswer {
    pub fn into_identity(self) -> Option<OtIdentity> {
        let user_id = self.user_id?;
        // A login that is not a positive number is no login.
        let login = self.trading_login.or(self.login).or(self.account_id).and_then(Login::new)?;
        Some(OtIdentity { user_id, trader_id: self.trader_id, account_id: self.account_id, login, broker_name: self.broker_name, email: self.email })
    }
}

/// `GET /v2/webserv/traders/{login}`. Money is an integer scaled by `10^moneyDigits`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Trader {
    pub login: Login,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    pub balance: i64,
    pub money_digits: u32,
    /// As cTrader sends it; parsed where a deposit needs it (`Currency`), so a
    /// code we cannot take deposits in still leaves the trader's name and balance.
    pub deposit_currency: String,
    #[serde(default)]
    pub access_rights: Option<String>,
}

impl Trader {
    pub fn balance_decimal(&self) -> Decimal {
        Decimal::new(self.balance, self.money_digits.min(28))
    }

    pub fn display_name(&self) -> Option<String> {
        let full =
            [self.name.as_deref(), self.last_name.as_deref()].into_iter().flatten().map(str::trim).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ");
        (!full.is_empty()).then_some(full)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum BalanceChangeType {
    Deposit,
    Withdraw,
}

/// A balance change ("API call 3.5"). `external_id` is the broker's payment id:
/// cTrader has no idempotency key, so it is how a lost answer is looked up later.
#[derive(Debug, Clone, PartialEq)]
pub struct BalanceChange {
    pub login: Login,
    pub amount: Decimal,
    pub kind: BalanceChangeType,
    pub comment: Option<String>,
    pub external_note: Option<String>,
    pub external_id: Option<String>,
    pub source: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_contracts_give_an_identity() {
        let get: OtAnswer = serde_json::from_str(r#"{"userId":7,"traderId":9,"brokerName":"B","accountId":100001}"#).unwrap();
        assert_eq!(get.into_identity().unwrap().login.get(), 100001);
        let redeem: OtAnswer = serde_json::from_str(r#"{"userId":7,"email":"a@b.c","tradingLogin":100002}"#).unwrap();
        let id = redeem.into_identity().unwrap();
        assert_eq!((id.user_id, id.login.get()), (7, 100002));
        let none: OtAnswer = serde_json::from_str(r#"{"brokerName":"B","accountId":1}"#).unwrap();
        assert!(none.into_identity().is_none());
    }

    #[test]
    fn balance_is_exact() {
        let t = Trader {
            login: Login::new(1).unwrap(),
            name: Some("Ann".into()),
            last_name: None,
            balance: 100_025,
            money_digits: 2,
            deposit_currency: "USD".into(),
            access_rights: None,
        };
        assert_eq!(t.balance_decimal().to_string(), "1000.25");
    }
}
