//! Reusable pieces of every screen: the frame (header, close control, footer),
//! the trader strip and the account-details disclosure.

mod account_details;
mod frame;

pub use account_details::AccountDetails;
pub use frame::{use_page, Frame};
