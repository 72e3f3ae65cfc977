//! Payment references and IBANs as typed or found in statement text: never a
//! panic, and what parses prints back to itself.
#![no_main]
use broker_inapp::domain::{CreditorRef, Iban};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(r) = text.parse::<CreditorRef>() {
        assert_eq!(r.to_string().parse::<CreditorRef>().ok(), Some(r));
    }
    if let Ok(i) = text.parse::<Iban>() {
        assert_eq!(i.to_string().parse::<Iban>().ok(), Some(i));
    }
    let _ = CreditorRef::candidates_in(text);
    let _ = broker_inapp::domain::withdrawal::parse_holder(text);
});
