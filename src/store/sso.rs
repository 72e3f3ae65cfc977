//! Full SSO storage: CRM users, CRM API tokens, access tokens (with their
//! inappToken) and one-time tokens, all tokens kept as hashes.

use async_trait::async_trait;

use super::StoreError;
use crate::domain::Login;

#[derive(Debug, Clone, PartialEq)]
pub struct SsoUser {
    pub user_id: i64,
    pub email: String,
    pub password_hash: String,
    pub login: Login,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AccessTokenRecord {
    pub id: String,
    pub user_id: i64,
    pub email: String,
    pub login: Login,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub revoked_by: Option<String>,
}

/// What became of a one-time token presented once.
#[derive(Debug, Clone, PartialEq)]
pub enum OneTime {
    /// Valid and now used up.
    Redeemed(SsoUser),
    Expired,
    /// Unknown, of the other kind, or already used.
    Invalid,
}

/// What 4.3 found for an access token.
#[derive(Debug, Clone, PartialEq)]
pub enum AccessCheck {
    Valid(SsoUser),
    Revoked,
    /// Unknown or past its expiry.
    Invalid,
}

#[async_trait]
pub trait SsoStore: Send + Sync {
    /// `None` when the email is taken.
    async fn create_user(&self, email: &str, password_hash: &str, login: Login, now: i64) -> Result<Option<i64>, StoreError>;
    async fn user_by_email(&self, email: &str) -> Result<Option<SsoUser>, StoreError>;
    async fn user(&self, user_id: i64) -> Result<Option<SsoUser>, StoreError>;

    async fn insert_crm_token(&self, token_hash: &str, now: i64, expires_at: i64) -> Result<(), StoreError>;
    async fn crm_token_valid(&self, token_hash: &str, now: i64) -> Result<bool, StoreError>;

    async fn insert_one_time(&self, token_hash: &str, kind: &str, user_id: i64, now: i64, expires_at: i64) -> Result<(), StoreError>;
    /// Uses the token up if it is of `kind`, unused and unexpired (one winner under concurrency).
    async fn redeem_one_time(&self, token_hash: &str, kind: &str, now: i64) -> Result<OneTime, StoreError>;

    async fn insert_access_token(&self, id: &str, token_hash: &str, user_id: i64, inapp_hash: &str, now: i64, expires_at: i64) -> Result<(), StoreError>;
    /// Checks an access token and, when valid, records its use and stores a new inappToken hash.
    async fn use_access_token(&self, token_hash: &str, new_inapp_hash: &str, now: i64) -> Result<AccessCheck, StoreError>;
    /// Whether the user holds any live (unexpired, unrevoked) access token.
    async fn has_live_access(&self, user_id: i64, now: i64) -> Result<bool, StoreError>;
    /// Whether `inapp_hash` belongs to a live access token of the user.
    async fn inapp_token_valid(&self, user_id: i64, inapp_hash: &str, now: i64) -> Result<bool, StoreError>;
    async fn access_tokens(&self, limit: i64) -> Result<Vec<AccessTokenRecord>, StoreError>;
    /// `false` when there is no such token or it was already revoked.
    async fn revoke_access_token(&self, id: &str, by: &str, now: i64) -> Result<bool, StoreError>;
    async fn purge_one_time(&self, before: i64) -> Result<u64, StoreError>;
}
