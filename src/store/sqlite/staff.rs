use async_trait::async_trait;

use super::SqliteStore;
use crate::store::{Role, StaffRecord, StaffStore, StoreError};

#[async_trait]
impl StaffStore for SqliteStore {
    async fn create_staff(&self, email: &str, password_hash: &str, role: Role, now: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("INSERT INTO staff (email, password_hash, role, created_at) VALUES (?,?,?,?) ON CONFLICT (email) DO NOTHING")
            .bind(email)
            .bind(password_hash)
            .bind(role)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn staff_by_email(&self, email: &str) -> Result<Option<StaffRecord>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM staff WHERE email = ?").bind(email).fetch_optional(&self.pool).await?)
    }

    async fn insert_staff_session(&self, id_hash: &str, staff_id: i64, now: i64, expires_at: i64) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO staff_sessions (id_hash, staff_id, created_at, last_seen_at, expires_at) VALUES (?,?,?,?,?)")
            .bind(id_hash)
            .bind(staff_id)
            .bind(now)
            .bind(now)
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn staff_for_session(&self, id_hash: &str, now: i64, idle_cutoff: i64) -> Result<Option<StaffRecord>, StoreError> {
        let row: Option<StaffRecord> = sqlx::query_as(
            "SELECT s.* FROM staff_sessions x JOIN staff s ON s.id = x.staff_id \
             WHERE x.id_hash = ? AND x.expires_at > ? AND x.last_seen_at > ?",
        )
        .bind(id_hash)
        .bind(now)
        .bind(idle_cutoff)
        .fetch_optional(&self.pool)
        .await?;
        if row.is_some() {
            sqlx::query("UPDATE staff_sessions SET last_seen_at = ? WHERE id_hash = ?").bind(now).bind(id_hash).execute(&self.pool).await?;
        }
        Ok(row)
    }

    async fn delete_staff_session(&self, id_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM staff_sessions WHERE id_hash = ?").bind(id_hash).execute(&self.pool).await?;
        Ok(())
    }
}
