//! (being ported from ../sqlite/withdrawals.rs)
