//! Upload sniffing and the image header read before any decoding: never a
//! panic, and a size that fits in memory arithmetic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = broker_inapp::domain::kyc::sniff(data);
    if let Some(header) = broker_inapp::kyc::inspect::read_header(data) {
        // One to four channels of one or two bytes (what the decoder takes).
        assert!((1..=8).contains(&header.per_pixel), "{} bytes a pixel", header.per_pixel);
        // Never overflows: at most 65535² pixels of 8 bytes and their coefficients.
        let _ = header.working_bytes(data.len() as u64);
    }
});
