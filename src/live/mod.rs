//! Live updates: what tells an open screen that something it shows changed.
//!
//! - [`notifier`]: per-topic wake-ups inside this process (a conversation,
//!   the staff inbox, a trader account), fed by this instance's writes and,
//!   through [`notifier::spawn_watcher`], by what the database reports
//!   (`store::live`: other instances' chat changes, every account change).
//! - [`sse`]: the plumbing every event stream shares (session re-check,
//!   shutdown, proxy buffering).
//! - [`slots`]: how many streams one session or person may hold open.
//! - [`account`]: the trader's account stream (deposit, withdrawal and KYC
//!   status), which tells the screen to re-read rather than carrying data.
//!
//! The chat's own streams (messages resumed by seq) are in `chat::stream`
//! and `backoffice::chat`.

pub mod account;
pub mod notifier;
pub mod slots;
pub mod sse;

pub use notifier::{LocalNotifier, Notifier, Topic};
