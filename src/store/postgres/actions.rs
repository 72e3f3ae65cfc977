//! (being ported from ../sqlite/actions.rs)
