//! Reusable pieces of every screen: the frame (header, close control, footer),
//! the trader strip, the account-details disclosure, the note a screen shows
//! when it could not load, the form kit, the live refresh that follows the account, and what keeps a
//! page's controls honest before it hydrates.

mod account_details;
mod error_note;
mod frame;
mod hydration;
mod kit;
mod live;
mod notify;

pub use account_details::AccountDetails;
pub use error_note::ErrorNote;
pub use frame::{use_page, Frame};
pub use hydration::{checked_before_hydration, interactive, typed_before_hydration};
pub use kit::{Card, FieldMessage, FormError, Loading, PrimaryButton, SecondaryButton, INPUT};
pub use live::follow;
pub use notify::tell_parent;
