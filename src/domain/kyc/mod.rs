//! KYC types shared by the server and the browser: what a `kycType` asks for,
//! the personal-details rules (checked the same way on both sides), the file
//! checks done before and after an upload, and the case as the trader sees it.

mod countries;
mod details;
mod files;
pub mod mrz;
pub mod quality;

pub use countries::COUNTRIES;
pub use details::{parse_date, validate_detail, validate_details, DetailError, DetailField, SOURCES_OF_FUNDS};
pub use files::{check_name, check_size, sniff, FileKind, UploadError, UploadLimits};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The documents a trader can be asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DocumentType {
    Identity,
    Address,
    Additional,
}

impl DocumentType {
    pub const ALL: [DocumentType; 3] = [DocumentType::Identity, DocumentType::Address, DocumentType::Additional];

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentType::Identity => "identity",
            DocumentType::Address => "address",
            DocumentType::Additional => "additional",
        }
    }

    pub fn parse(s: &str) -> Option<DocumentType> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// Where a trader's verification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CaseState {
    NotStarted,
    /// Some of what is asked for is there.
    InProgress,
    /// Everything asked for is there; waiting for compliance.
    Submitted,
    /// Compliance needs something again (a rejected document, or a request).
    MoreInfo,
    Approved,
    Rejected,
}

impl CaseState {
    pub const ALL: [CaseState; 6] =
        [CaseState::NotStarted, CaseState::InProgress, CaseState::Submitted, CaseState::MoreInfo, CaseState::Approved, CaseState::Rejected];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::NotStarted => "not_started",
            CaseState::InProgress => "in_progress",
            CaseState::Submitted => "submitted",
            CaseState::MoreInfo => "more_info",
            CaseState::Approved => "approved",
            CaseState::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<CaseState> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Whether the trader can still change details or documents.
    pub fn open(self) -> bool {
        !matches!(self, CaseState::Approved | CaseState::Rejected)
    }
}

/// Where one uploaded document stands; a newer upload of the same type
/// `Replaced` it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DocumentState {
    Uploaded,
    Accepted,
    Rejected,
    Replaced,
}

impl DocumentState {
    pub const ALL: [DocumentState; 4] = [DocumentState::Uploaded, DocumentState::Accepted, DocumentState::Rejected, DocumentState::Replaced];

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentState::Uploaded => "uploaded",
            DocumentState::Accepted => "accepted",
            DocumentState::Rejected => "rejected",
            DocumentState::Replaced => "replaced",
        }
    }

    /// The checklist line of the type's current document.
    pub fn requirement(self) -> RequirementState {
        match self {
            DocumentState::Uploaded => RequirementState::Uploaded,
            DocumentState::Accepted => RequirementState::Accepted,
            DocumentState::Rejected => RequirementState::Rejected,
            DocumentState::Replaced => RequirementState::Missing,
        }
    }
}

/// One line of the status checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RequirementState {
    Missing,
    Uploaded,
    Accepted,
    Rejected,
}

impl RequirementState {
    pub fn as_str(self) -> &'static str {
        match self {
            RequirementState::Missing => "missing",
            RequirementState::Uploaded => "uploaded",
            RequirementState::Accepted => "accepted",
            RequirementState::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<RequirementState> {
        [RequirementState::Missing, RequirementState::Uploaded, RequirementState::Accepted, RequirementState::Rejected].into_iter().find(|r| r.as_str() == s)
    }
}

/// `details` or a document type, with its state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Requirement {
    /// `details`, `identity`, `address` or `additional`.
    pub kind: String,
    pub state: RequirementState,
    /// The reviewer's reason when rejected.
    pub reason: Option<String>,
    /// Rejected for good: no new upload, the trader contacts support.
    #[serde(default)]
    pub final_rejection: bool,
    pub file_name: Option<String>,
}

/// A "continue on your phone" link as the desktop shows it (`kyc::handoff`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handoff {
    pub url: String,
    /// The link as a QR code: an SVG drawn by the server (no script, no external reference).
    pub svg: String,
    pub expires_at_ms: i64,
}

/// One entry of the trader's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KycEvent {
    pub at_ms: i64,
    /// `details_saved`, `document_uploaded`, `document_accepted`,
    /// `document_rejected`, `more_info`, `approved`, `rejected`.
    pub action: String,
    pub subject: Option<String>,
    pub reason: Option<String>,
}

/// Everything the three KYC screens show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KycView {
    pub kyc_type: String,
    pub state: CaseState,
    pub fields: Vec<DetailField>,
    pub details: BTreeMap<String, String>,
    pub requirements: Vec<Requirement>,
    pub timeline: Vec<KycEvent>,
    /// The compliance team's message when it asked for more or rejected.
    pub note: Option<String>,
    pub min_age: u32,
    /// The server's date (`YYYY-MM-DD`): ages are computed against it on both sides.
    pub today: String,
    pub limits: UploadLimits,
    /// When a photo is good enough (checked in the browser before it is sent).
    pub quality: quality::QualityLimits,
    /// The screen that sent the trader here, to go back to.
    pub back: Option<crate::domain::limits::BackTo>,
}

crate::domain::stored_as_text!(DocumentType, CaseState, DocumentState);
