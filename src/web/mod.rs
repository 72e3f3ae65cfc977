//! HTTP plumbing written once, for every handler outside the Leptos screens:
//! who is calling ([`caller`]: the trader behind the session cookie, staff by
//! role set; [`client`]: the client's address, through trusted proxies) and how a refusal leaves ([`error`]: one JSON error shape for the
//! APIs, one branded page for the back-office). Handlers name their caller in
//! their signature and return `Result<_, ApiError>` or `Result<_, PageError>`
//! with `?`; nothing here knows about deposits, KYC or chat.
//!
//! The surfaces that keep their own contract keep their own type: server
//! functions (`errors::AppError`), the SSO API (`sso::error`), the sandbox
//! PSP's API and the cTrader simulator.

pub mod caller;
pub mod client;
pub mod error;
pub mod json;

pub use caller::{Admins, Agents, AnyStaff, Finance, Reviewers, Staff, StaffApi, Trader};
pub use client::ClientAddr;
pub use error::{render_page_errors, ApiError, PageError};
pub use json::Json;
