//! Staff accounts and their sessions.

use async_trait::async_trait;

use super::StoreError;

/// What a staff member may see and do (`web::caller` turns sets of roles into extractors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Compliance,
    Support,
    /// Records received bank transfers and approves them (four eyes).
    Finance,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Compliance, Role::Support, Role::Finance];

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "compliance" => Some(Role::Compliance),
            "support" => Some(Role::Support),
            "finance" => Some(Role::Finance),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Compliance => "compliance",
            Role::Support => "support",
            Role::Finance => "finance",
        }
    }
}

crate::domain::stored_as_text!(Role);

/// A `staff` row; a role this code does not know fails to decode.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StaffRecord {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub role: Role,
}

#[async_trait]
pub trait StaffStore: Send + Sync {
    /// `false` when the email is taken.
    async fn create_staff(&self, email: &str, password_hash: &str, role: Role, now: i64) -> Result<bool, StoreError>;
    async fn staff_by_email(&self, email: &str) -> Result<Option<StaffRecord>, StoreError>;
    async fn insert_staff_session(&self, id_hash: &str, staff_id: i64, now: i64, expires_at: i64) -> Result<(), StoreError>;
    /// The staff member of a live session (idle cutoff and absolute expiry applied), touching it.
    async fn staff_for_session(&self, id_hash: &str, now: i64, idle_cutoff: i64) -> Result<Option<StaffRecord>, StoreError>;
    async fn delete_staff_session(&self, id_hash: &str) -> Result<(), StoreError>;
}
