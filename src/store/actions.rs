//! Submissions of the broker's form actions.

use async_trait::async_trait;

use super::StoreError;
use crate::domain::Login;

#[derive(Debug, Clone, PartialEq)]
pub struct SubmissionRecord {
    pub id: String,
    pub action_type: String,
    pub login: Login,
    pub user_id: i64,
    /// The cleaned values, as a JSON object.
    pub fields: String,
    pub created_at: i64,
}

#[async_trait]
pub trait ActionStore: Send + Sync {
    async fn insert_submission(&self, record: &SubmissionRecord) -> Result<(), StoreError>;
    /// Newest first.
    async fn submissions(&self, limit: i64) -> Result<Vec<SubmissionRecord>, StoreError>;
}
