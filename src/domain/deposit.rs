use super::{Currency, DepositId};
use crate::domain::Login;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::CurrencyRule;

/// Where a deposit is in its life: `Pending → Confirmed → Credited`, or
/// `Pending → Failed | Cancelled | Expired`. A provider's success arriving
/// after its failure, cancel or expiry (out of order, or late) still confirms:
/// the money was taken. A paid deposit that cannot be credited automatically
/// (cTrader refused it, or the provider confirmed another currency) goes to
/// `Review` for a person, never to `Failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(rename_all = "lowercase"))]
pub enum DepositState {
    /// Created; waiting for the payment provider.
    Pending,
    /// The provider confirmed the payment; crediting the trading account.
    Confirmed,
    /// The balance change is in cTrader.
    Credited,
    /// Declined by the provider.
    Failed,
    Cancelled,
    /// Never paid within `payments.pending_expiry_minutes`.
    Expired,
    /// Paid, but waiting for the broker's staff before it can be credited.
    Review,
}

impl DepositState {
    pub const ALL: [DepositState; 7] = [
        DepositState::Pending,
        DepositState::Confirmed,
        DepositState::Credited,
        DepositState::Failed,
        DepositState::Cancelled,
        DepositState::Expired,
        DepositState::Review,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DepositState::Pending => "pending",
            DepositState::Confirmed => "confirmed",
            DepositState::Credited => "credited",
            DepositState::Failed => "failed",
            DepositState::Cancelled => "cancelled",
            DepositState::Expired => "expired",
            DepositState::Review => "review",
        }
    }

    pub fn parse(s: &str) -> Option<DepositState> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }

    pub fn in_flight(self) -> bool {
        matches!(self, DepositState::Pending | DepositState::Confirmed)
    }
}

/// A deposit as the trader sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DepositView {
    pub id: DepositId,
    pub amount: Decimal,
    pub currency: Currency,
    pub state: DepositState,
    pub created_at_ms: i64,
}

/// Everything the deposit form needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DepositForm {
    pub login: Login,
    pub currency: Currency,
    pub balance: Option<Decimal>,
    pub rule: CurrencyRule,
    pub methods: Vec<String>,
    /// One key per rendered form: every submit of this form is the same payment.
    pub idempotency_key: String,
    pub recent: Vec<DepositView>,
}
