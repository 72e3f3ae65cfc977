use async_trait::async_trait;
use sqlx::Row;

use super::SqliteStore;
use crate::store::{NewHandoff, SessionRecord, SessionStore, StoreError};

fn from_row(row: &sqlx::sqlite::SqliteRow) -> Result<SessionRecord, sqlx::Error> {
    Ok(SessionRecord {
        id_hash: row.try_get("id_hash")?,
        user_id: row.try_get("user_id")?,
        trader_id: row.try_get("trader_id")?,
        account_id: row.try_get("account_id")?,
        login: row.try_get("login")?,
        broker_name: row.try_get("broker_name")?,
        trader_name: row.try_get("trader_name")?,
        currency: row.try_get("currency")?,
        lang: row.try_get("lang")?,
        theme: row.try_get("theme")?,
        source: row.try_get("source")?,
        created_at: row.try_get("created_at")?,
        last_seen_at: row.try_get("last_seen_at")?,
        expires_at: row.try_get("expires_at")?,
        switched_from: row.try_get("switched_from")?,
        kyc_type: row.try_get("kyc_type")?,
        kyc_back: row.try_get("kyc_back")?,
    })
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn insert(&self, r: &SessionRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, trader_id, account_id, login, broker_name, trader_name, currency, \
             lang, theme, source, created_at, last_seen_at, expires_at, switched_from, kyc_type) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        )
        .bind(&r.id_hash)
        .bind(r.user_id)
        .bind(r.trader_id)
        .bind(r.account_id)
        .bind(r.login)
        .bind(&r.broker_name)
        .bind(&r.trader_name)
        .bind(&r.currency)
        .bind(&r.lang)
        .bind(&r.theme)
        .bind(&r.source)
        .bind(r.created_at)
        .bind(r.last_seen_at)
        .bind(r.expires_at)
        .bind(r.switched_from)
        .bind(&r.kyc_type)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn find(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM sessions WHERE id_hash = ?").bind(id_hash).fetch_optional(&self.pool).await?;
        Ok(row.as_ref().map(from_row).transpose()?)
    }

    async fn touch(&self, id_hash: &str, now_ms: i64, lang: &str, theme: &str, source: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET last_seen_at = ?, lang = ?, theme = ?, source = ? WHERE id_hash = ?")
            .bind(now_ms)
            .bind(lang)
            .bind(theme)
            .bind(source)
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn clear_switched(&self, id_hash: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET switched_from = NULL WHERE id_hash = ?").bind(id_hash).execute(&self.pool).await?;
        Ok(())
    }

    async fn set_kyc(&self, id_hash: &str, kyc_type: Option<&str>, back: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET kyc_type = COALESCE(?, kyc_type), kyc_back = ? WHERE id_hash = ?")
            .bind(kyc_type)
            .bind(back)
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn create_handoff(&self, h: &NewHandoff<'_>) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO kyc_handoffs (code_hash, session_hash, login, document_type, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(h.code_hash)
            .bind(h.session_hash)
            .bind(h.login)
            .bind(h.document_type)
            .bind(h.now)
            .bind(h.expires_at)
            .execute(&self.pool)
            .await?;
        // Expired codes go with the next one made.
        sqlx::query("DELETE FROM kyc_handoffs WHERE expires_at < ?").bind(h.now - 24 * 60 * 60 * 1000).execute(&self.pool).await?;
        Ok(())
    }

    async fn peek_handoff(&self, code_hash: &str, now: i64) -> Result<Option<crate::domain::Login>, StoreError> {
        Ok(sqlx::query_scalar("SELECT login FROM kyc_handoffs WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?")
            .bind(code_hash)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn redeem_handoff(&self, code_hash: &str, now: i64) -> Result<Option<(String, String)>, StoreError> {
        // One statement: of two phones opening the link at once, one wins.
        Ok(sqlx::query_as(
            "UPDATE kyc_handoffs SET used_at = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING session_hash, document_type",
        )
        .bind(now)
        .bind(code_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn delete(&self, id_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = ?").bind(id_hash).execute(&self.pool).await?;
        Ok(())
    }

    async fn purge(&self, now_ms: i64, idle_cutoff_ms: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?").bind(now_ms).bind(idle_cutoff_ms).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }
}
