use std::sync::Arc;

use crate::domain::{Currency, DepositId, MethodKind};
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
    /// The currency's minor-unit digits (`amount` in minor units is `amount × 10^digits`).
    pub digits: u32,
    pub currency: Currency,
    /// Where the provider sends the browser afterwards.
    pub return_url: String,
    /// When the deposit was created (ms). Whatever a provider derives from
    /// time derives from this, never from the clock: a retried request must
    /// be the same request, or the provider refuses the idempotency key
    /// (Stripe compares every parameter).
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HostedPayment {
    pub id: String,
    pub redirect_url: String,
}

/// A provider's server-to-server notification, verified.
#[derive(Debug, Clone, PartialEq)]
pub enum PaymentEvent {
    Succeeded {
        event_id: String,
        reference: String,
        amount: Decimal,
        currency: String,
    },
    Failed {
        event_id: String,
        reference: String,
        reason: String,
    },
    Cancelled {
        event_id: String,
        reference: String,
    },
    /// The provider gave up waiting for the payment (a checkout session expired).
    Expired {
        event_id: String,
        reference: String,
    },
    /// Verified, but nothing to apply (an asynchronous payment still on its
    /// way, an event type we do not act on): answered 2xx so it is not resent.
    Noted {
        event_id: String,
        reference: String,
    },
}

impl PaymentEvent {
    /// The provider's copy of our reference: the deposit it is about.
    pub fn reference(&self) -> &str {
        match self {
            PaymentEvent::Succeeded { reference, .. }
            | PaymentEvent::Failed { reference, .. }
            | PaymentEvent::Cancelled { reference, .. }
            | PaymentEvent::Expired { reference, .. }
            | PaymentEvent::Noted { reference, .. } => reference,
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

/// The adapter behind a payment method (`deposit.methods[].kind`). Add one
/// by implementing this, a `MethodKind` for it, and its arm in [`Payments::open`].
#[async_trait]
pub trait PaymentProvider: Send + Sync {
    /// Creates (or, for the same reference, returns again) a hosted payment.
    async fn create_payment(&self, req: &PaymentRequest) -> Result<HostedPayment, ProviderError>;
    /// Verifies and decodes a webhook; `now_s` is the current Unix time. A
    /// method without webhooks (a bank transfer) accepts none.
    fn parse_webhook(&self, _headers: &HeaderMap, _body: &[u8], _now_s: i64) -> Result<PaymentEvent, SignatureError> {
        Err(SignatureError::Missing)
    }
}

/// The adapters of the configured methods, one per kind.
#[derive(Clone, Default)]
pub struct Payments {
    by_kind: std::collections::HashMap<MethodKind, Arc<dyn PaymentProvider>>,
}

impl Payments {
    pub fn with(mut self, kind: MethodKind, provider: Arc<dyn PaymentProvider>) -> Self {
        self.by_kind.insert(kind, provider);
        self
    }

    /// The adapter of `kind`, if a configured method uses it.
    pub fn provider(&self, kind: MethodKind) -> Option<&dyn PaymentProvider> {
        self.by_kind.get(&kind).map(|p| p.as_ref())
    }
}
