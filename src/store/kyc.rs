//! KYC cases, documents, the event log (timeline and audit) and the
//! accessRights outbox.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::StoreError;
use crate::domain::kyc::{CaseState, DocumentState, DocumentType, FileKind};
use crate::domain::Login;

/// A `kyc_cases` row; a state this code does not know fails to decode.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CaseRecord {
    pub login: Login,
    pub user_id: i64,
    pub kyc_type: String,
    pub state: CaseState,
    /// JSON object of the personal details, once saved.
    pub details: Option<String>,
    /// Compliance's message to the trader (more information, rejection).
    pub note: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Compliance set the level: links no longer change it.
    #[sqlx(default)]
    pub level_locked: bool,
}

/// A `kyc_documents` row.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DocumentRecord {
    pub id: String,
    pub login: Login,
    pub doc_type: DocumentType,
    pub state: DocumentState,
    pub reason: Option<String>,
    pub file_name: String,
    /// Decided from the content, never from the name.
    pub kind: FileKind,
    pub size: i64,
    pub has_preview: bool,
    pub created_at: i64,
    pub decided_at: Option<i64>,
    pub decided_by: Option<String>,
    /// When a newer document of the same type replaced it.
    #[sqlx(default)]
    pub replaced_at: Option<i64>,
    /// When its file was deleted after the retention period (the record stays).
    #[sqlx(default)]
    pub file_deleted_at: Option<i64>,
    /// Rejected for good: no new upload of this type (see `DocumentVerdict`).
    #[sqlx(default)]
    pub rejected_final: bool,
    /// A photo's quality scores (JSON of `domain::kyc::quality::QualityScores`).
    #[sqlx(default)]
    pub quality: Option<String>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct EventRecord {
    /// Grows with every event: the trader's latest is the case's revision.
    pub id: i64,
    pub login: Login,
    pub at: i64,
    /// `trader` or the staff member's email.
    pub actor: String,
    pub action: String,
    pub subject: Option<String>,
    /// The trader's to read.
    pub reason: Option<String>,
    /// Staff's only.
    #[sqlx(default)]
    pub internal_note: Option<String>,
}

/// What a case needs, so a write can work out the case's new state in the
/// same transaction, and how states map to cTrader accessRights.
#[derive(Debug, Clone)]
pub struct CaseRules<'a> {
    pub kyc_type: &'a str,
    pub needs_details: bool,
    pub documents: &'a [DocumentType],
    pub access_rights: &'a BTreeMap<CaseState, String>,
}

/// A trader's upload allowance (`kyc.daily_uploads`, `kyc.daily_upload_bytes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadQuota {
    /// Uploads from this moment on count (a day ago).
    pub since: i64,
    pub files: i64,
    pub bytes: i64,
}

/// A write's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KycWrite {
    Done(CaseState),
    /// Approved or rejected: nothing changes any more.
    Closed,
    NotFound,
    /// The trader changed the case (or replaced the document) since the
    /// reviewer opened it: a decision applies only to what was on screen.
    Changed,
    /// The upload would take the trader past their daily quota: not recorded.
    OverQuota,
    /// Not approved: a screening match is open or confirmed (`kyc::screening`).
    OnHold,
    /// Not approved: another user's case with the same identity or
    /// document was approved after this one was screened (two reviewers
    /// approving twins at once); screen it again, then decide.
    Unscreened,
    /// Not recorded: the type's document was rejected for good (the trader contacts support).
    FinalRejection,
}

/// What a reviewer decided about one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentVerdict<'a> {
    pub accept: bool,
    /// Shown to the trader (a rejection needs one).
    pub reason: Option<&'a str>,
    /// A rejection the trader cannot answer with a new upload: they contact
    /// support. Otherwise a rejected document may be sent again.
    pub final_rejection: bool,
    /// For staff only: never reaches the trader's screens.
    pub internal_note: Option<&'a str>,
}

/// What a reviewer decided about a whole case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseVerdict<'a> {
    pub decision: CaseDecision,
    /// Shown to the trader (rejection, request for more).
    pub reason: Option<&'a str>,
    /// For staff only.
    pub internal_note: Option<&'a str>,
}

/// A decision compliance takes on a whole case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseDecision {
    Approve,
    Reject,
    MoreInfo,
}

/// An accessRights change to carry to cTrader.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessJob {
    pub login: Login,
    pub access_rights: String,
    pub version: i64,
    pub attempt: i64,
}

#[async_trait]
pub trait KycStore: Send + Sync {
    async fn case(&self, login: Login) -> Result<Option<CaseRecord>, StoreError>;
    /// The case state of each of `logins` that has a case (one query).
    async fn states(&self, logins: &[Login]) -> Result<std::collections::HashMap<Login, CaseState>, StoreError>;
    /// Every document of the login, newest first (replaced ones included).
    async fn documents(&self, login: Login) -> Result<Vec<DocumentRecord>, StoreError>;
    async fn document(&self, id: &str) -> Result<Option<DocumentRecord>, StoreError>;
    async fn events(&self, login: Login) -> Result<Vec<EventRecord>, StoreError>;
    /// A page of cases: in `state`, longest waiting first (a queue); or all,
    /// those waiting for compliance first, then the rest by newest activity.
    async fn queue(&self, state: Option<CaseState>, limit: i64, offset: i64) -> Result<Vec<CaseRecord>, StoreError>;
    /// How many cases are in `state` (or in all).
    async fn queue_count(&self, state: Option<CaseState>) -> Result<i64, StoreError>;
    async fn save_details(&self, login: Login, user_id: i64, details_json: &str, rules: &CaseRules<'_>, now: i64) -> Result<KycWrite, StoreError>;
    /// Records an uploaded document (its file is already stored); an earlier
    /// document of the same type becomes `replaced`.
    /// Records an uploaded document; with `quota`, only if the trader's
    /// uploads (documents and chat attachments) since `quota.since`, this one
    /// included, stay within it (`KycWrite::OverQuota` otherwise), counted
    /// in the same transaction under a per-trader lock, so uploads arriving
    /// through several instances at once cannot pass it together.
    async fn add_document(
        &self,
        doc: &DocumentRecord,
        user_id: i64,
        rules: &CaseRules<'_>,
        quota: Option<&UploadQuota>,
        now: i64,
    ) -> Result<KycWrite, StoreError>;
    async fn decide_document(&self, doc_id: &str, verdict: &DocumentVerdict<'_>, actor: &str, rules: &CaseRules<'_>, now: i64) -> Result<KycWrite, StoreError>;
    /// `seen`: the case's revision the reviewer had on screen (see `revision`).
    #[allow(clippy::too_many_arguments)]
    async fn decide_case(
        &self,
        login: Login,
        verdict: &CaseVerdict<'_>,
        actor: &str,
        seen: i64,
        rules: &CaseRules<'_>,
        now: i64,
    ) -> Result<KycWrite, StoreError>;
    /// Compliance sets the case's level (`rules` are the new level's): what
    /// it asks for, and so its state, follow; `seen` as for `decide_case`.
    async fn set_level(&self, login: Login, actor: &str, seen: i64, rules: &CaseRules<'_>, now: i64) -> Result<KycWrite, StoreError>;
    async fn claim_access(&self, now: i64, lease_ms: i64, limit: i64) -> Result<Vec<AccessJob>, StoreError>;
    /// What the trader uploaded since `since` (KYC documents and their chat
    /// attachments): `(count, bytes)`.
    async fn uploads_since(&self, login: Login, since: i64) -> Result<(i64, i64), StoreError>;
    /// Documents replaced before `before` whose files are still kept (at most `limit`).
    async fn replaced_before(&self, before: i64, limit: i64) -> Result<Vec<String>, StoreError>;
    /// The file of document `id` was deleted (after its retention).
    async fn file_deleted(&self, id: &str, now: i64) -> Result<(), StoreError>;
    /// Which of `ids` are a KYC document's or a chat attachment's (one
    /// query): a stored file whose id is neither is an orphan.
    async fn known_file_ids(&self, ids: &[String]) -> Result<std::collections::HashSet<String>, StoreError>;
    /// Records `version` as in cTrader, if lease `attempt` is still the latest
    /// (a worker that overran its lease changes nothing). Attempts are never
    /// reset, so a lease number is never given out twice.
    async fn access_applied(&self, login: Login, version: i64, attempt: i64) -> Result<(), StoreError>;
    /// The call failed (or was cut off): try again at `next_at`, and not
    /// before, whatever is decided meanwhile.
    async fn access_retry(&self, login: Login, attempt: i64, next_at: i64, error: &str) -> Result<(), StoreError>;
    /// `(accessRights, applied?)` for the login, if a decision was ever synced.
    async fn access_state(&self, login: Login) -> Result<Option<(String, bool)>, StoreError>;
}

/// The case's state from what it holds. Closed cases never move.
pub fn derive_state(current: CaseState, has_details: bool, latest_docs: &[(DocumentType, DocumentState)], rules: &CaseRules<'_>) -> CaseState {
    if !current.open() {
        return current;
    }
    let state_of = |t: DocumentType| latest_docs.iter().find(|(ty, _)| *ty == t).map(|(_, s)| *s);
    if rules.documents.iter().any(|t| state_of(*t) == Some(DocumentState::Rejected)) {
        return CaseState::MoreInfo;
    }
    let docs_done = rules.documents.iter().all(|t| matches!(state_of(*t), Some(DocumentState::Uploaded | DocumentState::Accepted)));
    if (has_details || !rules.needs_details) && docs_done {
        CaseState::Submitted
    } else if !has_details && latest_docs.is_empty() {
        CaseState::NotStarted
    } else {
        CaseState::InProgress
    }
}
