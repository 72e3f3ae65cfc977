//! Staff accounts and their sessions.

use async_trait::async_trait;

use super::StoreError;

#[derive(Debug, Clone, PartialEq)]
pub struct StaffRecord {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub role: String,
}

#[async_trait]
pub trait StaffStore: Send + Sync {
    /// `false` when the email is taken.
    async fn create_staff(&self, email: &str, password_hash: &str, role: &str, now: i64) -> Result<bool, StoreError>;
    async fn staff_by_email(&self, email: &str) -> Result<Option<StaffRecord>, StoreError>;
    async fn insert_staff_session(&self, id_hash: &str, staff_id: i64, now: i64, expires_at: i64) -> Result<(), StoreError>;
    /// The staff member of a live session (idle cutoff and absolute expiry applied), touching it.
    async fn staff_for_session(&self, id_hash: &str, now: i64, idle_cutoff: i64) -> Result<Option<StaffRecord>, StoreError>;
    async fn delete_staff_session(&self, id_hash: &str) -> Result<(), StoreError>;
}
