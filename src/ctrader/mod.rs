//! A typed client for the cTrader calls the broker makes (Spotware's Manager API and InApp token endpoints): manager
//! token, one-time-token resolution (either contract), trader read and
//! balance change. Errors never carry a URL, since URLs here carry tokens.

mod client;
mod error;
mod shown;
mod types;

pub use client::CtraderClient;
pub use error::CtraderError;
pub use types::{BalanceChange, BalanceChangeType, OtIdentity, Trader};
