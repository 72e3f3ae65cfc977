//! An upload's multipart body, any bytes: the part reader never panics, a
//! file it keeps is within the limits and of a sniffed type, and whatever
//! it refuses leaves no file behind in the spool folder.
#![no_main]
use std::sync::OnceLock;

use axum::extract::{FromRequest, Multipart};
use broker_inapp::domain::kyc::UploadLimits;
use libfuzzer_sys::fuzz_target;

struct Setup {
    rt: tokio::runtime::Runtime,
    dir: std::path::PathBuf,
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("fuzz-multipart-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        Setup { rt, dir }
    })
}

fuzz_target!(|data: &[u8]| {
    let s = setup();
    // Small limits, so the size checks are reached by small inputs too.
    let limits = UploadLimits { max_bytes: 4096, min_bytes: 16, max_side: 100 };
    let req = axum::http::Request::builder()
        .method("POST")
        .header("content-type", "multipart/form-data; boundary=XyZ")
        .body(axum::body::Body::from(data.to_vec()))
        .unwrap();
    s.rt.block_on(async {
        let Ok(mut multipart) = Multipart::from_request(req, &()).await else { return };
        match broker_inapp::kyc::upload::receive(&s.dir, &mut multipart, &limits).await {
            Ok((spool, _kind, size, name)) => {
                assert!((limits.min_bytes..=limits.max_bytes).contains(&size), "kept {size} bytes");
                let path = spool.path().expect("the spool file");
                assert_eq!(std::fs::metadata(path).unwrap().len(), size, "the file holds what was counted");
                assert!(!name.contains('/') && !name.contains('\0'), "a name we would store: {name:?}");
            }
            Err(_) => {}
        }
    });
    // Kept or refused, the spool guard has gone: nothing is left over.
    let left = std::fs::read_dir(&s.dir).unwrap().count();
    assert_eq!(left, 0, "a file left in the spool folder");
});
