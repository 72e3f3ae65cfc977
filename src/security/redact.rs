//! Keeps secrets out of logs: query parameters that carry tokens or passwords
//! are replaced by `[redacted]` before a URL is written anywhere.

use crate::domain::decode_query_component;

fn is_secret(key: &str) -> bool {
    let k = decode_query_component(key).to_ascii_lowercase().replace(['_', '-'], "");
    k.contains("token") || k.contains("password") || k == "code" || k.contains("secret")
}

/// The query string with secret values replaced; everything else kept.
pub fn query(raw: Option<&str>) -> String {
    let Some(raw) = raw else { return String::new() };
    raw.split('&')
        .map(|pair| {
            let (k, _) = pair.split_once('=').unwrap_or((pair, ""));
            if is_secret(k) {
                format!("{k}=[redacted]")
            } else {
                pair.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    #[test]
    fn hides_tokens_and_keeps_the_rest() {
        assert_eq!(
            super::query(Some("token=abc&lang=es&inAppOneTimeToken=x&%74oken=y&hashed_password=z")),
            "token=[redacted]&lang=es&inAppOneTimeToken=[redacted]&%74oken=[redacted]&hashed_password=[redacted]"
        );
        assert_eq!(super::query(None), "");
    }
}
