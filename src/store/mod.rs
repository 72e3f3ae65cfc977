//! Persistence behind traits, one per concern, each implemented by both
//! backends: `sqlite/` (the embedded default, one instance) and `postgres/`
//! (several instances sharing one database). [`connect`] picks the backend
//! from the URL.

mod actions;
mod attempts;
mod bank;
pub mod chat;
mod deposits;
mod kyc;
pub mod live;
mod notify;
mod outbox;
mod postgres;
mod screening;
pub(crate) mod sqlite;
mod sso;
mod staff;
pub mod withdrawals;

pub use actions::{ActionStore, SubmissionRecord};
pub use attempts::{AttemptClaim, AttemptStore};
pub use bank::{BankStore, EntryRecord, NewEntry, NewWire, WireOutcome, WireState, WireView};
pub use chat::ChatStore;
pub use deposits::{AuditJob, Capped, CreditJob, DepositCap, DepositRecord, DepositStore, DuplicateCredit, EventOutcome};
pub use kyc::{
    derive_state, AccessJob, CaseDecision, CaseRecord, CaseRules, CaseVerdict, DocumentRecord, DocumentVerdict, EventRecord, KycStore, KycWrite, UploadQuota,
};
pub use live::LiveStore;
pub use notify::{NoticeRecord, NotifyStore};
pub use outbox::{LedgerAudit, LedgerJob};
pub use screening::{HitDecision, HitRecord, HitVerdict, NewHit, ScreeningStore};
pub use sso::{AccessCheck, AccessTokenRecord, OneTime, SsoStore, SsoUser};
pub use staff::{Role, StaffRecord, StaffStore};
pub use withdrawals::{Decision, RequestOutcome, WithdrawalRecord, WithdrawalStore};

use crate::domain::Login;
use std::sync::Arc;

use async_trait::async_trait;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(String),
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error("unsupported database URL `{0}` (supported: sqlite:, postgres:)")]
    Unsupported(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Database(e.to_string())
    }
}

/// A trader's server-side session. The cookie holds a random id; only its
/// SHA-256 is stored, so a copy of the database cannot be replayed as cookies.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRecord {
    pub id_hash: String,
    pub user_id: i64,
    pub trader_id: Option<i64>,
    pub account_id: Option<i64>,
    pub login: Login,
    pub broker_name: Option<String>,
    pub trader_name: Option<String>,
    pub currency: Option<String>,
    pub lang: String,
    pub theme: String,
    pub source: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    /// The account of the session this one replaced, until a page has said so.
    pub switched_from: Option<Login>,
    /// The configured kycType the link that started the session named, if any.
    pub kyc_type: Option<String>,
    /// The screen that sent the trader into KYC (`session::BackTo`), to return to.
    pub kyc_back: Option<String>,
}

/// A "continue on your phone" code as stored (`kyc::handoff`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewHandoff<'a> {
    pub code_hash: &'a str,
    pub session_hash: &'a str,
    pub login: Login,
    pub document_type: &'a str,
    pub now: i64,
    pub expires_at: i64,
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn insert(&self, record: &SessionRecord) -> Result<(), StoreError>;
    async fn find(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError>;
    /// Records activity and the latest language/theme/source choices.
    async fn touch(&self, id_hash: &str, now_ms: i64, lang: &str, theme: &str, source: &str) -> Result<(), StoreError>;
    async fn delete(&self, id_hash: &str) -> Result<(), StoreError>;
    /// The switch of accounts was shown: forget it.
    async fn clear_switched(&self, id_hash: &str) -> Result<(), StoreError>;
    /// A screen sends the trader into KYC: the kycType it needs (kept as it
    /// was when `None`) and the screen to come back to.
    async fn set_kyc(&self, id_hash: &str, kyc_type: Option<&str>, back: &str) -> Result<(), StoreError>;
    /// Records a "continue on your phone" code (its hash) for the session
    /// `session_hash` and the upload of `document_type`.
    async fn create_handoff(&self, h: &NewHandoff<'_>) -> Result<(), StoreError>;
    /// Uses a code once, if it is unused and `now` is before its expiry:
    /// the desktop session's hash and the document type.
    async fn redeem_handoff(&self, code_hash: &str, now: i64) -> Result<Option<(String, String)>, StoreError>;
    /// The trader of an unused code not yet expired at `now`, without using it.
    async fn peek_handoff(&self, code_hash: &str, now: i64) -> Result<Option<Login>, StoreError>;
    /// Deletes sessions past their absolute expiry or idle since `idle_cutoff_ms`.
    async fn purge(&self, now_ms: i64, idle_cutoff_ms: i64) -> Result<u64, StoreError>;
}

/// Outcome of trying to be the one request that redeems a one-time token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This request owns the token and must resolve it.
    Won,
    /// Another request (here or on another instance) already took it.
    Taken,
}

/// Single flight per one-time token across every instance: the first request
/// to insert the token's hash resolves it; the rest see it as used.
#[async_trait]
pub trait TokenClaimStore: Send + Sync {
    async fn claim(&self, token_hash: &str, now_ms: i64) -> Result<Claim, StoreError>;
    /// Gives the token back (cTrader was unreachable, so it was not consumed).
    async fn release(&self, token_hash: &str) -> Result<(), StoreError>;
    async fn purge(&self, older_than_ms: i64) -> Result<u64, StoreError>;
}

/// The storage handles the rest of the server uses.
#[derive(Clone)]
pub struct Store {
    pub sessions: Arc<dyn SessionStore>,
    pub token_claims: Arc<dyn TokenClaimStore>,
    pub deposits: Arc<dyn DepositStore>,
    pub staff: Arc<dyn StaffStore>,
    pub kyc: Arc<dyn KycStore>,
    pub screening: Arc<dyn ScreeningStore>,
    pub sso: Arc<dyn SsoStore>,
    pub actions: Arc<dyn ActionStore>,
    pub attempts: Arc<dyn AttemptStore>,
    pub chat: Arc<dyn ChatStore>,
    pub live: Arc<dyn LiveStore>,
    pub bank: Arc<dyn BankStore>,
    pub withdrawals: Arc<dyn WithdrawalStore>,
    pub notify: Arc<dyn NotifyStore>,
    health: Arc<dyn Health>,
}

#[async_trait]
trait Health: Send + Sync {
    async fn ping(&self) -> Result<(), StoreError>;
    /// The newest migration the database has applied successfully, and the
    /// newest this build carries.
    async fn migrations(&self) -> Result<(i64, i64), StoreError>;
    /// `(jobs, oldest)` of each of [`BACKLOGS`]' queries.
    async fn backlogs(&self) -> Result<Vec<(i64, Option<i64>)>, StoreError>;
}

/// The outboxes' work waiting, for the metrics: each queue's pending jobs and
/// when the oldest was queued (ms since the epoch). The same SQL on both backends.
pub const BACKLOGS: [(&str, &str); 3] = [
    ("credit", "SELECT COUNT(*), MIN(d.updated_at) FROM credit_outbox o JOIN deposits d ON d.id = o.deposit_id WHERE o.state = 'pending'"),
    ("debit", "SELECT COUNT(*), MIN(w.approved_at) FROM debit_outbox o JOIN withdrawals w ON w.id = o.withdrawal_id WHERE o.state = 'pending'"),
    ("access_rights", "SELECT COUNT(*), MIN(next_at) FROM kyc_access_sync WHERE applied_version < version"),
];

/// One outbox's waiting work.
#[derive(Debug, Clone, PartialEq)]
pub struct Backlog {
    pub queue: &'static str,
    pub jobs: i64,
    /// When the oldest waiting job was queued (ms since the epoch).
    pub oldest_at: Option<i64>,
}

impl Store {
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.health.ping().await
    }

    /// The database answers and holds at least this build's migrations (an
    /// instance of a newer version may have added more; that is fine).
    pub async fn ready(&self) -> Result<(), StoreError> {
        let (applied, carried) = self.health.migrations().await?;
        if applied < carried {
            return Err(StoreError::Migration(format!("the database is at migration {applied}, this build needs {carried}")));
        }
        Ok(())
    }

    /// The newest migration the database has applied.
    pub async fn migration(&self) -> Result<i64, StoreError> {
        Ok(self.health.migrations().await?.0)
    }

    /// Each outbox's waiting work.
    pub async fn backlogs(&self) -> Result<Vec<Backlog>, StoreError> {
        let rows = self.health.backlogs().await?;
        Ok(BACKLOGS.iter().zip(rows).map(|((queue, _), (jobs, oldest_at))| Backlog { queue, jobs, oldest_at }).collect())
    }
}

/// What `Health::migrations` reads on both backends.
const APPLIED_MIGRATION: &str = "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success";

/// The newest migration `migrator` carries.
fn carried(migrator: &sqlx::migrate::Migrator) -> i64 {
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Opens (creating and migrating if needed) the database at `url`:
/// `sqlite:` for the embedded default, `postgres:` for several instances.
pub async fn connect(url: &str) -> Result<Store, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Store::of(Arc::new(sqlite::SqliteStore::open(url).await?)))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Store::of(Arc::new(postgres::PgStore::open(url).await?)))
    } else {
        Err(StoreError::Unsupported(url.split(':').next().unwrap_or("").to_string()))
    }
}

/// Every store trait, implemented by one backend.
trait Backend:
    SessionStore
    + TokenClaimStore
    + DepositStore
    + StaffStore
    + KycStore
    + ScreeningStore
    + SsoStore
    + ActionStore
    + AttemptStore
    + ChatStore
    + LiveStore
    + BankStore
    + WithdrawalStore
    + NotifyStore
    + Health
{
}

impl<T> Backend for T where
    T: SessionStore
        + TokenClaimStore
        + DepositStore
        + StaffStore
        + KycStore
        + ScreeningStore
        + SsoStore
        + ActionStore
        + AttemptStore
        + ChatStore
        + LiveStore
        + BankStore
        + WithdrawalStore
        + NotifyStore
        + Health
{
}

impl Store {
    fn of<B: Backend + 'static>(db: Arc<B>) -> Store {
        Store {
            sessions: db.clone(),
            token_claims: db.clone(),
            deposits: db.clone(),
            staff: db.clone(),
            kyc: db.clone(),
            screening: db.clone(),
            sso: db.clone(),
            actions: db.clone(),
            attempts: db.clone(),
            chat: db.clone(),
            live: db.clone(),
            bank: db.clone(),
            withdrawals: db.clone(),
            notify: db.clone(),
            health: db,
        }
    }
}
