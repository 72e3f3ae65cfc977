//! The PDF active-content scanner on any bytes: never a panic, bounded work.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = broker_inapp::kyc::pdf_scan::scan(data);
});
