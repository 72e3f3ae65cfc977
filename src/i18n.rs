//! Translation lookup. Every user-visible string lives in `locales/<lang>.json`
//! (rust-i18n compiles them in); components ask for keys, never for text.

use crate::domain::Lang;

/// The text for `key` in `lang`, falling back to English.
pub fn t(lang: Lang, key: &str) -> String {
    rust_i18n::t!(key, locale = lang.code()).into_owned()
}

/// Like [`t`], replacing `%{name}` placeholders with the given values.
pub fn t_with(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let mut text = t(lang, key);
    for (name, value) in args {
        text = text.replace(&format!("%{{{name}}}"), value);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn keys(value: &serde_json::Value, prefix: &str, out: &mut BTreeSet<String>) {
        if let serde_json::Value::Object(map) = value {
            for (k, v) in map {
                if k.starts_with('_') {
                    continue;
                }
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                match v {
                    serde_json::Value::Object(_) => keys(v, &key, out),
                    _ => {
                        out.insert(key);
                    }
                }
            }
        }
    }

    fn locale_keys(code: &str) -> BTreeSet<String> {
        let path = format!("{}/locales/{code}.json", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut out = BTreeSet::new();
        keys(&json, "", &mut out);
        out
    }

    #[test]
    fn every_language_has_every_key() {
        let english = locale_keys("en");
        assert!(english.len() > 20);
        for lang in Lang::ALL {
            let theirs = locale_keys(lang.code());
            let missing: Vec<_> = english.difference(&theirs).collect();
            let extra: Vec<_> = theirs.difference(&english).collect();
            assert!(missing.is_empty(), "{}: missing keys {missing:?}", lang.code());
            assert!(extra.is_empty(), "{}: keys not in English {extra:?}", lang.code());
        }
    }

    #[test]
    fn lookup_uses_the_language_and_falls_back() {
        assert_eq!(t(Lang::En, "app.close"), "Close");
        assert_ne!(t(Lang::Es, "app.close"), "Close");
        assert_eq!(t_with(Lang::En, "app.login", &[("login", "100001")]), "Account 100001");
    }
}
