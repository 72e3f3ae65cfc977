//! KYC over HTTP: an app with small upload limits, the fixtures (a photo
//! with EXIF, whole PDFs, a PDF with an object stream) and the calls the
//! upload screen and the back-office forms make.
#![allow(dead_code)]

use broker_inapp::server_fns::kyc::{LoadKyc, SaveKycDetails};
use std::io::Cursor;
use std::path::Path;

use broker_inapp::config::Settings;

use serde_json::{json, Value};

use super::{spawn_with, TestApp};

pub const MAX: usize = 300_000;
pub const MIN: usize = 2_000;

/// An app whose upload limits are small enough for quick tests.
pub async fn app_with(more: impl FnOnce(figment::Figment) -> figment::Figment) -> TestApp {
    spawn_with(|f| {
        let f = Settings::with(f, "kyc.max_upload_bytes", MAX);
        let f = Settings::with(f, "kyc.min_upload_bytes", MIN);
        let f = Settings::with(f, "kyc.max_image_side", 4000);
        let f = Settings::with(f, "payments.retry_base_ms", 50);
        // accessRights calls that failed are retried no sooner than this.
        more(Settings::with(f, "payments.settle_ms", 300))
    })
    .await
}

/// A real JPEG of noise (so it does not compress below the minimum), with an
/// EXIF segment carrying a marker that must never reach a browser.
pub fn jpeg_with_exif(side: u32) -> Vec<u8> {
    let mut seed = 7u32;
    let img = image::RgbImage::from_fn(side, side, |_, _| {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        image::Rgb([(seed >> 16) as u8, (seed >> 8) as u8, seed as u8])
    });
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&img).unwrap();
    let plain = out.into_inner();
    let payload = b"Exif\0\0GPS-SECRET-51.5074N";
    let mut exif = vec![0xFF, 0xE1];
    exif.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    exif.extend_from_slice(payload);
    let mut jpeg = plain[..2].to_vec();
    jpeg.extend(exif);
    jpeg.extend_from_slice(&plain[2..]);
    jpeg
}

pub fn pdf(extra: &str) -> Vec<u8> {
    let mut body = format!("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R {extra} >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n3 0 obj << /Type /Page /Parent 2 0 R >> endobj\n");
    body.push_str(&format!("% padding {}\n", "x".repeat(MIN + 100)));
    body.push_str("trailer << /Root 1 0 R >>\n%%EOF\n");
    body.into_bytes()
}

/// A PDF 1.5 whose catalog sits in a compressed object stream: a scan of the
/// raw bytes sees no names at all.
pub fn pdf_with_object_stream(catalog: &str) -> Vec<u8> {
    use std::io::Write;
    let objects = format!("1 0 {catalog}");
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(objects.as_bytes()).unwrap();
    let packed = z.finish().unwrap();
    let mut body = format!("%PDF-1.5\n5 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length {} >>\nstream\n", packed.len()).into_bytes();
    body.extend_from_slice(&packed);
    body.extend_from_slice(format!("\nendstream\nendobj\n% padding {}\ntrailer << /Root 1 0 R >>\n%%EOF\n", "x".repeat(MIN + 100)).as_bytes());
    body
}

pub async fn upload(app: &TestApp, cookie: &str, doc_type: &str, name: &str, bytes: Vec<u8>) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()).mime_str("application/octet-stream").unwrap();
    app.http
        .post(app.url(&format!("/inapp/kyc/documents?documentType={doc_type}")))
        .header("cookie", cookie)
        .header("origin", app.base.clone())
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap()
}

pub async fn post_form(app: &TestApp, cookie: &str, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    app.http.post(app.url(path)).header("cookie", cookie).header("origin", app.base.clone()).form(form).send().await.unwrap()
}

pub async fn kyc_app() -> TestApp {
    app_with(|f| f).await
}

/// A real JPEG of noise (so it does not compress below the minimum).
pub fn jpeg(side: u32) -> Vec<u8> {
    let mut seed = 11u32;
    let img = image::RgbImage::from_fn(side, side, |_, _| {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        image::Rgb([(seed >> 16) as u8, (seed >> 8) as u8, seed as u8])
    });
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&img).unwrap();
    out.into_inner()
}

/// A trader with a session on the KYC screen opened with `kycType`.
pub async fn trader(app: &TestApp, kyc_type: &str, access_rights: &str) -> (String, i64) {
    let v = app.mint(json!({ "accessRights": access_rights })).await;
    let (cookie, _) = app.open(&format!("/inapp/kyc?token={}&kycType={kyc_type}", v["token"].as_str().unwrap())).await;
    (cookie, v["login"].as_i64().unwrap())
}

/// `(status, code)` of an upload's answer.
pub async fn status_and_code(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    (status, body["code"].as_str().unwrap_or_default().to_string())
}

pub const STANDARD_DETAILS: [(&str, &str); 4] =
    [("full_name", "Ada Lovelace"), ("date_of_birth", "1990-12-10"), ("address", "12 St James's Square, London"), ("country", "GB")];

/// The details form with `values` (name, value) filled in.
pub fn details_form(values: &[(&str, &str)]) -> SaveKycDetails {
    let mut form = SaveKycDetails { full_name: None, date_of_birth: None, address: None, country: None, tax_id: None, source_of_funds: None, mrz: None };
    for (name, value) in values {
        let slot = match *name {
            "full_name" => &mut form.full_name,
            "date_of_birth" => &mut form.date_of_birth,
            "address" => &mut form.address,
            "country" => &mut form.country,
            "tax_id" => &mut form.tax_id,
            "source_of_funds" => &mut form.source_of_funds,
            "mrz" => &mut form.mrz,
            other => panic!("the details form has no field {other}"),
        };
        *slot = Some(value.to_string());
    }
    form
}

/// The details form as the browser posts it, with `extra` fields (one the
/// form does not have, such as `kyc_type`, is what an edited page would send).
pub async fn details(app: &TestApp, cookie: &str, extra: &[(&str, &str)]) -> reqwest::Response {
    let mut form: Vec<(&str, &str)> = STANDARD_DETAILS.to_vec();
    form.extend_from_slice(extra);
    app.server_fn(cookie, "kyc/details", &form).await
}

/// The `kyc/view` server function; `kyc_type`, if given, is sent along as an
/// edited page would (the server takes the level from the case and the
/// session's opening link only).
pub async fn view(app: &TestApp, cookie: &str, kyc_type: Option<&str>) -> Value {
    let res = match kyc_type {
        Some(t) => app.server_fn(cookie, "kyc/view", &[("kyc_type", t)]).await,
        None => app.call(cookie, LoadKyc {}).await,
    };
    assert_eq!(res.status(), 200, "kyc/view");
    res.json().await.unwrap()
}

pub fn requirement(v: &Value, kind: &str) -> Value {
    v["requirements"].as_array().unwrap().iter().find(|r| r["kind"] == kind).cloned().unwrap_or(Value::Null)
}

pub fn kinds(v: &Value) -> Vec<String> {
    v["requirements"].as_array().unwrap().iter().map(|r| r["kind"].as_str().unwrap().to_string()).collect()
}

pub async fn wait_for_access(app: &TestApp, login: i64, want: &str) -> Value {
    super::eventually(&format!("accessRights {want}"), || async {
        app.drain().await;
        let t = app.sim_trader(login).await;
        if t["accessRights"] == want {
            Ok(t)
        } else {
            Err(t)
        }
    })
    .await
}

/// Names in `dir`, which must exist (a missing folder would read as empty).
pub fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
    names.sort();
    names
}

/// Runs `sql` with `$1` bound to `bind` on the app's database.
pub async fn exec(app: &TestApp, sql: &str, bind: i64) {
    let pool = app.db().await;
    sqlx::query(sql).bind(bind).execute(&pool).await.unwrap();
    pool.close().await;
}

pub async fn scalar(app: &TestApp, sql: &str) -> i64 {
    app.count("app.db", sql).await
}

pub async fn doc_id(app: &TestApp, doc_type: &str) -> String {
    let pool = app.db().await;
    let id = sqlx::query_scalar("SELECT id FROM kyc_documents WHERE doc_type = $1 AND state != 'replaced'").bind(doc_type).fetch_one(&pool).await.unwrap();
    pool.close().await;
    id
}

/// A standard case with details, identity and proof of address: submitted.
pub async fn submitted_case(app: &TestApp, access_rights: &str) -> (String, i64) {
    let (cookie, login) = trader(app, "standard", access_rights).await;
    assert_eq!(details(app, &cookie, &[]).await.status(), 200);
    assert_eq!(upload(app, &cookie, "identity", "passport.jpg", jpeg(240)).await.status(), 201);
    assert_eq!(upload(app, &cookie, "address", "bill.pdf", pdf("")).await.status(), 201);
    assert_eq!(view(app, &cookie, None).await["state"], "Submitted");
    (cookie, login)
}

/// A served upload keeps its own protection on the wire, whatever the global
/// headers layer adds: a sandbox policy (a PDF's script cannot run, an SVG
/// trick cannot reach our origin), a download name with the right extension,
/// no type sniffing, and no cache.
pub fn assert_served_file_headers(res: &reqwest::Response, extension: &str) {
    let h = res.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.starts_with("sandbox;") && csp.contains("default-src 'none'"), "{csp}");
    assert!(!csp.contains("script-src"), "the page policy did not replace it: {csp}");
    let disposition = h["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("inline; filename=\"") && disposition.ends_with(&format!("{extension}\"")), "{disposition}");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["cache-control"], "private, no-store");
}

/// The case revision on the reviewer's screen now (the form's `seen`).
pub async fn seen(app: &TestApp, cookie: &str, login: i64) -> String {
    let page = app.get_with_cookie(&format!("/backoffice/kyc/{login}"), cookie).await.text().await.unwrap();
    page.split("name=\"seen\" value=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("the case page carries its revision").to_string()
}

/// A reviewer decides the case as it is on screen now: opens it, then posts
/// `verdict` (`approve`, `reject`, `more-info`) with the revision shown.
pub async fn decide(app: &TestApp, cookie: &str, login: i64, verdict: &str, reason: Option<&str>) -> reqwest::Response {
    let seen = seen(app, cookie, login).await;
    let mut form = vec![("seen", seen.as_str())];
    form.extend(reason.map(|r| ("reason", r)));
    post_form(app, cookie, &format!("/backoffice/kyc/{login}/{verdict}"), &form).await
}
