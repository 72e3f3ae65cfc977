//! (being ported from ../sqlite/token_claims.rs)
