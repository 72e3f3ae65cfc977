//! The query strings cTrader (or anyone) puts in a screen link: never a
//! panic; every value read decodes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else { return };
    for name in ["token", "lang", "theme", "source", "kycType", "actionType", "account"] {
        for v in broker_inapp::domain::query_values(raw, name) {
            let _ = broker_inapp::domain::decode_query_component(&v);
        }
    }
    let _ = broker_inapp::domain::without_param(raw, "token");
    let _ = broker_inapp::session::Prefs::from_query(raw, Default::default());
});
