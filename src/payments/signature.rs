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

/// Checks a header value against the body, in constant time.
pub fn verify(secret: &str, header: Option<&str>, body: &[u8], now_s: i64, tolerance_s: i64) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
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
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if now_s.abs_diff(timestamp) > tolerance_s.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    let ok = signatures.iter().any(|sig| mac(secret, timestamp, body).verify_slice(sig).is_ok());
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
        assert_eq!(verify(SECRET, None, body, 1_000, 300), Err(SignatureError::Missing));
        assert_eq!(verify(SECRET, Some("t=1000"), body, 1_000, 300), Err(SignatureError::Malformed));
        assert_eq!(verify(SECRET, Some("v1=zz,t=1000"), body, 1_000, 300), Err(SignatureError::Malformed));
        assert_eq!(verify(SECRET, Some("garbage"), body, 1_000, 300), Err(SignatureError::Malformed));
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
