//! Photo quality on the server: each uploaded photo is measured with the
//! browser's own code and the reviewer sees the scores and what is wrong
//! (the trader may have sent a doubtful photo anyway). Nothing is refused
//! for quality: a reviewer may still read it.

use crate::common;

use std::io::Cursor;

use broker_inapp::backoffice::Role;
use common::kyc::*;
use common::TestApp;

/// A photographed page: light paper, thin lines of dark "text", some grain;
/// `blur` passes of a 3 × 3 box blur, and every value times `light`.
fn page_photo(w: u32, h: u32, blur: usize, light: f32) -> Vec<u8> {
    let mut seed = 3u32;
    let mut grey: Vec<u8> = (0..w * h)
        .map(|i| {
            let (x, y) = (i % w, i / w);
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let ink = y % 12 < 2 && (x / 3) % 4 != 0;
            (if ink { 60 } else { 190 }) + ((seed >> 16) % 8) as u8
        })
        .collect();
    let (w, h) = (w as usize, h as usize);
    for _ in 0..blur {
        let src = grey.clone();
        for y in 1..h - 1 {
            for x in 1..w - 1 {
                grey[y * w + x] = ((0..9).map(|k| u32::from(src[(y + k / 3 - 1) * w + x + k % 3 - 1])).sum::<u32>() / 9) as u8;
            }
        }
    }
    let img = image::GrayImage::from_fn(w as u32, h as u32, |x, y| image::Luma([(f32::from(grey[y as usize * w + x as usize]) * light).min(255.0) as u8]));
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92).encode_image(&img).unwrap();
    out.into_inner()
}

/// A page photographed from afar: `page_photo`'s page, 400 × 300, on an
/// even table filling a 1600 × 1200 frame.
fn far_photo() -> Vec<u8> {
    let page = image::load_from_memory(&page_photo(400, 300, 0, 1.0)).unwrap().to_luma8();
    let mut frame = image::GrayImage::from_fn(1600, 1200, |x, y| image::Luma([100 + ((x * 7 + y * 13) % 5) as u8]));
    image::imageops::overlay(&mut frame, &page, 1000, 700);
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92).encode_image(&frame).unwrap();
    out.into_inner()
}

/// The quality problems the case page shows for the trader's `doc_type`.
async fn problems_shown(app: &TestApp, officer: &str, login: i64, doc_type: &str) -> String {
    let page = app.get_with_cookie(&format!("/backoffice/kyc/{login}"), officer).await.text().await.unwrap();
    let article = page.split("data-testid=\"kyc-doc\"").find(|a| a.contains(&format!("data-type=\"{doc_type}\""))).expect("the document");
    let quality = article.split("data-testid=\"kyc-doc-quality\" data-problems=\"").nth(1).expect("its quality line");
    quality.split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn each_photo_is_measured_and_the_reviewer_sees_what_is_wrong() {
    let app = kyc_app().await;
    let officer = common::staff_cookie(&app, "kyc@broker.example", Role::Compliance).await;
    for (photo, want) in [
        (page_photo(800, 640, 0, 1.0), ""),
        (page_photo(800, 640, 12, 1.0), "blurry"),
        (page_photo(800, 640, 0, 0.2), "dark"),
        (page_photo(480, 400, 0, 1.0), "small"),
        (far_photo(), "far"),
    ] {
        let (cookie, login) = trader(&app, "standard", "NO_TRADING").await;
        assert_eq!(upload(&app, &cookie, "identity", "id.jpg", photo).await.status(), 201, "never refused for quality");
        assert_eq!(problems_shown(&app, &officer, login, "identity").await, want);
    }
    // A PDF has no photo quality.
    let (cookie, login) = trader(&app, "standard", "NO_TRADING").await;
    assert_eq!(upload(&app, &cookie, "address", "bill.pdf", pdf("")).await.status(), 201);
    let page = app.get_with_cookie(&format!("/backoffice/kyc/{login}"), &officer).await.text().await.unwrap();
    assert!(!page.contains("kyc-doc-quality"));
    // The scores themselves, for the reviewer.
    let (cookie, login) = trader(&app, "standard", "NO_TRADING").await;
    assert_eq!(upload(&app, &cookie, "identity", "id.jpg", page_photo(800, 640, 12, 1.0)).await.status(), 201);
    let shown = common::shown(&app.get_with_cookie(&format!("/backoffice/kyc/{login}"), &officer).await.text().await.unwrap());
    assert!(
        shown.contains("Photo quality: sharpness")
            && shown.contains("shorter side 640 px")
            && shown.contains("% of the frame")
            && shown.contains("It looks blurry."),
        "{shown}"
    );
}
