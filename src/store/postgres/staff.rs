//! Staff accounts and their sessions.

use async_trait::async_trait;

use super::PgStore;
use crate::store::{Role, StaffRecord, StaffStore, StoreError};

#[async_trait]
impl StaffStore for PgStore {
    async fn create_staff(&self, email: &str, password_hash: &str, role: Role, now: i64) -> Result<bool, StoreError> {
        // A concurrent insert of the same email waits for the first, then does nothing.
        let done = sqlx::query("INSERT INTO staff (email, password_hash, role, created_at) VALUES ($1,$2,$3,$4) ON CONFLICT (email) DO NOTHING")
            .bind(email)
            .bind(password_hash)
            .bind(role)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn staff_by_email(&self, email: &str) -> Result<Option<StaffRecord>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM staff WHERE email = $1").bind(email).fetch_optional(&self.pool).await?)
    }

    async fn insert_staff_session(&self, id_hash: &str, staff_id: i64, now: i64, expires_at: i64) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO staff_sessions (id_hash, staff_id, created_at, last_seen_at, expires_at) VALUES ($1,$2,$3,$4,$5)")
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
             WHERE x.id_hash = $1 AND x.expires_at > $2 AND x.last_seen_at > $3",
        )
        .bind(id_hash)
        .bind(now)
        .bind(idle_cutoff)
        .fetch_optional(&self.pool)
        .await?;
        if row.is_some() {
            sqlx::query("UPDATE staff_sessions SET last_seen_at = $1 WHERE id_hash = $2").bind(now).bind(id_hash).execute(&self.pool).await?;
        }
        Ok(row)
    }

    async fn delete_staff_session(&self, id_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM staff_sessions WHERE id_hash = $1").bind(id_hash).execute(&self.pool).await?;
        Ok(())
    }
}
