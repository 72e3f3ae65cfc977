//! The KYC case as the screens and the back-office use it: which rules apply
//! (`kycType` from configuration), the trader's view, saving details, and
//! compliance decisions. Storage keeps the state machine atomic.

use std::collections::BTreeMap;

use crate::config::{KycTypeSettings, Settings};
use crate::domain::kyc::{validate_details, CaseState, DocumentState, DocumentType, KycEvent, KycView, Requirement, RequirementState, UploadLimits};
use crate::domain::Login;
use crate::errors::AppError;
use crate::session::Session;
use crate::state::AppState;
use crate::store::{CaseDecision, CaseRecord, CaseRules, CaseVerdict, DocumentRecord, DocumentVerdict, KycWrite, StoreError};
use crate::time::now_ms;

fn internal(e: StoreError) -> AppError {
    tracing::error!(error = %e, "kyc storage error");
    AppError::Internal
}

/// The type a trader must pass. The broker decides it: the case's type once
/// there is a case, else the configured default. A link's `kycType` may only
/// raise it, to a type that asks for everything the current one does, never
/// lower it: what a trader can edit never decides what compliance requires.
pub fn kyc_type<'a>(settings: &'a Settings, wanted: Option<&str>, case: Option<&CaseRecord>) -> (&'a str, &'a KycTypeSettings) {
    let k = &settings.kyc;
    let floor =
        case.and_then(|c| k.types.get_key_value(c.kyc_type.as_str())).unwrap_or_else(|| k.types.get_key_value(&k.default_type).expect("validated at start-up"));
    // Set by compliance: the case's level, whatever a link asks.
    if case.is_some_and(|c| c.level_locked) {
        return (floor.0.as_str(), floor.1);
    }
    let (name, t) = match wanted.and_then(|w| k.types.get_key_value(w)) {
        Some(asked) if asks_at_least(asked.1, floor.1) => asked,
        _ => floor,
    };
    (name.as_str(), t)
}

/// Whether `a` asks for every detail and document `b` does.
fn asks_at_least(a: &KycTypeSettings, b: &KycTypeSettings) -> bool {
    b.details.iter().all(|d| a.details.contains(d)) && b.documents.iter().all(|d| a.documents.contains(d))
}

pub fn rules<'a>(settings: &'a Settings, name: &'a str, t: &'a KycTypeSettings) -> CaseRules<'a> {
    CaseRules {
        kyc_type: name,
        needs_details: !t.details.is_empty(),
        documents: &t.documents,
        access_rights: if t.access_rights.is_empty() { &settings.kyc.access_rights } else { &t.access_rights },
    }
}

pub fn limits(settings: &Settings) -> UploadLimits {
    let k = &settings.kyc;
    UploadLimits { max_bytes: k.max_upload_bytes, min_bytes: k.min_upload_bytes, max_side: k.max_image_side }
}

/// Today's date on the server, `YYYY-MM-DD` (UTC).
pub fn today() -> String {
    let d = time::OffsetDateTime::now_utc().date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The newest document of each type that has not been replaced.
pub fn current_documents(docs: &[DocumentRecord]) -> BTreeMap<DocumentType, &DocumentRecord> {
    let mut current = BTreeMap::new();
    for d in docs.iter().filter(|d| d.state != DocumentState::Replaced) {
        current.entry(d.doc_type).or_insert(d);
    }
    current
}

pub async fn view(state: &AppState, session: &Session) -> Result<KycView, AppError> {
    let login = session.trader.login;
    let kyc = &state.store.kyc;
    let case = kyc.case(login).await.map_err(internal)?;
    let (name, t) = kyc_type(&state.settings, session.kyc_type.as_deref(), case.as_ref());
    let docs = kyc.documents(login).await.map_err(internal)?;
    let current = current_documents(&docs);
    let details: BTreeMap<String, String> = case.as_ref().and_then(|c| c.details.as_deref()).and_then(|d| serde_json::from_str(d).ok()).unwrap_or_default();
    let mut requirements = vec![];
    if !t.details.is_empty() {
        let state = match case.as_ref() {
            Some(c) if c.details.is_some() && c.state == CaseState::Approved => RequirementState::Accepted,
            Some(c) if c.details.is_some() => RequirementState::Uploaded,
            _ => RequirementState::Missing,
        };
        requirements.push(Requirement { kind: "details".into(), state, reason: None, final_rejection: false, file_name: None });
    }
    for doc_type in &t.documents {
        let d = current.get(doc_type);
        requirements.push(Requirement {
            kind: doc_type.as_str().to_string(),
            state: d.map_or(RequirementState::Missing, |d| d.state.requirement()),
            reason: d.filter(|d| d.state == DocumentState::Rejected).and_then(|d| d.reason.clone()),
            final_rejection: d.is_some_and(|d| d.state == DocumentState::Rejected && d.rejected_final),
            file_name: d.map(|d| d.file_name.clone()),
        });
    }
    let timeline = kyc
        .events(login)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|e| KycEvent { at_ms: e.at, action: e.action, subject: e.subject, reason: e.reason })
        .collect();
    Ok(KycView {
        kyc_type: name.to_string(),
        state: case.as_ref().map_or(CaseState::NotStarted, |c| c.state),
        fields: t.details.clone(),
        details,
        requirements,
        timeline,
        note: case.and_then(|c| c.note),
        min_age: state.settings.kyc.min_age_years,
        today: today(),
        limits: limits(&state.settings),
        quality: state.settings.kyc.quality,
        back: session.kyc_back,
    })
}

pub async fn save_details(state: &AppState, session: &Session, values: BTreeMap<String, String>) -> Result<KycView, AppError> {
    let login = session.trader.login;
    let case = state.store.kyc.case(login).await.map_err(internal)?;
    let (name, t) = kyc_type(&state.settings, session.kyc_type.as_deref(), case.as_ref());
    let clean = validate_details(&t.details, &values, &today(), state.settings.kyc.min_age_years)
        .map_err(|errors| AppError::InvalidDetails(errors.into_iter().map(|(f, e)| (f.as_str().to_string(), e)).collect()))?;
    let json = serde_json::to_string(&clean).map_err(|_| AppError::Internal)?;
    match state.store.kyc.save_details(login, session.trader.user_id, &json, &rules(&state.settings, name, t), now_ms()).await.map_err(internal)? {
        KycWrite::Done(_) => {
            // Screened as soon as there is a name: compliance sees a match
            // while the trader is still uploading. A failure here is not the
            // trader's: the approval screens again and refuses without it.
            if let Err(e) = crate::kyc::screening::screen_case(state, login).await {
                tracing::error!(error = %e, %login, "screening the saved details failed");
            }
            view(state, session).await
        }
        KycWrite::Closed
        | KycWrite::NotFound
        | KycWrite::Changed
        | KycWrite::OverQuota
        | KycWrite::OnHold
        | KycWrite::Unscreened
        | KycWrite::FinalRejection => Err(AppError::KycClosed),
    }
}

/// The rules of `login`'s case (for decisions taken in the back-office).
pub async fn case_rules_for(state: &AppState, login: Login) -> Result<(String, KycTypeSettings), StoreError> {
    let case = state.store.kyc.case(login).await?;
    let (name, t) = kyc_type(&state.settings, None, case.as_ref());
    Ok((name.to_string(), t.clone()))
}

pub async fn decide_document(state: &AppState, doc_id: &str, verdict: &DocumentVerdict<'_>, actor: &str) -> Result<KycWrite, StoreError> {
    let Some(doc) = state.store.kyc.document(doc_id).await? else { return Ok(KycWrite::NotFound) };
    let (name, t) = case_rules_for(state, doc.login).await?;
    state.store.kyc.decide_document(doc_id, verdict, actor, &rules(&state.settings, &name, &t), now_ms()).await
}

/// `seen`: the case's revision on the reviewer's screen; a case the trader
/// changed since is not decided (`KycWrite::Changed`).
pub async fn decide_case(state: &AppState, login: Login, verdict: &CaseVerdict<'_>, actor: &str, seen: i64) -> Result<KycWrite, StoreError> {
    let (name, t) = case_rules_for(state, login).await?;
    // Screened once more right before an approval, against the lists as they
    // are now: no case is approved unscreened, whatever failed before. The
    // store refuses the approval while a match is open (`KycWrite::OnHold`).
    //
    // A twin approved since (`KycWrite::Unscreened`) is screened for and so
    // raises its duplicate match; a case whose twins keep being approved
    // stays on hold rather than looping.
    for _ in 0..3 {
        if verdict.decision == CaseDecision::Approve {
            crate::kyc::screening::screen_case(state, login).await?;
        }
        match state.store.kyc.decide_case(login, verdict, actor, seen, &rules(&state.settings, &name, &t), now_ms()).await? {
            KycWrite::Unscreened => continue,
            written => return Ok(written),
        }
    }
    Ok(KycWrite::OnHold)
}

/// Compliance sets a case's level to the configured `kyc_type` (raising or
/// lowering it); `None` when no such type is configured.
pub async fn set_level(state: &AppState, login: Login, kyc_type: &str, actor: &str, seen: i64) -> Result<Option<KycWrite>, StoreError> {
    let Some((name, t)) = state.settings.kyc.types.get_key_value(kyc_type) else { return Ok(None) };
    state.store.kyc.set_level(login, actor, seen, &rules(&state.settings, name, t), now_ms()).await.map(Some)
}

/// Whether `doc_type` is one this trader's case asks for.
pub fn asks_for(t: &KycTypeSettings, doc_type: DocumentType) -> bool {
    t.documents.contains(&doc_type)
}
