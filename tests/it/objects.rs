//! Object storage (`[storage.objects]`): what one instance stores another
//! serves, orphans left by a crash are swept after their grace period and
//! records' files are deleted through the store. Runs on the local disk by
//! default and on the S3 test server with `TEST_OBJECTS=s3`
//! (`scripts/s3.sh`), each app under a key prefix of its own.

use broker_inapp::config::Settings;
use broker_inapp::kyc::orphans::{sweep_orphans, Swept};
use serde_json::Value;

use crate::common::chat::upload_to;
use crate::common::kyc::{exec, jpeg, trader, upload};
use crate::common::{spawn_with, TestApp};

/// A valid PDF of about `size` bytes whose padding is different on every line,
/// so a part stored twice, dropped or out of order shows.
fn big_pdf(size: usize) -> Vec<u8> {
    let mut body = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n3 0 obj << /Type /Page /Parent 2 0 R >> endobj\n".to_vec();
    let mut seed = 1u64;
    while body.len() < size {
        body.extend_from_slice(b"% ");
        for _ in 0..100 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            body.push(b"abcdefghijklmnopqrstuvwxyz0123456789"[(seed >> 33) as usize % 36]);
        }
        body.push(b'\n');
    }
    body.extend_from_slice(b"trailer << /Root 1 0 R >>\n%%EOF\n");
    body
}

async fn served(app: &TestApp, cookie: &str, id: &str) -> Vec<u8> {
    let res = app.get_with_cookie(&format!("/inapp/kyc/documents/{id}"), cookie).await;
    assert_eq!(res.status(), 200, "document {id}");
    res.bytes().await.unwrap().to_vec()
}

/// An instance sharing `first`'s database and object store (its data folder,
/// or its S3 key prefix).
async fn second_instance(first: &TestApp) -> TestApp {
    let settings = &first.state.settings;
    let (database, data_dir, prefix) = (first.database_url.clone(), settings.storage.data_dir.clone(), settings.storage.objects.prefix.clone());
    spawn_with(move |f| {
        let f = Settings::with(f, "storage.database_url", database);
        let f = Settings::with(f, "storage.data_dir", data_dir.display().to_string());
        Settings::with(f, "storage.objects.prefix", prefix)
    })
    .await
}

#[tokio::test]
async fn a_document_one_instance_stored_is_served_byte_for_byte_by_another_sharing_its_store() {
    let first = spawn_with(|f| f).await;
    let second = second_instance(&first).await;
    let (cookie, _) = trader(&first, "standard", "NO_TRADING").await;
    // Over one multipart part (5 MiB), so the parts are put together right.
    let pdf = big_pdf(6 * 1024 * 1024 + 777);
    let res = upload(&first, &cookie, "address", "statement.pdf", pdf.clone()).await;
    assert_eq!(res.status(), 201);
    let pdf_id = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    let res = upload(&first, &cookie, "identity", "passport.jpg", jpeg(240)).await;
    assert_eq!(res.status(), 201);
    let photo_id = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();

    // The same session works on the second instance: sessions live in the database.
    let from_second = served(&second, &cookie, &pdf_id).await;
    assert_eq!(from_second.len(), pdf.len());
    assert!(from_second == pdf, "the second instance serves the very bytes uploaded to the first");
    let photo = served(&second, &cookie, &photo_id).await;
    assert!(photo == served(&first, &cookie, &photo_id).await, "and the same display copy");
    assert!(image::load_from_memory(&photo).is_ok());
    let mut stored = vec![pdf_id.clone(), photo_id.clone(), format!("{photo_id}.preview")];
    stored.sort();
    assert_eq!(first.object_keys().await, stored);
    assert_eq!(second.object_keys().await, stored, "one store seen from both");
}

/// An object stored under `key` without any record: what a crash between
/// storing an upload and recording it leaves.
async fn stray_object(app: &TestApp, key: &str) {
    let spooled = app.state.documents.spool_dir().join(format!("{key}.part"));
    std::fs::write(&spooled, jpeg(64)).unwrap();
    app.state.documents.put(key, &spooled).await.unwrap();
}

fn new_id(kind: &str) -> String {
    format!("{kind}_{}", uuid::Uuid::new_v4().simple())
}

#[tokio::test]
async fn the_sweep_deletes_objects_without_a_record_once_their_grace_has_passed_and_nothing_else() {
    let app = spawn_with(|f| Settings::with(f, "storage.objects.orphan_grace_minutes", 30)).await;
    let (cookie, _) = trader(&app, "standard", "NO_TRADING").await;
    let res = upload(&app, &cookie, "identity", "passport.jpg", jpeg(240)).await;
    assert_eq!(res.status(), 201);
    let document = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    let attachment = upload_to(&app, "/inapp/chat/attachments", &cookie).await;
    let kept = app.object_keys().await;
    assert_eq!(kept.len(), 4, "a document and an attachment, each with its display copy: {kept:?}");

    let (orphan_doc, orphan_att) = (new_id("doc"), new_id("att"));
    for key in [orphan_doc.clone(), format!("{orphan_doc}.preview"), orphan_att.clone(), "README".into()] {
        stray_object(&app, &key).await;
    }
    let now = broker_inapp::time::now_ms();

    // Within the grace period nothing goes: the record may be on its way.
    assert_eq!(sweep_orphans(&app.state, now + 29 * 60_000).await.unwrap(), Swept { checked: 0, deleted: 0 });
    assert_eq!(app.object_keys().await.len(), 8);

    let swept = sweep_orphans(&app.state, now + 31 * 60_000).await.unwrap();
    assert_eq!(swept, Swept { checked: 7, deleted: 3 }, "the uploads' ids are looked at, the three orphans go");
    let mut left = kept.clone();
    left.push("README".into());
    left.sort();
    assert_eq!(app.object_keys().await, left, "records' files stay, and what is not an upload's is never touched");
    assert!(left.contains(&document) && left.contains(&attachment));
    assert_eq!(sweep_orphans(&app.state, now + 31 * 60_000).await.unwrap().deleted, 0, "a second sweep (another instance's) finds nothing");
    assert!(!served(&app, &cookie, &document).await.is_empty(), "the document is still served");
}

#[tokio::test]
async fn an_attachment_never_sent_is_deleted_from_the_store_with_its_record() {
    let app = spawn_with(|f| f).await;
    let (cookie, _) = app.sign_in(None).await;
    let unsent = upload_to(&app, "/inapp/chat/attachments", &cookie).await;
    assert!(app.has_object(&unsent).await);
    // A day old: the clean-up's threshold for an attachment no message carries.
    exec(&app, "UPDATE chat_attachments SET created_at = $1", 0).await;
    broker_inapp::startup::housekeep(&app.state).await;
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM chat_attachments").await, 0);
    assert_eq!(app.object_keys().await, Vec::<String>::new(), "the file and its display copy are gone");
}
