use async_trait::async_trait;

use super::SqliteStore;
use crate::domain::Login;
use crate::kyc::screening::{HitKind, HitState};
use crate::store::{HitDecision, HitRecord, HitVerdict, NewHit, ScreeningStore, StoreError};

#[async_trait]
impl ScreeningStore for SqliteStore {
    async fn add_hits(&self, login: Login, hits: &[NewHit], now: i64) -> Result<usize, StoreError> {
        // One write transaction (SQLite's write lock): an approval runs before or after, never between.
        let mut tx = super::write_tx(&self.pool).await?;
        let mut added = 0;
        for h in hits {
            added += sqlx::query(
                "INSERT INTO kyc_screening_hits (login, list_name, kind, entry_id, entry_name, entry_detail, screened_name, screened_birth, score, state, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?) \
                 ON CONFLICT (login, list_name, entry_id, screened_name, screened_birth) DO NOTHING",
            )
            .bind(login)
            .bind(&h.list_name)
            .bind(h.kind)
            .bind(&h.entry_id)
            .bind(&h.entry_name)
            .bind(&h.entry_detail)
            .bind(&h.screened_name)
            .bind(&h.screened_birth)
            .bind(h.score)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected() as usize;
        }
        tx.commit().await?;
        Ok(added)
    }

    async fn hits(&self, login: Login) -> Result<Vec<HitRecord>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM kyc_screening_hits WHERE login = ? ORDER BY id DESC").bind(login).fetch_all(&self.pool).await?)
    }

    async fn open_hits(&self, limit: i64) -> Result<Vec<HitRecord>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM kyc_screening_hits WHERE state = 'open' ORDER BY created_at, id LIMIT ?").bind(limit).fetch_all(&self.pool).await?)
    }

    async fn open_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM kyc_screening_hits WHERE state = 'open'").fetch_one(&self.pool).await?)
    }

    async fn decide_hit(&self, id: i64, verdict: &HitVerdict<'_>, now: i64) -> Result<HitDecision, StoreError> {
        let mut tx = super::write_tx(&self.pool).await?;
        let Some((login, kind, current)) = sqlx::query_as::<_, (Login, HitKind, HitState)>("SELECT login, kind, state FROM kyc_screening_hits WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(HitDecision::NotFound);
        };
        if current != HitState::Open {
            return Ok(HitDecision::AlreadyDecided(login));
        }
        sqlx::query("UPDATE kyc_screening_hits SET state = ?, note = ?, decided_by = ?, decided_at = ? WHERE id = ?")
            .bind(verdict.state)
            .bind(verdict.note)
            .bind(verdict.actor)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if verdict.state == HitState::Confirmed && kind.bars_approval() {
            super::kyc::revoke_approval(&mut tx, login, verdict, now).await?;
        }
        tx.commit().await?;
        Ok(HitDecision::Done(login))
    }

    async fn cases_with_details(&self, after: i64, limit: i64) -> Result<Vec<(Login, String)>, StoreError> {
        Ok(sqlx::query_as("SELECT login, details FROM kyc_cases WHERE details IS NOT NULL AND state != 'rejected' AND login > ? ORDER BY login LIMIT ?")
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn same_identity(&self, login: Login, person: Option<&str>, document: Option<&str>) -> Result<Vec<(Login, String, Option<String>)>, StoreError> {
        sqlx::query("UPDATE kyc_cases SET identity_key = ?, document_key = ? WHERE login = ?")
            .bind(person)
            .bind(document)
            .bind(login)
            .execute(&self.pool)
            .await?;
        // A user's own other accounts are not duplicates: one person, several logins.
        Ok(sqlx::query_as(
            "SELECT login, details, document_key FROM kyc_cases WHERE (identity_key = ? OR document_key = ?) AND login != ? \
                 AND state = 'approved' AND details IS NOT NULL AND user_id != (SELECT user_id FROM kyc_cases WHERE login = ?) \
                 AND (SELECT state FROM kyc_cases WHERE login = ?) != 'approved' ORDER BY login LIMIT 20",
        )
        .bind(person)
        .bind(document)
        .bind(login)
        .bind(login)
        .bind(login)
        .fetch_all(&self.pool)
        .await?)
    }
}
