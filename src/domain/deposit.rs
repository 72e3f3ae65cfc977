use super::{Currency, DepositId};
use crate::domain::Login;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::CurrencyRule;

/// Where a deposit is in its life: `Pending → Confirmed → Credited`, or
/// `Pending → Failed | Cancelled | Expired`; a bank transfer starts in
/// `AwaitingFunds` and is confirmed when finance records the wire. A provider's success arriving
/// after its failure, cancel or expiry (out of order, or late) still confirms:
/// the money was taken. A paid deposit that cannot be credited automatically
/// (cTrader refused it, or the provider confirmed another currency) goes to
/// `Review` for a person, never to `Failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    /// A bank transfer the trader has been told how to make; waits (without
    /// expiring) until finance records the money on the broker's account.
    AwaitingFunds,
}

impl DepositState {
    pub const ALL: [DepositState; 8] = [
        DepositState::Pending,
        DepositState::Confirmed,
        DepositState::Credited,
        DepositState::Failed,
        DepositState::Cancelled,
        DepositState::Expired,
        DepositState::Review,
        DepositState::AwaitingFunds,
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
            DepositState::AwaitingFunds => "awaiting_funds",
        }
    }

    pub fn parse(s: &str) -> Option<DepositState> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }

    pub fn in_flight(self) -> bool {
        matches!(self, DepositState::Pending | DepositState::Confirmed)
    }
}

/// The adapter behind a payment method (`deposit.methods[].kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MethodKind {
    /// The built-in test card provider; takes no money, refused in production.
    Sandbox,
    /// The broker's bank details and a checked reference; finance records the wire.
    BankTransfer,
    /// Stripe Checkout's hosted page (cards and more), confirmed by webhooks.
    StripeCheckout,
}

impl MethodKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MethodKind::Sandbox => "sandbox",
            MethodKind::BankTransfer => "bank_transfer",
            MethodKind::StripeCheckout => "stripe_checkout",
        }
    }
}

/// A payment method the trader's currency allows, with its limits and fee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentMethod {
    /// The configured name; what the form sends and the deposit records.
    pub name: String,
    pub kind: MethodKind,
    pub rule: CurrencyRule,
}

/// What a trader needs to make a bank transfer for one deposit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BankInstructions {
    pub beneficiary: String,
    /// An IBAN (grouped in fours) or, where there is none, the account number.
    pub account: String,
    pub bic: String,
    pub bank_name: String,
    /// The checked payment reference, grouped in fours.
    pub reference: String,
    /// What to send: the amount plus any fee.
    pub amount: Decimal,
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
    /// What the account's currency allows, in display order (never empty).
    pub methods: Vec<PaymentMethod>,
    /// One key per rendered form: every submit of this form is the same payment.
    pub idempotency_key: String,
    pub recent: Vec<DepositView>,
    /// The trader's verification level and what it allows (`None`: no levels configured).
    pub level: Option<super::limits::LevelView>,
}

super::stored_as_text!(DepositState);
