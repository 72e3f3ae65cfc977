//! Possible matches from sanctions and PEP screening (`kyc::screening`) and
//! compliance's decision on each.

use async_trait::async_trait;

use super::StoreError;
use crate::domain::Login;
use crate::kyc::screening::{HitKind, HitState};

/// A possible match, as found.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct NewHit {
    pub list_name: String,
    pub kind: HitKind,
    /// The list's own reference for the entry.
    pub entry_id: String,
    pub entry_name: String,
    /// Aliases, dates of birth and the listing, for the reviewer.
    pub entry_detail: String,
    /// The trader's name and date of birth (`YYYY-MM-DD` or empty) as screened.
    pub screened_name: String,
    pub screened_birth: String,
    /// Name similarity in percent.
    pub score: i64,
}

/// A `kyc_screening_hits` row: the match as found, and compliance's decision.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct HitRecord {
    pub id: i64,
    pub login: Login,
    #[sqlx(flatten)]
    pub hit: NewHit,
    pub state: HitState,
    pub note: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub created_at: i64,
}

/// Compliance's decision on one match.
#[derive(Debug, Clone, Copy)]
pub struct HitVerdict<'a> {
    pub state: HitState,
    /// Why (required): kept with the match.
    pub note: &'a str,
    pub actor: &'a str,
    /// Case state → cTrader accessRights (`kyc.access_rights`).
    pub access_rights: &'a std::collections::BTreeMap<crate::domain::kyc::CaseState, String>,
}

/// What deciding a possible match did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HitDecision {
    /// Decided now; the case it belongs to.
    Done(Login),
    /// Someone decided it already: a decision is never overwritten.
    AlreadyDecided(Login),
    NotFound,
}

#[async_trait]
pub trait ScreeningStore: Send + Sync {
    /// Records `login`'s possible matches; one recorded before (same list,
    /// entry, name and date of birth screened) stays as it is, decided or
    /// not. How many are new. Serialised with the case's approval, so an
    /// approval either sees a match or comes before it.
    async fn add_hits(&self, login: Login, hits: &[NewHit], now: i64) -> Result<usize, StoreError>;
    /// Every possible match of `login`, newest first.
    async fn hits(&self, login: Login) -> Result<Vec<HitRecord>, StoreError>;
    /// Matches waiting for compliance, oldest first, at most `limit`.
    async fn open_hits(&self, limit: i64) -> Result<Vec<HitRecord>, StoreError>;
    async fn open_count(&self) -> Result<i64, StoreError>;
    /// Compliance clears (`Cleared`) or confirms (`Confirmed`) an open
    /// match. A confirmed sanctions or duplicate match on a case already
    /// approved rejects it in the same transaction (`access_rights` says
    /// what cTrader is told).
    async fn decide_hit(&self, id: i64, verdict: &HitVerdict<'_>, now: i64) -> Result<HitDecision, StoreError>;
    /// Records `login`'s identity (`Subject::identity_key`) and document
    /// (`Subject::document_key`) keys, and, unless `login`'s own case is
    /// approved (a duplicate is flagged on the newer case, once), answers
    /// the approved cases of other users with either: `(login, details,
    /// their document key)`.
    async fn same_identity(&self, login: Login, person: Option<&str>, document: Option<&str>) -> Result<Vec<(Login, String, Option<String>)>, StoreError>;
    /// Cases not rejected that hold personal details, by login after
    /// `after`, at most `limit`: `(login, details)`.
    async fn cases_with_details(&self, after: i64, limit: i64) -> Result<Vec<(Login, String)>, StoreError>;
}
