//! Submissions of the broker's form actions.

use async_trait::async_trait;
use sqlx::Row;

use super::PgStore;
use crate::store::{ActionStore, StoreError, SubmissionRecord};

#[async_trait]
impl ActionStore for PgStore {
    async fn insert_submission(&self, r: &SubmissionRecord) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO action_submissions (id, action_type, login, user_id, fields, created_at) VALUES ($1,$2,$3,$4,$5,$6)")
            .bind(&r.id)
            .bind(&r.action_type)
            .bind(r.login)
            .bind(r.user_id)
            .bind(&r.fields)
            .bind(r.created_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn submissions(&self, limit: i64) -> Result<Vec<SubmissionRecord>, StoreError> {
        let rows = sqlx::query("SELECT * FROM action_submissions ORDER BY created_at DESC, id LIMIT $1").bind(limit).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(SubmissionRecord {
                    id: r.try_get("id")?,
                    action_type: r.try_get("action_type")?,
                    login: r.try_get("login")?,
                    user_id: r.try_get("user_id")?,
                    fields: r.try_get("fields")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }
}
