use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::CurrencyRule;

/// Where a deposit is in its life: `Pending → Confirmed → Credited`, or
/// `Pending → Failed | Cancelled`. A provider's success arriving after its
/// failure or cancel (out of order) still confirms: the money was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DepositState {
    /// Created; waiting for the payment provider.
    Pending,
    /// The provider confirmed the payment; crediting the trading account.
    Confirmed,
    /// The balance change is in cTrader.
    Credited,
    /// Declined by the provider, or refused by cTrader.
    Failed,
    Cancelled,
}

impl DepositState {
    pub fn as_str(self) -> &'static str {
        match self {
            DepositState::Pending => "pending",
            DepositState::Confirmed => "confirmed",
            DepositState::Credited => "credited",
            DepositState::Failed => "failed",
            DepositState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<DepositState> {
        [DepositState::Pending, DepositState::Confirmed, DepositState::Credited, DepositState::Failed, DepositState::Cancelled]
            .into_iter()
            .find(|d| d.as_str() == s)
    }

    pub fn in_flight(self) -> bool {
        matches!(self, DepositState::Pending | DepositState::Confirmed)
    }
}

/// A deposit as the trader sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DepositView {
    pub id: String,
    pub amount: Decimal,
    pub currency: String,
    pub state: DepositState,
    pub created_at_ms: i64,
}

/// Everything the deposit form needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DepositForm {
    pub login: i64,
    pub currency: String,
    pub balance: Option<Decimal>,
    pub rule: CurrencyRule,
    pub methods: Vec<String>,
    /// One key per rendered form: every submit of this form is the same payment.
    pub idempotency_key: String,
    pub recent: Vec<DepositView>,
}
