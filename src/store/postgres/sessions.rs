//! (being ported from ../sqlite/sessions.rs)
