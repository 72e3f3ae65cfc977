//! (being ported from ../sqlite/listing.rs)
