//! Reusable pieces of every screen: the frame (header, close control, footer),
//! the trader strip, the account-details disclosure and the note a screen
//! shows when it could not load.

mod account_details;
mod error_note;
mod frame;

pub use account_details::AccountDetails;
pub use error_note::ErrorNote;
pub use frame::{use_page, Frame};
