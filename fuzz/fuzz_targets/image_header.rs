//! Upload sniffing and the image header read before any decoding: never a
//! panic, and a size that fits in memory arithmetic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = broker_inapp::domain::kyc::sniff(data);
    if let Some((w, h, per_pixel)) = broker_inapp::kyc::inspect::header_dimensions(data) {
        // One to four channels of one or two bytes (what the decoder takes).
        assert!((1..=8).contains(&per_pixel), "{per_pixel} bytes a pixel");
        let _ = u64::from(w) * u64::from(h) * per_pixel;
    }
});
