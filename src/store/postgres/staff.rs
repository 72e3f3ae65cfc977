//! (being ported from ../sqlite/staff.rs)
