//! Payments: the provider interface and its adapters (the built-in sandbox
//! card provider, bank transfers), webhook verification, the deposit service
//! and the crediting worker.
//!
//! The walk of a deposit: `service::start` (one deposit per idempotency key)
//! → the provider's hosted page → a signed webhook → `service::apply_event`
//! confirms and queues the credit in one transaction → `credit` calls cTrader's
//! balance change with `externalId` = deposit id, settling unknown outcomes by
//! looking the id up in the balance history before any retry.

pub mod bank;
pub mod credit;
pub mod provider;
pub mod sandbox;
pub mod service;
pub mod signature;
pub mod stripe;
pub mod webhook;

pub use provider::{HostedPayment, PaymentEvent, PaymentProvider, PaymentRequest, Payments, ProviderError};
