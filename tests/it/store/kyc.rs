//! KYC cases and their documents.

use std::collections::BTreeMap;

use broker_inapp::domain::kyc::{CaseState, DocumentState, DocumentType, FileKind};
use broker_inapp::store::{CaseRules, DocumentRecord, KycWrite};

use crate::store::backend::{all_at_once, login, Backend};

const DOCUMENTS: [DocumentType; 2] = [DocumentType::Identity, DocumentType::Address];

fn rules(access: &BTreeMap<CaseState, String>) -> CaseRules<'_> {
    CaseRules { kyc_type: "standard", needs_details: true, documents: &DOCUMENTS, access_rights: access }
}

pub(super) fn document(id: &str, login_n: i64) -> DocumentRecord {
    DocumentRecord {
        id: id.into(),
        login: login(login_n),
        doc_type: DocumentType::Identity,
        state: DocumentState::Uploaded,
        reason: None,
        file_name: "passport.jpg".into(),
        kind: FileKind::Jpeg,
        size: 1234,
        has_preview: true,
        created_at: 0,
        decided_at: None,
        decided_by: None,
        replaced_at: None,
        file_deleted_at: None,
        rejected_final: false,
        quality: None,
    }
}

pub async fn a_case_is_created_once(b: Backend) {
    let kyc = b.store.kyc.clone();
    let writes = all_at_once(8, |i| {
        let kyc = kyc.clone();
        async move {
            let access = BTreeMap::new();
            kyc.save_details(login(9001), 3, &format!("{{\"n\":{i}}}"), &rules(&access), 1_000).await.unwrap()
        }
    })
    .await;
    assert!(writes.iter().all(|w| *w == KycWrite::Done(CaseState::InProgress)), "{writes:?}");
    let case = kyc.case(login(9001)).await.unwrap().expect("one case");
    assert_eq!((case.user_id, case.kyc_type.as_str(), case.state, case.level_locked), (3, "standard", CaseState::InProgress, false));
    let saved = kyc.events(login(9001)).await.unwrap().iter().filter(|e| e.action == "details_saved").count();
    assert_eq!(saved, 8, "every save is in the audit log");
}

pub async fn one_document_of_a_type_stays_current(b: Backend) {
    let kyc = b.store.kyc.clone();
    // The trader uploads from two tabs (or retries) at the same moment.
    let writes = all_at_once(6, |i| {
        let kyc = kyc.clone();
        async move {
            let access = BTreeMap::new();
            kyc.add_document(&document(&format!("doc_{i}"), 9002), 3, &rules(&access), None, 1_000 + i as i64).await.unwrap()
        }
    })
    .await;
    assert!(writes.iter().all(|w| matches!(w, KycWrite::Done(_))), "{writes:?}");
    let docs = kyc.documents(login(9002)).await.unwrap();
    assert_eq!(docs.len(), 6);
    let current: Vec<_> = docs.iter().filter(|d| d.state == DocumentState::Uploaded).collect();
    assert_eq!(current.len(), 1, "{:?}", docs.iter().map(|d| (&d.id, d.state)).collect::<Vec<_>>());
    assert!(docs.iter().filter(|d| d.state == DocumentState::Replaced).all(|d| d.replaced_at.is_some()));
    assert_eq!(kyc.document(&current[0].id).await.unwrap().as_ref(), Some(current[0]), "a document reads back whole");
    assert_eq!(kyc.uploads_since(login(9002), 0).await.unwrap().0, 6);
}

pub async fn known_file_ids_are_documents_and_attachments(b: Backend) {
    let access = BTreeMap::new();
    b.store.kyc.add_document(&document("doc_known", 9003), 3, &rules(&access), None, 1_000).await.unwrap();
    let conversation = b.store.chat.open_conversation(login(9003), 3, None, 1_000, "test").await.unwrap();
    let attachment = broker_inapp::domain::chat::ChatAttachment { id: "att_known".into(), file_name: "shot.png".into(), kind: FileKind::Png, size: 2048 };
    let record = broker_inapp::store::chat::AttachmentRecord {
        attachment,
        conversation_id: conversation.id,
        author: broker_inapp::domain::chat::Author::Trader,
        has_preview: true,
    };
    assert!(b.store.chat.add_attachment(&record, None, 1_000).await.unwrap());
    let asked: Vec<String> = ["doc_known", "att_known", "doc_gone", "att_gone"].map(String::from).to_vec();
    let known = b.store.kyc.known_file_ids(&asked).await.unwrap();
    assert_eq!(known, ["doc_known", "att_known"].map(String::from).into_iter().collect(), "{known:?}");
    assert!(b.store.kyc.known_file_ids(&[]).await.unwrap().is_empty());
    // A sweep's whole batch in one query.
    let many: Vec<String> = (0..500).map(|i| format!("doc_{i}")).chain(["att_known".to_string()]).collect();
    assert_eq!(b.store.kyc.known_file_ids(&many).await.unwrap().len(), 1);
}

pub async fn access_rights_jobs_are_leased_once_and_fenced(b: Backend) {
    let kyc = b.store.kyc.clone();
    let access: BTreeMap<CaseState, String> = [(CaseState::InProgress, "NO_TRADING".to_string())].into();
    kyc.save_details(login(9003), 3, "{}", &rules(&access), 1_000).await.unwrap();
    // Workers on four instances claim at once.
    let claimed = all_at_once(4, |_| {
        let kyc = kyc.clone();
        async move { kyc.claim_access(2_000, 10_000, 10).await.unwrap() }
    })
    .await;
    let jobs: Vec<_> = claimed.into_iter().flatten().collect();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!((jobs[0].login, jobs[0].access_rights.as_str(), jobs[0].attempt), (login(9003), "NO_TRADING", 1));
    assert!(kyc.claim_access(3_000, 10_000, 10).await.unwrap().is_empty(), "leased");
    // The lease runs out; another worker takes the job over.
    let second = kyc.claim_access(12_001, 10_000, 10).await.unwrap().remove(0);
    assert_eq!(second.attempt, 2);
    // The first worker, late, records nothing; the current one does.
    kyc.access_applied(login(9003), jobs[0].version, jobs[0].attempt).await.unwrap();
    assert_eq!(kyc.access_state(login(9003)).await.unwrap(), Some(("NO_TRADING".to_string(), false)));
    kyc.access_applied(login(9003), second.version, second.attempt).await.unwrap();
    assert_eq!(kyc.access_state(login(9003)).await.unwrap(), Some(("NO_TRADING".to_string(), true)));
    // A call that failed may still land: nothing newer is sent before its retry time.
    kyc.save_details(login(9005), 3, "{}", &rules(&access), 20_000).await.unwrap();
    let failed = kyc.claim_access(21_000, 10_000, 10).await.unwrap().remove(0);
    kyc.access_retry(login(9005), failed.attempt, 40_000, "timed out").await.unwrap();
    // Compliance decides again meanwhile (as `settle` upserts it: due now).
    sqlx::any::install_default_drivers();
    let db = sqlx::AnyPool::connect(&b.url).await.unwrap();
    sqlx::query("UPDATE kyc_access_sync SET access_rights = 'FULL_ACCESS', version = version + 1, next_at = 22000 WHERE login = 9005")
        .execute(&db)
        .await
        .unwrap();
    assert!(kyc.claim_access(39_999, 10_000, 10).await.unwrap().is_empty(), "held until the retry time");
    let newer = kyc.claim_access(40_000, 10_000, 10).await.unwrap().remove(0);
    assert_eq!((newer.access_rights.as_str(), newer.version), ("FULL_ACCESS", failed.version + 1));
}

pub async fn uploads_through_several_instances_at_once_stay_within_the_daily_quota(b: Backend) {
    use broker_inapp::domain::chat::{Author, ChatAttachment};
    use broker_inapp::store::chat::AttachmentRecord;
    use broker_inapp::store::UploadQuota;
    let kyc = b.store.kyc.clone();
    let quota = UploadQuota { since: 0, files: 3, bytes: 1_000_000 };
    // Eight documents at once (as if through several instances, whose
    // in-memory counts do not see each other).
    let writes = all_at_once(8, |i| {
        let kyc = kyc.clone();
        async move {
            let access = BTreeMap::new();
            kyc.add_document(&document(&format!("doc_q{i}"), 9004), 3, &rules(&access), Some(&quota), 1_000 + i as i64).await.unwrap()
        }
    })
    .await;
    assert_eq!(writes.iter().filter(|w| matches!(w, KycWrite::Done(_))).count(), 3, "{writes:?}");
    assert!(writes.iter().all(|w| matches!(w, KycWrite::Done(_) | KycWrite::OverQuota)), "{writes:?}");
    assert_eq!(kyc.documents(login(9004)).await.unwrap().len(), 3, "nothing recorded beyond the quota");
    // Chat attachments count against the same quota.
    let conversation = b.store.chat.open_conversation(login(9004), 3, None, 1_000, "a").await.unwrap().id;
    let attachment = AttachmentRecord {
        attachment: ChatAttachment { id: "att_q".into(), file_name: "a.png".into(), kind: FileKind::Png, size: 10 },
        conversation_id: conversation,
        author: Author::Trader,
        has_preview: false,
    };
    assert!(!b.store.chat.add_attachment(&attachment, Some(&quota), 2_000).await.unwrap(), "over the quota");
    assert!(b.store.chat.attachment("att_q").await.unwrap().is_none());
    // Bytes count too (three documents of 1,234 bytes, then 10 more)…
    let tight = UploadQuota { since: 0, files: 10, bytes: 3 * 1_234 + 9 };
    assert!(!b.store.chat.add_attachment(&attachment, Some(&tight), 2_000).await.unwrap(), "one byte over");
    // …and uploads from before the window do not.
    let tomorrow = UploadQuota { since: 1_500, files: 1, bytes: 10 };
    assert!(b.store.chat.add_attachment(&attachment, Some(&tomorrow), 2_000).await.unwrap());
}
