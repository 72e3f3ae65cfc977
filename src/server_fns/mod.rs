//! Server functions, one file per domain. Each is thin: it finds the trader
//! through the session (never through an argument the browser sends) and
//! calls a plain service.

pub mod account;
pub mod action;
pub mod chat;
pub mod deposit;
pub mod kyc;
#[cfg(feature = "ssr")]
pub mod plain_form;
pub mod withdrawal;
