//! KYC cases beyond the happy path: the enhanced level end to end (and not
//! complete with the standard documents), a rejection reaching cTrader as the
//! configured rights, "request more information" as the trader sees it,
//! support staff kept from documents, the PDF check's other refusals, and an
//! upload refused on a decided case leaving nothing behind.
#![allow(unused_imports, dead_code)]

use crate::common;

use std::io::Cursor;
use std::path::Path;
use std::time::{Duration, Instant};

use broker_inapp::backoffice::Role;
use broker_inapp::config::{Settings, DEV_CRM_PASSWORD};
use broker_inapp::time::now_ms;
use common::kyc::*;
use common::{cookie_pair, spawn, spawn_with, TestApp};
use serde_json::{json, Value};

const STAFF_PASSWORD: &str = "a long staff password";
const TRADER_PASSWORD: &str = "a long trader password";

// ------------------------------------------------ 1. kycType=enhanced

#[tokio::test]
async fn an_enhanced_case_needs_its_extras_and_is_not_complete_with_the_standard_documents() {
    let app = kyc_app().await;
    let (cookie, login) = trader(&app, "enhanced", "NO_TRADING").await;

    let v = view(&app, &cookie, Some("enhanced")).await;
    assert_eq!(v["kyc_type"], "enhanced");
    assert_eq!(kinds(&v), ["details", "identity", "address", "additional"], "what enhanced asks for: {v}");
    let fields: Vec<&str> = v["fields"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    assert!(fields.contains(&"TaxId") && fields.contains(&"SourceOfFunds"), "enhanced extras: {fields:?}");

    // The extras are required on the server: the standard details alone are refused.
    let missing = details(&app, &cookie, &[("kyc_type", "enhanced")]).await;
    assert_eq!(missing.status(), 422, "enhanced details without tax id and source of funds");
    let text = missing.text().await.unwrap();
    assert!(text.contains("tax_id") && text.contains("source_of_funds"), "names both missing fields: {text}");
    let bad_choice = details(&app, &cookie, &[("kyc_type", "enhanced"), ("tax_id", "GB-123456"), ("source_of_funds", "lottery")]).await;
    assert_eq!(bad_choice.status(), 422, "source of funds must be one of the choices");
    let saved = details(&app, &cookie, &[("kyc_type", "enhanced"), ("tax_id", "GB-123456"), ("source_of_funds", "salary")]).await;
    assert_eq!(saved.status(), 200);

    // The standard documents only: not complete.
    assert_eq!(upload(&app, &cookie, "identity", "passport.jpg", jpeg(240)).await.status(), 201);
    assert_eq!(upload(&app, &cookie, "address", "bill.pdf", pdf("")).await.status(), 201);
    // The status screen asks without a kycType: the case remembers its type.
    let v = view(&app, &cookie, None).await;
    assert_eq!(v["kyc_type"], "enhanced");
    assert_eq!(v["state"], "InProgress", "identity and address do not complete an enhanced case: {v}");
    assert_eq!(requirement(&v, "additional")["state"], "Missing");
    let officer = common::staff_cookie(&app, "kyc@broker.example", Role::Compliance).await;
    let queue = app.get_with_cookie("/backoffice/kyc", &officer).await.text().await.unwrap();
    assert!(queue.contains(&format!("data-login=\"{login}\" data-state=\"in_progress\"")), "compliance sees it unfinished: {queue}");

    // The additional document completes it.
    assert_eq!(upload(&app, &cookie, "additional", "payslip.pdf", pdf("")).await.status(), 201);
    assert_eq!(view(&app, &cookie, None).await["state"], "Submitted");
    let case = app.get_with_cookie(&format!("/backoffice/kyc/{login}"), &officer).await.text().await.unwrap();
    assert!(case.contains("GB-123456") && case.contains("salary"), "the reviewer sees the extras");
    assert_eq!(case.matches("data-testid=\"kyc-doc\"").count(), 3, "three documents to review");

    assert_eq!(common::kyc::decide(&app, &officer, login, "approve", None).await.status(), 303);
    let v = view(&app, &cookie, None).await;
    assert_eq!(v["state"], "Approved");
    for r in v["requirements"].as_array().unwrap() {
        assert_eq!(r["state"], "Accepted", "{r}");
    }
    let t = wait_for_access(&app, login, "FULL_ACCESS").await;
    assert_eq!(t["updates"], json!([{ "field": "accessRights", "value": "FULL_ACCESS", "timestamp": t["updates"][0]["timestamp"] }]));
}

#[tokio::test]
async fn a_trader_sent_to_enhanced_cannot_finish_as_standard() {
    let app = kyc_app().await;
    let (cookie, _) = trader(&app, "enhanced", "NO_TRADING").await;
    let enhanced = [("kyc_type", "enhanced"), ("tax_id", "GB-123456"), ("source_of_funds", "salary")];
    assert_eq!(details(&app, &cookie, &enhanced).await.status(), 200, "the link sent the trader to enhanced");

    // The trader edits the link (or the form) down to the standard level.
    let lowered = details(&app, &cookie, &[("kyc_type", "standard")]).await;
    assert_eq!(lowered.status(), 422, "still checked as enhanced: the extras are required");
    let v = view(&app, &cookie, Some("standard")).await;
    assert_eq!(v["kyc_type"], "enhanced", "a link cannot lower the level: {v}");
    assert_eq!(kinds(&v), ["details", "identity", "address", "additional"]);
    assert_eq!(upload(&app, &cookie, "identity", "passport.jpg", jpeg(240)).await.status(), 201);
    assert_eq!(upload(&app, &cookie, "address", "bill.pdf", pdf("")).await.status(), 201);
    assert_eq!(view(&app, &cookie, Some("standard")).await["state"], "InProgress", "the standard documents do not finish it");
}

#[tokio::test]
async fn a_link_can_raise_a_standard_case_to_enhanced() {
    let app = kyc_app().await;
    let (cookie, login) = trader(&app, "standard", "NO_TRADING").await;
    assert_eq!(upload(&app, &cookie, "identity", "passport.jpg", jpeg(240)).await.status(), 201);
    assert_eq!(view(&app, &cookie, None).await["kyc_type"], "standard");
    // Asking for more from the page is not the broker asking: ignored.
    assert_eq!(view(&app, &cookie, Some("enhanced")).await["kyc_type"], "standard");
    // The broker's link (a new one, through cTrader) asks for more.
    let token = app.mint(json!({ "login": login })).await["token"].as_str().unwrap().to_string();
    let (raised, _) = app.open(&format!("/inapp/kyc?token={token}&kycType=enhanced")).await;
    let v = view(&app, &raised, None).await;
    assert_eq!(v["kyc_type"], "enhanced", "the broker's link asks for more: {v}");
    assert_eq!(requirement(&v, "identity")["state"], "Uploaded", "what was sent still counts");
}

// ------------------------------------------------ 2. rejection → NO_TRADING

#[tokio::test]
async fn a_rejected_case_sets_no_trading_in_ctrader() {
    let app = kyc_app().await;
    let (cookie, login) = submitted_case(&app, "FULL_ACCESS").await;
    assert_eq!(app.sim_trader(login).await["accessRights"], "FULL_ACCESS", "the premise");
    let officer = common::staff_cookie(&app, "kyc@broker.example", Role::Compliance).await;

    let res = common::kyc::decide(&app, &officer, login, "reject", Some("Sanctions list match")).await;
    assert_eq!(res.status(), 303);
    let v = view(&app, &cookie, None).await;
    assert_eq!(v["state"], "Rejected");
    assert_eq!(v["note"], "Sanctions list match", "the trader is told why");
    let t = wait_for_access(&app, login, "NO_TRADING").await;
    let values: Vec<&str> = t["updates"].as_array().unwrap().iter().map(|u| u["value"].as_str().unwrap()).collect();
    assert_eq!(values, ["NO_TRADING"], "one change, the configured one");
}

#[tokio::test]
async fn the_rights_a_rejection_sets_come_from_the_configuration() {
    let app = app_with(|f| Settings::with(f, "kyc.access_rights.rejected", "CLOSE_ONLY")).await;
    let (_, login) = submitted_case(&app, "FULL_ACCESS").await;
    let officer = common::staff_cookie(&app, "kyc@broker.example", Role::Compliance).await;
    assert_eq!(common::kyc::decide(&app, &officer, login, "reject", Some("Duplicate account")).await.status(), 303);
    let t = wait_for_access(&app, login, "CLOSE_ONLY").await;
    assert_eq!(t["updates"].as_array().unwrap().len(), 1);
}

// ------------------------------------------------ 3. request more information

#[tokio::test]
async fn a_request_for_more_information_reaches_the_trader_with_the_officers_text() {
    let app = kyc_app().await;
    let (cookie, login) = submitted_case(&app, "NO_TRADING").await;
    let officer = common::staff_cookie(&app, "kyc@broker.example", Role::Compliance).await;

    let blank = common::kyc::decide(&app, &officer, login, "more-info", Some("   ")).await;
    assert_eq!(blank.status(), 400, "a request needs a text");
    let text = "Please send a bank statement from the last 3 months";
    let res = common::kyc::decide(&app, &officer, login, "more-info", Some(text)).await;
    assert_eq!(res.status(), 303);

    let v = view(&app, &cookie, None).await;
    assert_eq!(v["state"], "MoreInfo");
    assert_eq!(v["note"], text, "the officer's words, as written");
    let last = v["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["action"].as_str(), last["reason"].as_str()), (Some("more_info"), Some(text)), "on the timeline: {v}");
    let page = app.get_with_cookie("/inapp/kyc/status", &cookie).await.text().await.unwrap();
    assert!(page.contains(text), "the status screen shows it");
    // Not a decision: nothing goes to cTrader, and the trader can still answer.
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM kyc_access_sync").await, 0, "more_info maps to no accessRights");
    assert_eq!(upload(&app, &cookie, "address", "statement.pdf", pdf("")).await.status(), 201, "the case stays open");
    assert_eq!(view(&app, &cookie, None).await["state"], "Submitted");
}

// ------------------------------------------------ 4. support staff and documents

/// Support staff never get a KYC document's bytes, original or preview.
#[tokio::test]
async fn support_staff_cannot_read_kyc_documents() {
    let app = kyc_app().await;
    let (cookie, _) = trader(&app, "standard", "NO_TRADING").await;
    assert_eq!(upload(&app, &cookie, "identity", "passport.jpg", jpeg(240)).await.status(), 201);
    assert_eq!(upload(&app, &cookie, "address", "bill.pdf", pdf("")).await.status(), 201);
    let support = common::staff_cookie(&app, "help@broker.example", Role::Support).await;
    let admin = common::staff_cookie(&app, "root@broker.example", Role::Admin).await;
    for doc_type in ["identity", "address"] {
        let id = doc_id(&app, doc_type).await;
        for suffix in ["", "?original=1"] {
            let path = format!("/backoffice/kyc/documents/{id}{suffix}");
            assert_eq!(app.get_with_cookie(&path, &admin).await.status(), 200, "the premise: {path} exists for a reviewer");
            let res = app.get_with_cookie(&path, &support).await;
            assert!(res.status().is_client_error(), "{path}: {}", res.status());
            let ct = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
            assert!(!ct.starts_with("image/") && !ct.starts_with("application/pdf"), "{path}: {ct}");
        }
    }
}

#[tokio::test]
async fn support_staff_get_404_for_kyc_documents() {
    let app = kyc_app().await;
    let (cookie, _) = trader(&app, "standard", "NO_TRADING").await;
    assert_eq!(upload(&app, &cookie, "identity", "passport.jpg", jpeg(240)).await.status(), 201);
    let id = doc_id(&app, "identity").await;
    let support = common::staff_cookie(&app, "help@broker.example", Role::Support).await;
    for path in [format!("/backoffice/kyc/documents/{id}"), format!("/backoffice/kyc/documents/{id}?original=1")] {
        assert_eq!(app.get_with_cookie(&path, &support).await.status(), 404, "{path}");
    }
}

// ------------------------------------------------ 5. more PDF refusals

async fn assert_nothing_kept(app: &TestApp) {
    assert!(app.object_keys().await.is_empty(), "no document file");
    assert!(names_in(&app.dir.path().join("spool")).is_empty(), "no spool file left behind");
    assert_eq!(scalar(app, "SELECT COUNT(*) FROM kyc_documents").await, 0, "no row");
}

#[tokio::test]
async fn pdfs_with_rich_media_or_a_lone_js_or_cut_short_are_refused_and_nothing_is_kept() {
    let app = kyc_app().await;
    let (cookie, _) = trader(&app, "standard", "NO_TRADING").await;

    let active = [
        ("rich media annotation", pdf("/Annots [ << /Type /Annot /Subtype /RichMedia /RichMediaContent 9 0 R >> ]")),
        ("lone /JS", pdf("/AA << /O << /JS (app.alert(1)) >> >>")),
        ("lone /JS, hex-escaped", pdf("/AA << /O << /J#53 (app.alert(1)) >> >>")),
        ("rich media in an object stream", pdf_with_object_stream("<< /Type /Catalog /Annots [ << /Subtype /RichMedia >> ] >>")),
    ];
    for (what, bytes) in active {
        assert!(!String::from_utf8_lossy(&bytes).contains("JavaScript"), "{what}: no /JavaScript to lean on");
        assert_eq!(status_and_code(upload(&app, &cookie, "address", "bill.pdf", bytes).await).await, (422, "ACTIVE_PDF".to_string()), "{what}");
    }

    let whole = pdf("");
    let text = String::from_utf8(whole.clone()).unwrap();
    // No %%EOF: the end of the file is missing.
    let no_eof = text.trim_end().trim_end_matches("%%EOF").as_bytes().to_vec();
    // Cut in the middle of an object, as an interrupted transfer leaves it.
    let padding = format!("% padding {}\n", "x".repeat(MIN + 100));
    let mid_object = format!("%PDF-1.4\n{padding}{}", &text[9..text.find("/Type /Page /Parent").unwrap() + 8]).into_bytes();
    // Cut inside a compressed object stream.
    let packed = pdf_with_object_stream("<< /Type /Catalog /Pages 2 0 R >>");
    let mut mid_stream = format!("%PDF-1.5\n{padding}").into_bytes();
    mid_stream.extend_from_slice(&packed[9..packed.windows(7).position(|w| w == b"stream\n").unwrap() + 9]);
    for (what, bytes) in [("no %%EOF", no_eof), ("cut mid-object", mid_object), ("cut mid-stream", mid_stream)] {
        assert!(bytes.len() > MIN, "{what}: big enough to reach the content check");
        assert_eq!(status_and_code(upload(&app, &cookie, "address", "bill.pdf", bytes).await).await, (422, "CORRUPT_FILE".to_string()), "{what}");
    }

    assert_nothing_kept(&app).await;
    assert_eq!(view(&app, &cookie, None).await["state"], "NotStarted", "no refused upload counts");
    // The same PDF, whole and without those names, goes through; so does one
    // an office scanner padded after its `%%EOF` (thousands of NULs, a form
    // feed, a DOS end-of-file mark).
    let mut padded = whole.clone();
    padded.extend_from_slice(b"\x0c\r\n");
    padded.extend(std::iter::repeat_n(0u8, 5_000));
    padded.push(0x1a);
    assert_eq!(upload(&app, &cookie, "address", "bill.pdf", whole).await.status(), 201);
    assert_eq!(upload(&app, &cookie, "address", "scan.pdf", padded).await.status(), 201, "padding after %%EOF is still whole");
}

/// A PDF whose appended update (an incremental save) is cut mid-object, while
/// the first revision's %%EOF still sits in the last kilobyte.
#[tokio::test]
async fn a_pdf_cut_mid_object_after_an_earlier_eof_is_refused() {
    let app = kyc_app().await;
    let (cookie, _) = trader(&app, "standard", "NO_TRADING").await;
    let mut bytes = pdf("");
    bytes.extend_from_slice(b"4 0 obj\n<< /Type /Annot /Subtype /Text /Rect [0 0 10 10] /Contents (a note that never en");
    assert_eq!(status_and_code(upload(&app, &cookie, "address", "bill.pdf", bytes).await).await, (422, "CORRUPT_FILE".to_string()));
    assert_nothing_kept(&app).await;
}

// ------------------------------------------------ 6. 409 leaves nothing

#[tokio::test]
async fn an_upload_refused_because_the_case_is_decided_leaves_no_file_and_no_row() {
    let app = kyc_app().await;
    let (cookie, login) = submitted_case(&app, "NO_TRADING").await;
    let officer = common::staff_cookie(&app, "kyc@broker.example", Role::Compliance).await;
    assert_eq!(common::kyc::decide(&app, &officer, login, "approve", None).await.status(), 303);

    let files_before = app.object_keys().await;
    assert_eq!(files_before.len(), 3, "the premise: identity, its preview, the bill: {files_before:?}");
    let rows_before = scalar(&app, "SELECT COUNT(*) FROM kyc_documents").await;
    let events_before = scalar(&app, "SELECT COUNT(*) FROM kyc_events").await;

    // A photo (which would also leave a preview) and a PDF, both clean.
    for (doc_type, name, bytes) in [("identity", "again.jpg", jpeg(240)), ("address", "again.pdf", pdf(""))] {
        assert_eq!(status_and_code(upload(&app, &cookie, doc_type, name, bytes).await).await, (409, "CASE_CLOSED".to_string()), "{doc_type}");
    }
    assert_eq!(app.object_keys().await, files_before, "no new stored file");
    assert!(names_in(&app.dir.path().join("spool")).is_empty(), "no spool file");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM kyc_documents").await, rows_before, "no new row");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM kyc_events").await, events_before, "nothing on the timeline");
    let v = view(&app, &cookie, None).await;
    assert_eq!(v["state"], "Approved");
    assert_eq!(requirement(&v, "identity")["file_name"], "passport.jpg", "the approved document is still the one shown");
}

#[tokio::test]
async fn an_upload_padded_with_many_parts_is_refused_before_the_file_is_read() {
    let app = kyc_app().await;
    let (cookie, _) = trader(&app, "standard", "FULL_ACCESS").await;
    let send = |extra: usize| {
        let mut form = reqwest::multipart::Form::new();
        for i in 0..extra {
            form = form.text(format!("pad{i}"), "x");
        }
        let part = reqwest::multipart::Part::bytes(jpeg(240)).file_name("id.jpg").mime_str("image/jpeg").unwrap();
        app.http
            .post(app.url("/inapp/kyc/documents?documentType=identity"))
            .header("cookie", cookie.clone())
            .header("origin", app.base.clone())
            .multipart(form.part("file", part))
            .send()
    };
    let refused = send(500).await.unwrap();
    assert_eq!(status_and_code(refused).await, (400, "BAD_MULTIPART".to_string()));
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM kyc_documents").await, 0);
    // A few extra fields (a form's hidden inputs) are still fine.
    assert_eq!(send(3).await.unwrap().status(), 201);
}

// ------------------------------------------------ a reviewer decides what they saw

#[tokio::test]
async fn a_decision_on_a_case_the_trader_changed_since_it_was_opened_is_refused() {
    let app = kyc_app().await;
    let (cookie, login) = trader(&app, "standard", "NO_TRADING").await;
    let saved = details(&app, &cookie, &[]).await;
    assert_eq!(saved.status(), 200);
    assert_eq!(upload(&app, &cookie, "identity", "passport.jpg", jpeg(240)).await.status(), 201);
    assert_eq!(upload(&app, &cookie, "address", "bill.pdf", pdf("")).await.status(), 201);
    let officer = common::staff_cookie(&app, "kyc@broker.example", Role::Compliance).await;
    // The reviewer opens the case: what they approve is this.
    let on_screen = seen(&app, &officer, login).await;
    let old_doc = app.get_with_cookie(&format!("/backoffice/kyc/{login}"), &officer).await.text().await.unwrap();
    let old_address = old_doc
        .split("/backoffice/kyc/documents/")
        .filter_map(|p| p.split('/').next())
        .find(|id| id.len() > 8 && !id.contains('?') && !id.contains('"'))
        .unwrap()
        .to_string();
    // Meanwhile the trader sends another proof of address.
    assert_eq!(upload(&app, &cookie, "address", "other-bill.pdf", pdf("")).await.status(), 201);

    let res = post_form(&app, &officer, &format!("/backoffice/kyc/{login}/approve"), &[("seen", &on_screen)]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], format!("/backoffice/kyc/{login}?changed=1"));
    assert_eq!(view(&app, &cookie, None).await["state"], "Submitted", "not approved: the reviewer has not seen the new document");
    let page = app.get_with_cookie(&format!("/backoffice/kyc/{login}?changed=1"), &officer).await.text().await.unwrap();
    assert!(page.contains("data-testid=\"kyc-changed\"") && page.contains("changed this case since you opened it"));
    // A decision on the replaced document is refused the same way.
    let replaced = post_form(&app, &officer, &format!("/backoffice/kyc/documents/{old_address}/accept"), &[]).await;
    assert_eq!(replaced.headers().get("location").map(|l| l.to_str().unwrap().ends_with("?changed=1")), Some(true), "{old_address}");
    // A form without what was on screen decides nothing.
    assert_eq!(post_form(&app, &officer, &format!("/backoffice/kyc/{login}/approve"), &[]).await.status(), 400);
    // Looked at again, it can be decided.
    assert_eq!(common::kyc::decide(&app, &officer, login, "approve", None).await.status(), 303);
    assert_eq!(view(&app, &cookie, None).await["state"], "Approved");
}

/// A PNG that claims `w`×`h` RGBA in its header, padded to `size` bytes:
/// what a decompression bomb looks like before it is decoded.
fn png_claiming(w: u32, h: u32, size: usize) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 6, 0, 0, 0]); // 8 bits, RGBA
    out.extend(13u32.to_be_bytes());
    out.extend(&ihdr);
    out.extend(0u32.to_be_bytes()); // (checksum not checked before the budget)
    out.resize(size, 0);
    out
}

#[tokio::test]
async fn an_image_that_would_decode_past_the_memory_budget_is_refused_before_decoding() {
    let app = app_with(|f| Settings::with(f, "kyc.max_image_side", 8000)).await;
    let (cookie, _) = trader(&app, "standard", "NO_TRADING").await;
    // 6000 × 5000 RGBA: within the largest side, 114 MiB decoded, 40 KiB on the wire.
    let res = upload(&app, &cookie, "identity", "bomb.png", png_claiming(6000, 5000, 40 * 1024)).await;
    let (status, code) = status_and_code(res).await;
    assert_eq!((status, code.as_str()), (422, "IMAGE_TOO_BIG"));
    // Within the budget the same header gets as far as decoding (and this one is not a real image).
    let res = upload(&app, &cookie, "identity", "fake.png", png_claiming(4000, 3000, 40 * 1024)).await;
    assert_eq!(status_and_code(res).await, (422, "CORRUPT_FILE".to_string()));
    // A 24-megapixel JPEG: baseline fits, progressive does not (its
    // coefficients are held whole, as much again as the pixels).
    let res = upload(&app, &cookie, "identity", "baseline.jpg", jpeg_claiming(0xC0, 6000, 4000)).await;
    assert_eq!(status_and_code(res).await, (422, "CORRUPT_FILE".to_string()));
    let res = upload(&app, &cookie, "identity", "progressive.jpg", jpeg_claiming(0xC2, 6000, 4000)).await;
    assert_eq!(status_and_code(res).await, (422, "IMAGE_TOO_BIG".to_string()));
    // Nor does a baseline one whose first scan carries one component: the decoder keeps all coefficients.
    let mut split = jpeg_claiming(0xC0, 6000, 4000);
    split.splice(21..35, [0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0, 0, 0, 0, 0]);
    let res = upload(&app, &cookie, "identity", "split.jpg", split).await;
    assert_eq!(status_and_code(res).await, (422, "IMAGE_TOO_BIG".to_string()));
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM kyc_documents").await, 0, "nothing kept");
}

/// A JPEG whose frame header (`marker`: 0xC0 baseline, 0xC2 progressive)
/// claims `w`×`h` colour 4:2:0 and whose first scan carries all three
/// components, then 40 KiB of nothing.
fn jpeg_claiming(marker: u8, w: u16, h: u16) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8, 0xFF, marker, 0, 17, 8];
    out.extend(h.to_be_bytes());
    out.extend(w.to_be_bytes());
    out.extend([3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    out.extend([0xFF, 0xDA, 0, 12, 3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0]);
    out.resize(40 * 1024, 0);
    out
}

// ------------------------------------------------ quotas and retention

#[tokio::test]
async fn a_trader_uploads_at_most_the_days_quota_kyc_and_chat_together() {
    let app = app_with(|f| Settings::with(f, "kyc.daily_uploads", 3)).await;
    let (cookie, _) = trader(&app, "standard", "NO_TRADING").await;
    for name in ["a.jpg", "b.jpg"] {
        assert_eq!(upload(&app, &cookie, "identity", name, jpeg(240)).await.status(), 201);
    }
    // A chat attachment counts too.
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(jpeg(240)).file_name("c.jpg").mime_str("image/jpeg").unwrap());
    let res =
        app.http.post(app.url("/inapp/chat/attachments")).header("cookie", &cookie).header("origin", app.base.clone()).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let refused = upload(&app, &cookie, "address", "d.pdf", pdf("")).await;
    assert_eq!(refused.headers()["retry-after"], "3600");
    assert_eq!(status_and_code(refused).await, (429, "UPLOAD_QUOTA".to_string()));
    // Another trader is not affected.
    let (other, _) = trader(&app, "standard", "NO_TRADING").await;
    assert_eq!(upload(&app, &other, "identity", "e.jpg", jpeg(240)).await.status(), 201);

    // By bytes: what was kept today plus what this upload declares.
    let app = app_with(|f| Settings::with(f, "kyc.daily_upload_bytes", 2 * jpeg(240).len() as u64)).await;
    let (cookie, _) = trader(&app, "standard", "NO_TRADING").await;
    assert_eq!(upload(&app, &cookie, "identity", "a.jpg", jpeg(240)).await.status(), 201);
    assert_eq!(status_and_code(upload(&app, &cookie, "address", "b.jpg", jpeg(240)).await).await, (429, "UPLOAD_QUOTA".to_string()));
}

#[tokio::test]
async fn uploads_stop_before_the_disk_fills_and_keep_nothing() {
    let app = app_with(|f| Settings::with(f, "storage.min_free_bytes", 9_000_000_000_000_000_000u64)).await;
    let (cookie, _) = trader(&app, "standard", "NO_TRADING").await;
    let res = upload(&app, &cookie, "identity", "a.jpg", jpeg(240)).await;
    assert_eq!(status_and_code(res).await, (503, "DISK_FULL".to_string()));
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM kyc_documents").await, 0);
    assert_eq!(std::fs::read_dir(app.dir.path().join("spool")).unwrap().count(), 0, "no spool file left");
}

#[tokio::test]
async fn a_replaced_documents_file_goes_at_the_end_of_its_retention_and_its_record_stays() {
    let app = app_with(|f| Settings::with(f, "kyc.replaced_retention_days", 0)).await;
    let (cookie, login) = trader(&app, "standard", "NO_TRADING").await;
    let first: Value = upload(&app, &cookie, "identity", "old.jpg", jpeg(240)).await.json().await.unwrap();
    let old = first["id"].as_str().unwrap().to_string();
    let second: Value = upload(&app, &cookie, "identity", "new.jpg", jpeg(240)).await.json().await.unwrap();
    let new = second["id"].as_str().unwrap().to_string();
    assert!(app.has_object(&old).await && app.has_object(&format!("{old}.preview")).await);
    broker_inapp::startup::housekeep(&app.state).await;
    let stored = app.object_keys().await;
    assert!(!stored.contains(&old), "the replaced file is gone: {stored:?}");
    assert!(!stored.contains(&format!("{old}.preview")), "and its display copy: {stored:?}");
    assert_eq!(stored, [new.clone(), format!("{new}.preview")], "the current one stays");
    let officer = common::staff_cookie(&app, "kyc@broker.example", Role::Compliance).await;
    assert_eq!(app.get_with_cookie(&format!("/backoffice/kyc/documents/{old}?original=1"), &officer).await.status(), 404);
    let case = app.get_with_cookie(&format!("/backoffice/kyc/{login}"), &officer).await.text().await.unwrap();
    assert!(case.contains("kyc-doc-file-deleted") && case.contains("old.jpg"), "the record and its name stay");
}

#[tokio::test]
async fn compliance_sets_the_level_a_case_must_pass_and_what_it_asks_for_follows() {
    let app = kyc_app().await;
    let (cookie, login) = trader(&app, "standard", "NO_TRADING").await;
    assert_eq!(details(&app, &cookie, &[]).await.status(), 200);
    assert_eq!(upload(&app, &cookie, "identity", "passport.jpg", jpeg(240)).await.status(), 201);
    assert_eq!(upload(&app, &cookie, "address", "bill.pdf", pdf("")).await.status(), 201);
    assert_eq!(view(&app, &cookie, None).await["state"], "Submitted");
    let officer = common::staff_cookie(&app, "kyc@broker.example", Role::Compliance).await;
    let level = |kyc_type: &'static str, seen: String| {
        let (app, officer) = (&app, officer.clone());
        async move { post_form(app, &officer, &format!("/backoffice/kyc/{login}/level"), &[("kyc_type", kyc_type), ("seen", &seen)]).await }
    };
    assert_eq!(level("platinum", seen(&app, &officer, login).await).await.status(), 400, "only a configured level");
    let support = common::staff_cookie(&app, "help@broker.example", Role::Support).await;
    assert_eq!(post_form(&app, &support, &format!("/backoffice/kyc/{login}/level"), &[("kyc_type", "enhanced"), ("seen", "0")]).await.status(), 403);

    // Raised: the case asks for the enhanced extras and is no longer complete.
    assert_eq!(level("enhanced", seen(&app, &officer, login).await).await.status(), 303);
    let v = view(&app, &cookie, None).await;
    assert_eq!((v["kyc_type"].as_str(), v["state"].as_str()), (Some("enhanced"), Some("InProgress")), "{v}");
    assert_eq!(requirement(&v, "additional")["state"], "Missing");
    let case = app.get_with_cookie(&format!("/backoffice/kyc/{login}"), &officer).await.text().await.unwrap();
    assert!(case.contains("Verification level set · enhanced"), "in the audit log");
    // Lowered again by compliance (the broker's decision, not the trader's): complete again.
    assert_eq!(level("standard", seen(&app, &officer, login).await).await.status(), 303);
    assert_eq!(view(&app, &cookie, None).await["state"], "Submitted");
}
