//! A completion notice: what the page embedding a screen (by
//! `postMessage`) and the broker's CRM (by webhook) are told when a deposit
//! or withdrawal ends and when a KYC case is submitted or decided. One
//! versioned shape for both, documented in the README; a field is only ever
//! added within a version.

use serde::{Deserialize, Serialize};

/// Set on every notice, so a page listening for messages can tell ours.
pub const SOURCE: &str = "broker-inapp";
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub source: String,
    pub version: u32,
    /// `<kind>.<state>`: `deposit.credited`, `withdrawal.requested`, `kyc.approved`, …
    pub event: String,
    pub login: i64,
    /// The deposit's or withdrawal's id; for KYC, the login.
    pub id: String,
    pub state: String,
    /// A decimal string in the account currency (deposits, withdrawals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// The KYC case's type (its level once approved).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kyc_type: Option<String>,
}

impl Notice {
    /// `kind` is `deposit`, `withdrawal` or `kyc`.
    pub fn new(kind: &str, id: impl Into<String>, login: i64, state: &str) -> Notice {
        Notice {
            source: SOURCE.into(),
            version: VERSION,
            event: format!("{kind}.{state}"),
            login,
            id: id.into(),
            state: state.into(),
            amount: None,
            currency: None,
            kyc_type: None,
        }
    }

    pub fn with_amount(mut self, amount: impl ToString, currency: impl Into<String>) -> Notice {
        self.amount = Some(amount.to_string());
        self.currency = Some(currency.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shape_is_the_documented_one() {
        let n = Notice::new("deposit", "dep_1", 123, "credited").with_amount("100.00", "USD");
        assert_eq!(
            serde_json::to_value(&n).unwrap(),
            serde_json::json!({"source": "broker-inapp", "version": 1, "event": "deposit.credited", "login": 123, "id": "dep_1", "state": "credited", "amount": "100.00", "currency": "USD"})
        );
        let k = Notice { kyc_type: Some("standard".into()), ..Notice::new("kyc", "123", 123, "approved") };
        assert_eq!(serde_json::to_value(&k).unwrap()["kyc_type"], "standard");
        assert!(serde_json::to_value(&k).unwrap().get("amount").is_none());
    }
}
