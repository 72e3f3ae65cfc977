use axum::http::{header, HeaderMap, HeaderValue};
use base64::Engine;
use cookie::{Cookie, SameSite};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::config::{SameSite as SameSiteSetting, Settings};

/// A new session id: 256 random bits, URL-safe.
pub fn new_session_id() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database stores instead of the id (and of one-time tokens).
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A browser sends one value, or two when a parent domain set one too; each
/// is a database lookup, so a request stuffed with more gets only these tried.
const MAX_SESSION_IDS: usize = 4;

/// Every value of our cookie the browser sent (there can be several when a
/// parent domain set one too); each is tried in turn.
pub fn session_ids(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| Cookie::split_parse(v.to_string()).filter_map(Result::ok).collect::<Vec<_>>())
        .filter(|c| c.name() == name && !c.value().is_empty() && c.value().len() <= 128)
        .map(|c| c.value().to_string())
        .take(MAX_SESSION_IDS)
        .collect()
}

pub fn set_cookie(settings: &Settings, id: &str) -> HeaderValue {
    set_named(settings, &settings.session.cookie_name, id, cookie::time::Duration::minutes(settings.session.absolute_minutes as i64))
}

/// A cookie of ours: script cannot read it, https only when served so, the
/// configured SameSite (the embedded browser may need `None`).
pub fn set_named(settings: &Settings, name: &str, value: &str, max_age: cookie::time::Duration) -> HeaderValue {
    let same_site = match settings.session.same_site {
        SameSiteSetting::Lax => SameSite::Lax,
        SameSiteSetting::None => SameSite::None,
    };
    let c = Cookie::build((name.to_string(), value.to_string()))
        .http_only(true)
        .secure(settings.is_https())
        .same_site(same_site)
        .path("/")
        .max_age(max_age)
        .build();
    HeaderValue::from_str(&c.to_string()).expect("cookie of base64url characters is a valid header")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_cookie_with_a_plausible_value_is_tried_and_only_a_few_of_them() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, "other=abc; inapp_session=; inapp_session=first".parse().unwrap());
        h.append(header::COOKIE, format!("inapp_session={}", "x".repeat(129)).parse().unwrap());
        h.append(header::COOKIE, format!("inapp_session={}", "y".repeat(128)).parse().unwrap());
        assert_eq!(session_ids(&h, "inapp_session"), ["first".to_string(), "y".repeat(128)]);
        assert!(session_ids(&h, "missing").is_empty());
        let stuffed: String = (0..50).map(|i| format!("inapp_session=id{i}; ")).collect();
        h.append(header::COOKIE, stuffed.parse().unwrap());
        assert_eq!(session_ids(&h, "inapp_session").len(), MAX_SESSION_IDS);
    }
}
