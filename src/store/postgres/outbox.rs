//! (being ported from ../sqlite/outbox.rs)
