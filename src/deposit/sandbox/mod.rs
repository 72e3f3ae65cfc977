//! The sandbox payment provider: a hosted-payment provider that runs inside
//! this server for development and tests, and behaves like a real one. Its API
//! creates payments (idempotently), its hosted page takes test cards, and it
//! sends signed webhooks server-to-server, retrying until they are accepted.
//!
//! Test cards: `4242 4242 4242 4242` succeeds, `4000 0000 0000 0002` is
//! declined, `4000 0000 0000 3220` succeeds asynchronously (the webhook comes
//! `sandbox_async_delay_ms` later).

mod api;
mod client;
mod deliver;
mod page;

pub use client::SandboxClient;
pub use deliver::spawn_deliverer;

use axum::routing::{get, post};
use axum::Router;
use sqlx::SqlitePool;

use crate::store::StoreError;

pub const CARD_SUCCESS: &str = "4242424242424242";
pub const CARD_DECLINE: &str = "4000000000000002";
pub const CARD_ASYNC: &str = "4000000000003220";

#[derive(Clone)]
pub struct SandboxPsp {
    pub pool: SqlitePool,
    pub api_key: String,
    pub webhook_secret: String,
    pub webhook_url: String,
    pub async_delay_ms: i64,
    pub css_href: String,
}

impl SandboxPsp {
    pub async fn open(
        database_url: &str,
        api_key: &str,
        webhook_secret: &str,
        webhook_url: String,
        async_delay_ms: u64,
        css_href: String,
    ) -> Result<Self, StoreError> {
        let pool = crate::store::sqlite::open_pool(database_url).await?;
        sqlx::migrate!("src/deposit/sandbox/migrations").run(&pool).await.map_err(|e| StoreError::Migration(e.to_string()))?;
        Ok(SandboxPsp {
            pool,
            api_key: api_key.to_string(),
            webhook_secret: webhook_secret.to_string(),
            webhook_url,
            async_delay_ms: async_delay_ms as i64,
            css_href,
        })
    }
}

/// The provider's routes, to be nested under `/psp/sandbox`.
pub fn router<S: Clone + Send + Sync + 'static>(psp: SandboxPsp) -> Router<S> {
    Router::new().route("/v1/payments", post(api::create_payment)).route("/pay/{id}", get(page::show).post(page::submit)).with_state(psp)
}
