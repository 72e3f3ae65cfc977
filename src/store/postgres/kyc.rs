//! (being ported from ../sqlite/kyc.rs)
