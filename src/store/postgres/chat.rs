//! (being ported from ../sqlite/chat.rs)
