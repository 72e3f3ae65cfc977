use crate::domain::{Currency, DepositId};
use async_trait::async_trait;
use axum::http::HeaderMap;
use rust_decimal::Decimal;

use super::signature::SignatureError;

/// What the server asks a provider for: a hosted payment page for one deposit.
#[derive(Debug, Clone)]
pub struct PaymentRequest {
    /// The deposit id: the provider's idempotency key and our reference.
    pub reference: DepositId,
    /// What the trader pays (amount plus any fee).
    pub amount: Decimal,
    pub currency: Currency,
    /// Where the provider sends the browser afterwards.
    pub return_url: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HostedPayment {
    pub id: String,
    pub redirect_url: String,
}

/// A provider's server-to-server notification, verified.
#[derive(Debug, Clone, PartialEq)]
pub enum PaymentEvent {
    Succeeded { event_id: String, reference: String, amount: Decimal, currency: String },
    Failed { event_id: String, reference: String, reason: String },
    Cancelled { event_id: String, reference: String },
}

impl PaymentEvent {
    /// The provider's copy of our reference: the deposit it is about.
    pub fn reference(&self) -> &str {
        match self {
            PaymentEvent::Succeeded { reference, .. } | PaymentEvent::Failed { reference, .. } | PaymentEvent::Cancelled { reference, .. } => reference,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("payment provider unavailable: {0}")]
    Unavailable(String),
    #[error("payment provider refused: {0}")]
    Refused(String),
}

/// A payment service provider. Add one by implementing this and choosing it in
/// `[payments] provider`.
#[async_trait]
pub trait PaymentProvider: Send + Sync {
    /// Creates (or, for the same reference, returns again) a hosted payment.
    async fn create_payment(&self, req: &PaymentRequest) -> Result<HostedPayment, ProviderError>;
    /// Verifies and decodes a webhook; `now_s` is the current Unix time.
    fn parse_webhook(&self, headers: &HeaderMap, body: &[u8], now_s: i64) -> Result<PaymentEvent, SignatureError>;
}
