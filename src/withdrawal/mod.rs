//! Withdrawals: the trader asks (`/inapp/action?actionType=withdraw`),
//! finance approves or rejects (`/backoffice/withdrawals`, four eyes above
//! the configured amount), the debiting worker takes the money from the
//! trading account exactly once (`debit`, on the machinery credits use),
//! and finance marks the payout sent. A request holds its amount against the
//! balance until it is debited, so two open requests cannot spend the same
//! money; cTrader has the last word at the debit (a refusal rejects the
//! withdrawal and nothing is paid).

pub mod debit;
pub mod service;
