use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use super::SqliteStore;
use crate::domain::Login;
use crate::store::{AccessCheck, AccessTokenRecord, OneTime, SsoStore, SsoUser, StoreError};

fn user_row(r: &SqliteRow) -> Result<SsoUser, sqlx::Error> {
    Ok(SsoUser { user_id: r.try_get("user_id")?, email: r.try_get("email")?, password_hash: r.try_get("password_hash")?, login: r.try_get("login")? })
}

fn access_row(r: &SqliteRow) -> Result<AccessTokenRecord, sqlx::Error> {
    Ok(AccessTokenRecord {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        email: r.try_get("email")?,
        login: r.try_get("login")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        last_used_at: r.try_get("last_used_at")?,
        revoked_at: r.try_get("revoked_at")?,
        revoked_by: r.try_get("revoked_by")?,
    })
}

#[async_trait]
impl SsoStore for SqliteStore {
    async fn create_user(&self, email: &str, password_hash: &str, login: Login, now: i64) -> Result<Option<i64>, StoreError> {
        let row =
            sqlx::query("INSERT INTO sso_users (email, password_hash, login, created_at) VALUES (?,?,?,?) ON CONFLICT (email) DO NOTHING RETURNING user_id")
                .bind(email)
                .bind(password_hash)
                .bind(login)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|r| r.get::<i64, _>(0)))
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<SsoUser>, StoreError> {
        let row = sqlx::query("SELECT * FROM sso_users WHERE email = ?").bind(email).fetch_optional(&self.pool).await?;
        Ok(row.as_ref().map(user_row).transpose()?)
    }

    async fn user(&self, user_id: i64) -> Result<Option<SsoUser>, StoreError> {
        let row = sqlx::query("SELECT * FROM sso_users WHERE user_id = ?").bind(user_id).fetch_optional(&self.pool).await?;
        Ok(row.as_ref().map(user_row).transpose()?)
    }

    async fn insert_crm_token(&self, token_hash: &str, now: i64, expires_at: i64) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO sso_crm_tokens (token_hash, created_at, expires_at) VALUES (?,?,?)")
            .bind(token_hash)
            .bind(now)
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn crm_token_valid(&self, token_hash: &str, now: i64) -> Result<bool, StoreError> {
        let row =
            sqlx::query("SELECT 1 FROM sso_crm_tokens WHERE token_hash = ? AND expires_at > ?").bind(token_hash).bind(now).fetch_optional(&self.pool).await?;
        Ok(row.is_some())
    }

    async fn insert_one_time(&self, token_hash: &str, kind: &str, user_id: i64, now: i64, expires_at: i64) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO sso_one_time (token_hash, kind, user_id, created_at, expires_at) VALUES (?,?,?,?,?)")
            .bind(token_hash)
            .bind(kind)
            .bind(user_id)
            .bind(now)
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn redeem_one_time(&self, token_hash: &str, kind: &str, now: i64) -> Result<OneTime, StoreError> {
        // One UPDATE decides: of concurrent redeemers only one sees a row.
        let won = sqlx::query("UPDATE sso_one_time SET used_at = ? WHERE token_hash = ? AND kind = ? AND used_at IS NULL AND expires_at > ? RETURNING user_id")
            .bind(now)
            .bind(token_hash)
            .bind(kind)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        if let Some(row) = won {
            let user_id: i64 = row.get(0);
            return Ok(match self.user(user_id).await? {
                Some(u) => OneTime::Redeemed(u),
                None => OneTime::Invalid,
            });
        }
        let expired = sqlx::query("SELECT 1 FROM sso_one_time WHERE token_hash = ? AND kind = ? AND used_at IS NULL AND expires_at <= ?")
            .bind(token_hash)
            .bind(kind)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        Ok(if expired.is_some() { OneTime::Expired } else { OneTime::Invalid })
    }

    async fn insert_access_token(&self, id: &str, token_hash: &str, user_id: i64, inapp_hash: &str, now: i64, expires_at: i64) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO sso_access_tokens (id, token_hash, user_id, inapp_hash, created_at, expires_at, last_used_at) VALUES (?,?,?,?,?,?,?)")
            .bind(id)
            .bind(token_hash)
            .bind(user_id)
            .bind(inapp_hash)
            .bind(now)
            .bind(expires_at)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn use_access_token(&self, token_hash: &str, new_inapp_hash: &str, now: i64) -> Result<AccessCheck, StoreError> {
        let row = sqlx::query("SELECT user_id, expires_at, revoked_at FROM sso_access_tokens WHERE token_hash = ?")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(AccessCheck::Invalid) };
        if row.get::<Option<i64>, _>("revoked_at").is_some() {
            return Ok(AccessCheck::Revoked);
        }
        if row.get::<i64, _>("expires_at") <= now {
            return Ok(AccessCheck::Invalid);
        }
        let Some(user) = self.user(row.get("user_id")).await? else { return Ok(AccessCheck::Invalid) };
        // Revocation wins a race with this use: the update only lands on a live token.
        let done = sqlx::query("UPDATE sso_access_tokens SET last_used_at = ?, inapp_hash = ? WHERE token_hash = ? AND revoked_at IS NULL")
            .bind(now)
            .bind(new_inapp_hash)
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(if done.rows_affected() == 1 { AccessCheck::Valid(user) } else { AccessCheck::Revoked })
    }

    async fn has_live_access(&self, user_id: i64, now: i64) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 FROM sso_access_tokens WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? LIMIT 1")
            .bind(user_id)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    async fn inapp_token_valid(&self, user_id: i64, inapp_hash: &str, now: i64) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 FROM sso_access_tokens WHERE user_id = ? AND inapp_hash = ? AND revoked_at IS NULL AND expires_at > ?")
            .bind(user_id)
            .bind(inapp_hash)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    async fn access_tokens(&self, limit: i64) -> Result<Vec<AccessTokenRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.id, a.user_id, u.email, u.login, a.created_at, a.expires_at, a.last_used_at, a.revoked_at, a.revoked_by \
             FROM sso_access_tokens a JOIN sso_users u ON u.user_id = a.user_id ORDER BY a.created_at DESC LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(access_row).collect::<Result<_, _>>()?)
    }

    async fn revoke_access_token(&self, id: &str, by: &str, now: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE sso_access_tokens SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL")
            .bind(now)
            .bind(by)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn purge_one_time(&self, before: i64) -> Result<u64, StoreError> {
        let a = sqlx::query("DELETE FROM sso_one_time WHERE expires_at < ?").bind(before).execute(&self.pool).await?.rows_affected();
        let b = sqlx::query("DELETE FROM sso_crm_tokens WHERE expires_at < ?").bind(before).execute(&self.pool).await?.rows_affected();
        Ok(a + b)
    }
}
