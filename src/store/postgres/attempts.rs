//! (being ported from ../sqlite/attempts.rs)
