//! (being ported from ../sqlite/deposits.rs)
