//! Webhook signature headers (sandbox and Stripe style) with any bytes: never
//! a panic, and nothing unsigned is ever accepted.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|b| *b == 0).unwrap_or(data.len());
    let (header, body) = data.split_at(split);
    let Ok(header) = std::str::from_utf8(header) else { return };
    let verdict = broker_inapp::deposit::signature::verify("fuzz-secret", Some(header), body, 1_800_000_000, 300);
    // A forged signature would need the secret: random input must never pass.
    assert!(verdict.is_err(), "accepted a signature without the secret: {header:?}");
});
