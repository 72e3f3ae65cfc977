//! Webhook signatures: HMAC-SHA256 over `"{timestamp}.{raw body}"`, sent as
//! `Sandbox-Signature: t={timestamp},v1={hex}` (the Stripe-style scheme most
//! providers use), refused when missing, wrong, or more than the tolerance away
//! from now (a replayed old webhook).

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const HEADER: &str = "sandbox-signature";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("signature header missing")]
    Missing,
    #[error("signature header malformed")]
    Malformed,
    #[error("signature does not match")]
    Mismatch,
    #[error("timestamp outside the tolerance")]
    Stale,
    #[error("body is not a valid event: {0}")]
    BadBody(String),
}

impl SignatureError {
    pub fn code(&self) -> &'static str {
        match self {
            SignatureError::Missing => "MISSING_SIGNATURE",
            SignatureError::Malformed => "MALFORMED_SIGNATURE",
            SignatureError::Mismatch => "INVALID_SIGNATURE",
            SignatureError::Stale => "STALE_SIGNATURE",
            SignatureError::BadBody(_) => "INVALID_EVENT",
        }
    }
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    m.update(timestamp.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m
}

/// The header value for `body` signed at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", hex::encode(mac(secret, timestamp, body).finalize().into_bytes()))
}

/// More than a provider ever sends (one signature per secret being rotated);
/// a longer header is refused before anything is hashed.
const MAX_HEADER_BYTES: usize = 1024;
const MAX_SIGNATURES: usize = 4;

/// Checks a header value against the body, in constant time. The body is
/// hashed once, however many signatures the header carries.
pub fn verify(secret: &str, header: Option<&str>, body: &[u8], now_s: i64, tolerance_s: i64) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    if header.len() > MAX_HEADER_BYTES {
        return Err(SignatureError::Malformed);
    }
    let mut timestamp = None;
    let mut signatures = vec![];
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => timestamp = v.parse::<i64>().ok(),
            Some(("v1", v)) => signatures.push(hex::decode(v).map_err(|_| SignatureError::Malformed)?),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() || signatures.len() > MAX_SIGNATURES {
        return Err(SignatureError::Malformed);
    }
    if now_s.abs_diff(timestamp) > tolerance_s.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    let hashed = mac(secret, timestamp, body);
    let ok = signatures.iter().any(|sig| hashed.clone().verify_slice(sig).is_ok());
    if ok {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "sandbox-webhook-secret";

    #[test]
    fn a_signed_body_verifies_and_anything_else_does_not() {
        let body = br#"{"id":"evt_1"}"#;
        let header = sign(SECRET, 1_000, body);
        assert_eq!(verify(SECRET, Some(&header), body, 1_100, 300), Ok(()));
        assert_eq!(verify(SECRET, Some(&header), br#"{"id":"evt_2"}"#, 1_100, 300), Err(SignatureError::Mismatch));
        assert_eq!(verify("another-secret-value", Some(&header), body, 1_100, 300), Err(SignatureError::Mismatch));
        assert_eq!(verify(SECRET, Some(&header), body, 1_301, 300), Err(SignatureError::Stale));
        assert_eq!(verify(SECRET, Some(&header), body, 699, 300), Err(SignatureError::Stale));
        assert_eq!(verify(SECRET, Some(&header), body, 1_300, 300), Ok(()), "exactly at the tolerance is still fresh");
        assert_eq!(verify(SECRET, Some(&header), body, 700, 300), Ok(()), "on both sides");
        assert_eq!(verify(SECRET, None, body, 1_000, 300), Err(SignatureError::Missing));
        assert_eq!(verify(SECRET, Some("t=1000"), body, 1_000, 300), Err(SignatureError::Malformed));
        assert_eq!(verify(SECRET, Some("v1=zz,t=1000"), body, 1_000, 300), Err(SignatureError::Malformed));
        assert_eq!(verify(SECRET, Some("garbage"), body, 1_000, 300), Err(SignatureError::Malformed));
    }

    #[test]
    fn a_rotated_secret_verifies_but_a_header_stuffed_with_signatures_is_refused_unread() {
        let body = br#"{"id":"evt_1"}"#;
        let good = sign(SECRET, 1_000, body);
        let v1 = good.split_once(",v1=").unwrap().1;
        let rotated = format!("t=1000,v1={},v1={v1}", "00".repeat(32));
        assert_eq!(verify(SECRET, Some(&rotated), body, 1_000, 300), Ok(()), "the second of two signatures matches");
        let stuffed = format!("t=1000{}", format!(",v1={v1}").repeat(MAX_SIGNATURES + 1));
        assert_eq!(verify(SECRET, Some(&stuffed), body, 1_000, 300), Err(SignatureError::Malformed));
        let long = format!("t=1000,v1={v1},x={}", "a".repeat(MAX_HEADER_BYTES));
        assert_eq!(verify(SECRET, Some(&long), body, 1_000, 300), Err(SignatureError::Malformed));
    }

    #[test]
    fn extreme_timestamps_are_stale_not_a_panic() {
        let body = b"{}";
        for t in [i64::MIN, i64::MAX] {
            let header = format!("t={t},v1=00");
            assert_eq!(verify(SECRET, Some(&header), body, 1_700_000_000, 300), Err(SignatureError::Stale));
        }
    }
}
