//! KYC over HTTP: details, uploads and every upload attack (each gets its
//! status and leaves no file and no row), who may read a document, the
//! compliance decisions with their audit log, and the decision reaching the
//! simulator's cTrader as accessRights, even when it is down for a while.

use crate::common;

use std::path::Path;
use std::time::Duration;

use broker_inapp::backoffice::Role;
use common::kyc::*;
use common::TestApp;
use serde_json::{json, Value};

async fn app() -> TestApp {
    app_with(|f| f).await
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A PNG whose header claims 65535×65535 pixels (valid CRC), padded past the minimum size.
fn huge_png_header() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&65_535u32.to_be_bytes());
    ihdr.extend_from_slice(&65_535u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    png.extend(vec![0u8; MIN + 100]);
    png
}

async fn trader(app: &TestApp) -> (String, i64) {
    let v = app.mint(json!({ "accessRights": "NO_TRADING" })).await;
    let (cookie, _) = app.open(&format!("/inapp/kyc?token={}&kycType=standard", v["token"].as_str().unwrap())).await;
    (cookie, v["login"].as_i64().unwrap())
}

async fn details(app: &TestApp, cookie: &str, dob: &str) -> reqwest::Response {
    let form = [("full_name", "Ada Lovelace"), ("date_of_birth", dob), ("address", "12 St James's Square, London"), ("country", "GB")];
    app.call(cookie, common::kyc::details_form(&form)).await
}

async fn view(app: &TestApp, cookie: &str) -> Value {
    app.call(cookie, broker_inapp::server_fns::kyc::LoadKyc {}).await.json().await.unwrap()
}

/// Files in `dir`, which must exist (a missing folder would count as empty
/// and hide a file written somewhere else).
fn files_in(dir: &Path) -> usize {
    std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).count()
}

/// Sends a chunked multipart upload of `total` body bytes over a raw TCP
/// connection, writing and reading at once, and returns the status line the
/// server answered with. A server that stopped reading and answered keeps
/// that answer readable even when it then resets the connection.
async fn chunked_upload_status(app: &TestApp, cookie: &str, total: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://").to_string();
    let stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let head = format!(
        "POST /inapp/kyc/documents?documentType=identity HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nOrigin: {}\r\n\
         Content-Type: multipart/form-data; boundary=XyZ\r\nTransfer-Encoding: chunked\r\n\r\n",
        app.base
    );
    let writer = tokio::spawn(async move {
        let mut body = b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"stream.jpg\"\r\n\r\n\xFF\xD8\xFF\xE0".to_vec();
        body.resize(total, 0);
        wr.write_all(head.as_bytes()).await?;
        for chunk in body.chunks(16 * 1024) {
            wr.write_all(format!("{:x}\r\n", chunk.len()).as_bytes()).await?;
            wr.write_all(chunk).await?;
            wr.write_all(b"\r\n").await?;
        }
        wr.write_all(b"0\r\n\r\n").await
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.windows(2).any(|w| w == b"\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(30), rd.read(&mut buf)).await.expect("an answer").expect("readable answer");
        assert!(n > 0, "connection closed without an answer");
        answer.extend_from_slice(&buf[..n]);
    }
    writer.abort();
    let text = String::from_utf8_lossy(&answer).to_string();
    text.lines().next().unwrap_or_default().to_string()
}

async fn assert_nothing_kept(app: &TestApp) {
    assert_eq!(app.object_keys().await, Vec::<String>::new(), "no document file");
    assert_eq!(files_in(&app.dir.path().join("spool")), 0, "no spool file left behind");
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM kyc_documents").await, 0, "no row");
}

#[tokio::test]
async fn every_upload_attack_gets_its_status_and_leaves_nothing_behind() {
    let app = app().await;
    let (cookie, _) = trader(&app).await;
    let code = |res: reqwest::Response| async move {
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        (status, body["code"].as_str().unwrap_or_default().to_string())
    };

    // Too large, declared up front: refused before the body is read.
    let big = vec![0xFFu8; MAX + 70_000];
    assert_eq!(code(upload(&app, &cookie, "identity", "big.jpg", big.clone()).await).await, (413, "FILE_TOO_LARGE".to_string()));
    // Too large, chunked with no Content-Length: refused once the limit is passed.
    assert_eq!(chunked_upload_status(&app, &cookie, MAX + 64 * 1024).await, "HTTP/1.1 413 Payload Too Large");
    // HTML and a Windows executable renamed .jpg.
    let mut html = b"<html><script>alert(1)</script>".to_vec();
    html.resize(MIN + 10, b' ');
    assert_eq!(code(upload(&app, &cookie, "identity", "photo.jpg", html).await).await, (415, "UNSUPPORTED_TYPE".into()));
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00".to_vec();
    exe.resize(MIN + 10, 0);
    assert_eq!(code(upload(&app, &cookie, "identity", "photo.jpg", exe).await).await.0, 415);
    // A PNG header claiming 65535×65535.
    assert_eq!(code(upload(&app, &cookie, "identity", "huge.png", huge_png_header()).await).await, (422, "BAD_DIMENSIONS".into()));
    // JPEG magic bytes and then garbage: damaged.
    let mut garbage = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    garbage.extend((0..MIN + 50).map(|i| (i * 31 % 251) as u8));
    assert_eq!(code(upload(&app, &cookie, "identity", "broken.jpg", garbage).await).await, (422, "CORRUPT_FILE".into()));
    // PDFs with JavaScript or an embedded file, plainly or hex-escaped.
    for extra in ["/OpenAction << /S /JavaScript /JS (app.alert(1)) >>", "/Names << /EmbeddedFiles 9 0 R >>", "/AA << /O << /S /J#61vaScript >> >>"] {
        assert_eq!(code(upload(&app, &cookie, "address", "bill.pdf", pdf(extra)).await).await, (422, "ACTIVE_PDF".into()), "{extra}");
    }
    // The same, compressed inside an object stream.
    let hidden = pdf_with_object_stream("<< /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>");
    assert_eq!(code(upload(&app, &cookie, "address", "bill.pdf", hidden).await).await, (422, "ACTIVE_PDF".into()));
    // Too small.
    assert_eq!(code(upload(&app, &cookie, "address", "tiny.pdf", b"%PDF-1.4\n%%EOF".to_vec()).await).await, (422, "FILE_TOO_SMALL".into()));
    // File names that try to be paths or hide characters.
    assert_eq!(code(upload(&app, &cookie, "address", "../../etc/passwd.pdf", pdf("")).await).await, (400, "BAD_FILE_NAME".into()));
    // (A NUL byte already breaks the multipart header: refused as unreadable.)
    assert_eq!(code(upload(&app, &cookie, "address", "bill\0.pdf", pdf("")).await).await.0, 400);
    // A multipart body without a boundary, and a document the type does not ask for.
    let res = app
        .http
        .post(app.url("/inapp/kyc/documents?documentType=identity"))
        .header("cookie", &cookie)
        .header("origin", app.base.clone())
        .header("content-type", "multipart/form-data")
        .body("--x\r\n\r\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(code(upload(&app, &cookie, "additional", "x.pdf", pdf("")).await).await, (400, "NOT_REQUESTED".into()));
    // No session, and a cross-site post.
    let res = app.http.post(app.url("/inapp/kyc/documents?documentType=identity")).header("origin", app.base.clone()).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let res = app
        .http
        .post(app.url("/inapp/kyc/documents?documentType=identity"))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    assert_nothing_kept(&app).await;
    assert_eq!(app.get("/healthz").await.status(), 200, "still serving");
    // And a good one still goes through.
    assert_eq!(upload(&app, &cookie, "address", "bill.pdf", pdf("")).await.status(), 201);
    let harmless = pdf_with_object_stream("<< /Type /Catalog /Pages 2 0 R >>");
    assert_eq!(upload(&app, &cookie, "address", "bill.pdf", harmless).await.status(), 201, "a clean object stream passes");
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM kyc_documents").await, 2);
}

#[tokio::test]
async fn documents_are_the_owners_alone_and_photos_come_back_without_exif() {
    let app = app().await;
    let (alice, _) = trader(&app).await;
    let (bob, _) = trader(&app).await;
    let photo = jpeg_with_exif(240);
    assert!(photo.windows(10).any(|w| w == b"GPS-SECRET"));
    let res = upload(&app, &alice, "identity", "passport.jpg", photo).await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    let shown = app.get_with_cookie(&format!("/inapp/kyc/documents/{id}"), &alice).await;
    assert_eq!(shown.status(), 200);
    assert_eq!(shown.headers()["content-type"], "image/jpeg");
    common::kyc::assert_served_file_headers(&shown, ".jpg");
    let bytes = shown.bytes().await.unwrap();
    assert!(image::load_from_memory(&bytes).is_ok(), "a real image comes back");
    assert!(!bytes.windows(10).any(|w| w == b"GPS-SECRET"), "EXIF is gone from what the browser sees");
    assert_eq!(app.get_with_cookie(&format!("/inapp/kyc/documents/{id}"), &bob).await.status(), 404, "another trader");
    assert_eq!(app.get(&format!("/inapp/kyc/documents/{id}")).await.status(), 401, "no session");
    assert_eq!(app.get(&format!("/backoffice/kyc/documents/{id}")).await.status(), 303, "no staff session");
    // The file is stored under a server-made name, outside the public site.
    assert!(app.has_object(&id).await);
    assert_eq!(app.get(&format!("/documents/{id}")).await.status(), 404);
}

async fn staff(app: &TestApp, email: &str, role: Role) -> String {
    common::staff_cookie(app, email, role).await
}

#[tokio::test]
async fn a_case_from_details_to_approval_reaches_ctrader_even_when_it_is_down_for_a_while() {
    let app = app().await;
    let (cookie, login) = trader(&app).await;
    assert_eq!(view(&app, &cookie).await["state"], "NotStarted");

    let under = details(&app, &cookie, "2015-01-01").await;
    assert_eq!(under.status(), 422, "a child is refused by the server too");
    assert!(under.text().await.unwrap().contains("Underage"));
    assert_eq!(details(&app, &cookie, "1990-12-10").await.status(), 200);
    assert_eq!(upload(&app, &cookie, "identity", "passport.jpg", jpeg_with_exif(240)).await.status(), 201);
    assert_eq!(view(&app, &cookie).await["state"], "InProgress");
    assert_eq!(upload(&app, &cookie, "address", "bill.pdf", pdf("")).await.status(), 201);
    assert_eq!(view(&app, &cookie).await["state"], "Submitted");

    let officer = staff(&app, "kyc@broker.example", Role::Compliance).await;
    let queue = app.get_with_cookie("/backoffice/kyc", &officer).await.text().await.unwrap();
    assert!(queue.contains(&format!("data-login=\"{login}\"")));
    let case = app.get_with_cookie(&format!("/backoffice/kyc/{login}"), &officer).await.text().await.unwrap();
    assert!(case.contains("Ada Lovelace"));
    let address_id: String = {
        let pool = app.db().await;
        sqlx::query_scalar("SELECT id FROM kyc_documents WHERE doc_type = 'address'").fetch_one(&pool).await.unwrap()
    };
    let identity_id: String = {
        let pool = app.db().await;
        sqlx::query_scalar("SELECT id FROM kyc_documents WHERE doc_type = 'identity'").fetch_one(&pool).await.unwrap()
    };
    // The original is there for the reviewer, EXIF and all; the usual view is the clean copy.
    let original = app.get_with_cookie(&format!("/backoffice/kyc/documents/{identity_id}?original=1"), &officer).await;
    assert_eq!(original.status(), 200);
    assert_eq!(original.headers()["content-type"], "image/jpeg");
    assert!(original.bytes().await.unwrap().windows(10).any(|w| w == b"GPS-SECRET"), "the original keeps its EXIF");
    let clean = app.get_with_cookie(&format!("/backoffice/kyc/documents/{identity_id}"), &officer).await.bytes().await.unwrap();
    assert!(!clean.windows(10).any(|w| w == b"GPS-SECRET"), "the reviewer's usual view is the re-encoded copy");
    let pdf_original = app.get_with_cookie(&format!("/backoffice/kyc/documents/{address_id}?original=1"), &officer).await;
    assert_eq!(pdf_original.headers()["content-type"], "application/pdf");
    common::kyc::assert_served_file_headers(&pdf_original, ".pdf");

    let no_reason = post_form(&app, &officer, &format!("/backoffice/kyc/documents/{address_id}/reject"), &[("reason", "  ")]).await;
    assert_eq!(no_reason.status(), 400, "a rejection needs a reason");
    let rejected = post_form(&app, &officer, &format!("/backoffice/kyc/documents/{address_id}/reject"), &[("reason", "The bill is older than 3 months")]).await;
    assert_eq!(rejected.status(), 303);
    let v = view(&app, &cookie).await;
    assert_eq!(v["state"], "MoreInfo");
    let address = v["requirements"].as_array().unwrap().iter().find(|r| r["kind"] == "address").unwrap().clone();
    assert_eq!(address["state"], "Rejected");
    assert_eq!(address["reason"], "The bill is older than 3 months");

    assert_eq!(upload(&app, &cookie, "address", "new-bill.pdf", pdf("")).await.status(), 201);
    assert_eq!(view(&app, &cookie).await["state"], "Submitted");

    // cTrader refuses the next three updates; the decision waits in the outbox.
    let fault = json!({"endpoint": "updateTrader", "kind": "error", "status": 503, "remaining": 3});
    assert_eq!(app.http.post(app.url("/sim/faults")).json(&fault).send().await.unwrap().status(), 201);
    assert_eq!(common::kyc::decide(&app, &officer, login, "approve", None).await.status(), 303);
    assert_eq!(view(&app, &cookie).await["state"], "Approved");
    let t = wait_for_access(&app, login, "FULL_ACCESS").await;
    assert_eq!(t["updates"].as_array().unwrap().len(), 1, "applied once it could be");
    let stats: Value = app.http.get(app.url("/sim/stats")).send().await.unwrap().json().await.unwrap();
    assert_eq!(stats["calls"]["updateTrader"], 4, "three refusals while cTrader was down, then the update: {stats}");

    // Closed: the trader can change nothing, compliance neither.
    assert_eq!(upload(&app, &cookie, "identity", "again.jpg", jpeg_with_exif(240)).await.status(), 409);
    assert_eq!(post_form(&app, &officer, &format!("/backoffice/kyc/{login}/reject"), &[("reason", "late"), ("seen", "0")]).await.status(), 409);

    // The audit log: who, when and why.
    let case = app.get_with_cookie(&format!("/backoffice/kyc/{login}"), &officer).await.text().await.unwrap();
    assert!(case.contains("kyc@broker.example"));
    assert!(case.contains("The bill is older than 3 months"));
    assert_eq!(case.matches("data-testid=\"kyc-audit-row\"").count(), 6, "details, 3 uploads, a rejection, the approval: {case}");
}

#[tokio::test]
async fn only_compliance_and_admins_review() {
    let app = app().await;
    let first = app.get("/backoffice/kyc").await;
    assert_eq!(first.status(), 303, "unauthenticated → sign-in");
    assert_eq!(first.headers()["location"], "/backoffice/sign-in");
    let support = staff(&app, "help@broker.example", Role::Support).await;
    assert_eq!(app.get_with_cookie("/backoffice/kyc", &support).await.status(), 403);
    assert_eq!(post_form(&app, &support, "/backoffice/kyc/100001/approve", &[]).await.status(), 403);
    let admin = staff(&app, "root@broker.example", Role::Admin).await;
    assert_eq!(app.get_with_cookie("/backoffice/kyc", &admin).await.status(), 200);
    assert_eq!(app.get_with_cookie("/backoffice/kyc/424242", &admin).await.status(), 404);
}
