//! (being ported from ../sqlite/sso.rs)
