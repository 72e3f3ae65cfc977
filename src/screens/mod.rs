//! One file per screen cTrader can open, plus the static pages (token errors,
//! the success/failure/close landing pages) that render without hydration.

pub(crate) mod action;
pub(crate) mod chat;
pub(crate) mod deposit;
mod done;
mod error_page;
pub(crate) mod kyc;
mod not_found;
pub(crate) mod withdrawal;

pub use action::ActionScreen;
pub use chat::ChatScreen;
pub use deposit::DepositScreen;
pub use done::{DoneKind, DonePage};
pub use error_page::ErrorPage;
pub use kyc::{KycScreen, KycStatusScreen, KycUploadScreen};
pub use not_found::NotFound;
