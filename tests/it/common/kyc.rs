//! KYC over HTTP: an app with small upload limits, the fixtures (a photo
//! with EXIF, whole PDFs, a PDF with an object stream) and the calls the
//! upload screen and the back-office forms make.
#![allow(dead_code)]

use std::io::Cursor;

use broker_inapp::config::Settings;

use super::{spawn_with, TestApp};

pub const MAX: usize = 300_000;
pub const MIN: usize = 2_000;

/// An app whose upload limits are small enough for quick tests.
pub async fn app_with(more: impl FnOnce(figment::Figment) -> figment::Figment) -> TestApp {
    spawn_with(|f| {
        let f = Settings::with(f, "kyc.max_upload_bytes", MAX);
        let f = Settings::with(f, "kyc.min_upload_bytes", MIN);
        let f = Settings::with(f, "kyc.max_image_side", 4000);
        more(Settings::with(f, "payments.retry_base_ms", 50))
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
