//! Black-box tests against a running server and simulator, in one binary:
//! each test file linked on its own was a copy of the whole server (CI's disk
//! filled up), and one binary links once. `logs.rs` stays apart because it
//! installs a process-wide trace subscriber; `startup.rs` runs the binary only.

mod common;

mod actions;
mod assets;
mod backoffice;
mod bank_transfers;
mod chat;
mod chat_lifecycle;
mod config_commands;
mod crash_restart;
mod credit_audit;
mod credit_faults;
mod deposit_outcomes;
mod deposit_review;
mod deposits;
mod first_load;
mod handoff;
mod identity;
mod instances;
mod kyc;
mod kyc_cases;
mod kyc_mrz;
mod kyc_quality;
mod kyc_rejections;
mod limits;
mod live;
mod notify;
mod objects;
mod operations;
mod screening;
mod security;
mod sessions;
mod sso;
mod store;
mod stripe;
mod theme;
mod withdrawals;
