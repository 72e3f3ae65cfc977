//! Support chat on the server: the service both sides call (send, receipts,
//! typing, claim/close), the live event stream (server-sent events resumed
//! from the last seq a client saw), the notifier that wakes streams, the
//! trader's HTTP endpoints and attachments (checked by the KYC upload path).
//! The staff pages live in `backoffice::chat`.

pub mod attachments;
pub mod error;
pub mod notifier;
pub mod service;
pub mod stream;
pub mod trader;

pub use error::ChatError;
pub use notifier::{ChatNotifier, LocalNotifier, Topic};
