use md5::{Digest, Md5};
use sqlx::SqlitePool;

use crate::store::StoreError;

#[derive(Clone)]
pub struct SimState {
    pub pool: SqlitePool,
    pub token_ttl_ms: i64,
    pub manager_login: u64,
    /// MD5 of the manager password, as cTrader compares it.
    pub hashed_password: String,
}

impl SimState {
    pub async fn open(database_url: &str, token_ttl_seconds: u64, manager_login: u64, manager_password: &str) -> Result<Self, StoreError> {
        let pool = crate::store::sqlite::open_pool(database_url).await?;
        sqlx::migrate!("src/sim/migrations").run(&pool).await.map_err(|e| StoreError::Migration(e.to_string()))?;
        Ok(SimState {
            pool,
            token_ttl_ms: token_ttl_seconds as i64 * 1000,
            manager_login,
            hashed_password: hex::encode(Md5::digest(manager_password.as_bytes())),
        })
    }
}
