use async_trait::async_trait;

use super::PgStore;
use crate::domain::Login;
use crate::kyc::screening::{HitKind, HitState};
use crate::store::{HitDecision, HitRecord, HitVerdict, NewHit, ScreeningStore, StoreError};

#[async_trait]
impl ScreeningStore for PgStore {
    async fn add_hits(&self, login: Login, hits: &[NewHit], now: i64) -> Result<usize, StoreError> {
        let mut tx = self.pool.begin().await?;
        // The case's row lock, which its approval takes too: an approval runs
        // before or after, never between.
        sqlx::query("SELECT 1 FROM kyc_cases WHERE login = $1 FOR UPDATE").bind(login).execute(&mut *tx).await?;
        let mut added = 0;
        for h in hits {
            added += sqlx::query(
                "INSERT INTO kyc_screening_hits (login, list_name, kind, entry_id, entry_name, entry_detail, screened_name, screened_birth, score, state, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10) \
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
        Ok(sqlx::query_as("SELECT * FROM kyc_screening_hits WHERE login = $1 ORDER BY id DESC").bind(login).fetch_all(&self.pool).await?)
    }

    async fn open_hits(&self, limit: i64) -> Result<Vec<HitRecord>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM kyc_screening_hits WHERE state = 'open' ORDER BY created_at, id LIMIT $1").bind(limit).fetch_all(&self.pool).await?)
    }

    async fn open_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM kyc_screening_hits WHERE state = 'open'").fetch_one(&self.pool).await?)
    }

    async fn decide_hit(&self, id: i64, verdict: &HitVerdict<'_>, now: i64) -> Result<HitDecision, StoreError> {
        let mut tx = self.pool.begin().await?;
        // The case's lock first, as every write to a case takes it.
        let Some(login) = sqlx::query_scalar::<_, Login>("SELECT login FROM kyc_screening_hits WHERE id = $1").bind(id).fetch_optional(&mut *tx).await? else {
            return Ok(HitDecision::NotFound);
        };
        sqlx::query("SELECT 1 FROM kyc_cases WHERE login = $1 FOR UPDATE").bind(login).execute(&mut *tx).await?;
        let (kind, current) = sqlx::query_as::<_, (HitKind, HitState)>("SELECT kind, state FROM kyc_screening_hits WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        if current != HitState::Open {
            return Ok(HitDecision::AlreadyDecided(login));
        }
        sqlx::query("UPDATE kyc_screening_hits SET state = $1, note = $2, decided_by = $3, decided_at = $4 WHERE id = $5")
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
        Ok(sqlx::query_as("SELECT login, details FROM kyc_cases WHERE details IS NOT NULL AND state != 'rejected' AND login > $1 ORDER BY login LIMIT $2")
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn same_identity(&self, login: Login, person: Option<&str>, document: Option<&str>) -> Result<Vec<(Login, String, Option<String>)>, StoreError> {
        sqlx::query("UPDATE kyc_cases SET identity_key = $1, document_key = $2 WHERE login = $3")
            .bind(person)
            .bind(document)
            .bind(login)
            .execute(&self.pool)
            .await?;
        // A user's own other accounts are not duplicates: one person, several logins.
        Ok(sqlx::query_as(
            "SELECT login, details, document_key FROM kyc_cases WHERE (identity_key = $1 OR document_key = $2) AND login != $3 \
                 AND state = 'approved' AND details IS NOT NULL AND user_id != (SELECT user_id FROM kyc_cases WHERE login = $4) \
                 AND (SELECT state FROM kyc_cases WHERE login = $4) != 'approved' ORDER BY login LIMIT 20",
        )
        .bind(person)
        .bind(document)
        .bind(login)
        .bind(login)
        .fetch_all(&self.pool)
        .await?)
    }
}
