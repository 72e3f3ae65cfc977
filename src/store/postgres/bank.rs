//! (being ported from ../sqlite/bank.rs)
