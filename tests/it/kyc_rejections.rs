//! Rejections the trader can act on: a document rejected for a retry may be
//! sent again (with the reviewer's reason and a hint), one rejected for good
//! may not (the screens send the trader to support, the server refuses the
//! upload and keeps nothing); and a reviewer's internal note stays with
//! staff, apart from the reason the trader reads.

use crate::common;

use broker_inapp::backoffice::Role;
use common::kyc::*;
use common::TestApp;

const INTERNAL: &str = "Suspected forgery: compare with ticket 4411";

async fn reject_document(app: &TestApp, officer: &str, doc_type: &str, form: &[(&str, &str)]) -> reqwest::Response {
    let id = doc_id(app, doc_type).await;
    post_form(app, officer, &format!("/backoffice/kyc/documents/{id}/reject"), form).await
}

async fn status_page(app: &TestApp, cookie: &str) -> String {
    app.get_with_cookie("/inapp/kyc/status", cookie).await.text().await.unwrap()
}

/// The `<li>` of one requirement on the status screen.
fn requirement_item(page: &str, kind: &str) -> String {
    let start = page.find(&format!("data-type=\"{kind}\"")).unwrap_or_else(|| panic!("no {kind} line: {page}"));
    page[start..].split("</li>").next().unwrap().to_string()
}

#[tokio::test]
async fn a_document_rejected_for_good_cannot_be_sent_again_and_the_trader_is_sent_to_support() {
    let app = kyc_app().await;
    let (cookie, _) = submitted_case(&app, "NO_TRADING").await;
    let officer = common::staff_cookie(&app, "kyc@broker.example", Role::Compliance).await;
    let reason = "This is a photocopy of a photocopy";
    let res = reject_document(&app, &officer, "identity", &[("reason", reason), ("retry", "final"), ("internal_note", INTERNAL)]).await;
    assert_eq!(res.status(), 303);

    let v = view(&app, &cookie, None).await;
    let identity = requirement(&v, "identity");
    assert_eq!((identity["state"].as_str(), identity["final_rejection"].as_bool(), identity["reason"].as_str()), (Some("Rejected"), Some(true), Some(reason)));
    let item = requirement_item(&status_page(&app, &cookie).await, "identity");
    assert!(item.contains("data-testid=\"kyc-final\"") && item.contains("href=\"/inapp/chat\""), "{item}");
    assert!(!item.contains("kyc-reupload") && !item.contains("kyc-retry-hint"), "no way to upload again: {item}");
    let upload_screen = app.get_with_cookie("/inapp/kyc/upload?documentType=identity", &cookie).await.text().await.unwrap();
    assert!(upload_screen.contains("data-testid=\"kyc-final\"") && !upload_screen.contains("kyc-dropzone"), "the upload screen offers support instead");

    // The server refuses a new upload all the same, and keeps nothing of it.
    let before = scalar(&app, "SELECT COUNT(*) FROM kyc_documents").await;
    assert_eq!(status_and_code(upload(&app, &cookie, "identity", "again.jpg", jpeg(240)).await).await, (409, "FINAL_REJECTION".to_string()));
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM kyc_documents").await, before);
    // Another document type is still open to the trader.
    assert_eq!(upload(&app, &cookie, "address", "newer.pdf", pdf("")).await.status(), 201);

    // The internal note: nowhere the trader looks.
    for shown in [view(&app, &cookie, None).await.to_string(), status_page(&app, &cookie).await] {
        assert!(!shown.contains(INTERNAL) && !shown.contains("ticket 4411"), "the trader sees the internal note");
    }
}

#[tokio::test]
async fn a_document_rejected_for_a_retry_can_be_sent_again_with_the_reason_and_a_hint() {
    let app = kyc_app().await;
    let (cookie, login) = submitted_case(&app, "NO_TRADING").await;
    let officer = common::staff_cookie(&app, "kyc@broker.example", Role::Compliance).await;
    let reason = "The bill is older than three months";
    assert_eq!(reject_document(&app, &officer, "address", &[("reason", reason), ("retry", "retry"), ("internal_note", INTERNAL)]).await.status(), 303);

    let address = requirement(&view(&app, &cookie, None).await, "address");
    assert_eq!((address["final_rejection"].as_bool(), address["reason"].as_str()), (Some(false), Some(reason)));
    let item = requirement_item(&status_page(&app, &cookie).await, "address");
    assert!(item.contains(reason) && item.contains("kyc-retry-hint") && item.contains("kyc-reupload"), "{item}");
    assert!(!item.contains("data-testid=\"kyc-final\""));

    // Staff see the kind of rejection and the internal note in the audit.
    let page = common::shown(&app.get_with_cookie(&format!("/backoffice/kyc/{login}"), &officer).await.text().await.unwrap());
    assert!(page.contains("Rejected: the trader may upload again") && page.contains(INTERNAL), "{page}");

    assert_eq!(upload(&app, &cookie, "address", "new-bill.pdf", pdf("")).await.status(), 201);
    assert_eq!(view(&app, &cookie, None).await["state"], "Submitted");
}

#[tokio::test]
async fn a_rejection_of_an_unknown_kind_is_refused_and_changes_nothing() {
    let app = kyc_app().await;
    let (cookie, _) = submitted_case(&app, "NO_TRADING").await;
    let officer = common::staff_cookie(&app, "kyc@broker.example", Role::Compliance).await;
    assert_eq!(reject_document(&app, &officer, "address", &[("reason", "old"), ("retry", "forever")]).await.status(), 400);
    assert_eq!(requirement(&view(&app, &cookie, None).await, "address")["state"], "Uploaded");
}

#[tokio::test]
async fn an_internal_note_on_a_case_decision_stays_with_staff() {
    let app = kyc_app().await;
    let (cookie, login) = submitted_case(&app, "NO_TRADING").await;
    let officer = common::staff_cookie(&app, "kyc@broker.example", Role::Compliance).await;
    let seen = seen(&app, &officer, login).await;
    let to_trader = "Please send a bank statement";
    let form = [("seen", seen.as_str()), ("reason", to_trader), ("internal_note", INTERNAL)];
    assert_eq!(post_form(&app, &officer, &format!("/backoffice/kyc/{login}/more-info"), &form).await.status(), 303);

    let v = view(&app, &cookie, None).await;
    assert_eq!(v["note"], to_trader);
    assert!(!v.to_string().contains(INTERNAL) && !status_page(&app, &cookie).await.contains(INTERNAL), "the trader never gets it");
    let audit = app.get_with_cookie(&format!("/backoffice/kyc/{login}"), &officer).await.text().await.unwrap();
    // The first (newest) row's internal note cell.
    let cell = audit.split("data-testid=\"kyc-audit-internal\"").nth(1).unwrap_or_default();
    let row = cell.split_once('>').and_then(|(_, r)| r.split('<').next()).unwrap_or_default();
    assert_eq!(row, INTERNAL, "the newest audit row carries it");
}
