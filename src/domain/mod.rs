//! Types shared by the server and the browser. Each parses from the untrusted
//! strings cTrader puts in the URL and falls back to a safe default rather than
//! failing ("parse, don't validate").

pub mod action;
mod bank;
pub mod chat;
mod deposit;
mod ids;
pub mod kyc;
mod lang;
pub mod limits;
mod locale;
mod money;
pub mod notify;
mod page;
mod query;
mod source;
mod theme;
mod token_error;
mod when;
pub mod withdrawal;

pub use bank::{BankIdError, CreditorRef, Iban};
pub use deposit::{BankInstructions, DepositForm, DepositState, DepositView, MethodKind, PaymentMethod};
pub(crate) use ids::stored_as_text;
pub use ids::{Currency, DepositId, IdError, Login, WithdrawalId};
pub use lang::{Dir, Lang};
pub use locale::{format_money, format_when};
pub use money::{fee, format_amount, parse_amount, AmountError, CurrencyRule};
pub use page::{PageContext, TraderView};
pub use query::{decode as decode_query_component, query_values, without_param};
pub use source::Source;
pub use theme::Theme;
pub use token_error::ErrorCode;
pub use when::format_timestamp;
pub use withdrawal::{WithdrawalForm, WithdrawalState, WithdrawalView};
