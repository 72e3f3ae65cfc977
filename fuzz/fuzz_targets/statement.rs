//! Bank statements (camt.053 XML) as finance uploads them: never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(xml) = std::str::from_utf8(data) {
        let _ = broker_inapp::deposit::bank::camt053::parse(xml);
    }
});
