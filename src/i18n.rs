//! Translation lookup. Every user-visible string lives in `locales/<lang>.json`;
//! components ask for keys, never for text.
//!
//! The server compiles all twelve files in. The browser gets only the page's
//! language: the shell embeds its texts in the page ([`TEXTS_ID`]) and the
//! WASM reads them once before hydrating. Compiled into the WASM, the twelve
//! languages were a large share of what a phone downloads for every screen,
//! eleven of them never shown (see the README's "Before the WASM arrives").
//! Both sides read the same flattened form ([`Texts`]), so a key means the
//! same text on both.

use std::collections::HashMap;

use crate::domain::Lang;

/// The id of the `<script type="application/json">` carrying the page's texts.
pub const TEXTS_ID: &str = "inapp-texts";

/// Groups of keys only server-rendered pages use (the back-office, the
/// designers' gallery, Full SSO): never sent to the browser.
pub const SERVER_ONLY_GROUPS: [&str; 3] = ["backoffice", "gallery", "sso"];

/// One language's texts, keyed by dotted path (`deposit.state.Credited`).
#[derive(Debug, Default)]
pub struct Texts(HashMap<String, String>);

impl Texts {
    /// Flattens a locale file's nested objects; keys starting with `_`
    /// (the file's own metadata) are not texts.
    pub fn from_locale(json: &serde_json::Value) -> Texts {
        fn walk(value: &serde_json::Value, prefix: &str, out: &mut HashMap<String, String>) {
            let serde_json::Value::Object(map) = value else { return };
            for (k, v) in map.iter().filter(|(k, _)| !k.starts_with('_')) {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                match v {
                    serde_json::Value::String(s) => {
                        out.insert(key, s.clone());
                    }
                    _ => walk(v, &key, out),
                }
            }
        }
        let mut out = HashMap::new();
        walk(json, "", &mut out);
        Texts(out)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// The texts the browser needs, as the flat JSON object the page embeds
    /// (`<` escaped so no text can close the script element).
    pub fn for_browser(&self) -> String {
        let sent: std::collections::BTreeMap<&str, &str> = self
            .0
            .iter()
            .filter(|(k, _)| !SERVER_ONLY_GROUPS.iter().any(|g| k.strip_prefix(g).is_some_and(|rest| rest.starts_with('.'))))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        serde_json::to_string(&sent).unwrap_or_else(|_| "{}".into()).replace('<', "\\u003c")
    }
}

/// The text for `key` in `lang`, falling back to English, then to the key.
pub fn t(lang: Lang, key: &str) -> String {
    lookup(lang, key).unwrap_or(key).to_string()
}

/// Like [`t`], replacing `%{name}` placeholders with the given values.
pub fn t_with(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let mut text = t(lang, key);
    for (name, value) in args {
        text = text.replace(&format!("%{{{name}}}"), value);
    }
    text
}

#[cfg(feature = "ssr")]
pub use server::{browser_texts, texts};

#[cfg(feature = "ssr")]
fn lookup(lang: Lang, key: &str) -> Option<&'static str> {
    texts(lang).get(key).or_else(|| texts(Lang::En).get(key))
}

/// The browser has one language, the page's (`lang` is always it).
#[cfg(not(feature = "ssr"))]
fn lookup(_lang: Lang, key: &str) -> Option<&'static str> {
    browser::TEXTS.get()?.get(key)
}

#[cfg(feature = "ssr")]
mod server {
    use std::sync::LazyLock;

    use super::Texts;
    use crate::domain::Lang;

    /// A language's locale file, as compiled in.
    fn source(lang: Lang) -> &'static str {
        match lang {
            Lang::En => include_str!("../locales/en.json"),
            Lang::Es => include_str!("../locales/es.json"),
            Lang::De => include_str!("../locales/de.json"),
            Lang::Fr => include_str!("../locales/fr.json"),
            Lang::It => include_str!("../locales/it.json"),
            Lang::Pt => include_str!("../locales/pt.json"),
            Lang::Ru => include_str!("../locales/ru.json"),
            Lang::Zh => include_str!("../locales/zh.json"),
            Lang::Ja => include_str!("../locales/ja.json"),
            Lang::Ar => include_str!("../locales/ar.json"),
            Lang::Tr => include_str!("../locales/tr.json"),
            Lang::Pl => include_str!("../locales/pl.json"),
        }
    }

    struct Language {
        texts: Texts,
        browser: String,
    }

    static LANGUAGES: LazyLock<Vec<Language>> = LazyLock::new(|| {
        Lang::ALL
            .iter()
            .map(|lang| {
                // Checked by the unit tests for every file; a file that does
                // not parse would show keys, not crash a page.
                let texts = Texts::from_locale(&serde_json::from_str(source(*lang)).unwrap_or_default());
                let browser = texts.for_browser();
                Language { texts, browser }
            })
            .collect()
    });

    fn language(lang: Lang) -> &'static Language {
        let i = Lang::ALL.iter().position(|l| *l == lang).unwrap_or(0);
        &LANGUAGES[i]
    }

    pub fn texts(lang: Lang) -> &'static Texts {
        &language(lang).texts
    }

    /// What the page embeds for the browser ([`Texts::for_browser`]), made once.
    pub fn browser_texts(lang: Lang) -> &'static str {
        &language(lang).browser
    }
}

#[cfg(not(feature = "ssr"))]
pub mod browser {
    use std::sync::OnceLock;

    use super::Texts;

    pub(super) static TEXTS: OnceLock<Texts> = OnceLock::new();

    /// Reads the texts the server embedded in the page; called once, before
    /// hydration renders anything.
    #[cfg(feature = "hydrate")]
    pub fn install_from_page() {
        let text = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(super::TEXTS_ID)).and_then(|e| e.text_content());
        let json = text.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
        let _ = TEXTS.set(Texts::from_locale(&json));
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn locale_keys(lang: Lang) -> BTreeSet<&'static str> {
        texts(lang).keys().collect()
    }

    #[test]
    fn every_language_has_every_key() {
        let english = locale_keys(Lang::En);
        assert!(english.len() > 300, "the English file parsed: {}", english.len());
        for lang in Lang::ALL {
            let theirs = locale_keys(lang);
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
        assert_eq!(t(Lang::De, "no.such.key"), "no.such.key");
    }

    #[test]
    fn the_browser_gets_the_screens_texts_of_one_language_only() {
        let sent: std::collections::HashMap<String, String> = serde_json::from_str(browser_texts(Lang::De)).unwrap();
        assert_eq!(sent.get("app.close").map(String::as_str), Some(t(Lang::De, "app.close").as_str()));
        assert!(sent.contains_key("deposit.state.credited") && sent.contains_key("kyc.doc.identity"), "screens' groups are sent");
        assert!(sent.keys().all(|k| !k.starts_with("backoffice.") && !k.starts_with("sso.") && !k.starts_with("gallery.")));
        assert!(texts(Lang::De).keys().any(|k| k.starts_with("backoffice.")), "the server keeps them");
        let english: std::collections::BTreeMap<String, String> = serde_json::from_str(browser_texts(Lang::En)).unwrap();
        for lang in Lang::ALL {
            let sent: std::collections::BTreeMap<String, String> = serde_json::from_str(browser_texts(lang)).unwrap();
            assert!(sent.keys().eq(english.keys()), "{}: the same keys as English", lang.code());
            assert!(sent.iter().all(|(k, v)| *v == t(lang, k)), "{}: its own texts", lang.code());
        }
    }

    #[test]
    fn no_text_can_end_the_script_element_that_carries_it() {
        let texts = Texts::from_locale(&serde_json::json!({ "a": { "b": "x</script><script>alert(1)</script>" }, "sso": { "c": "kept" } }));
        let sent = texts.for_browser();
        assert!(!sent.contains('<'), "{sent}");
        let back: std::collections::HashMap<String, String> = serde_json::from_str(&sent).unwrap();
        assert_eq!(back.get("a.b").map(String::as_str), Some("x</script><script>alert(1)</script>"), "the same text once parsed");
        assert!(!back.contains_key("sso.c"));
    }

    #[test]
    fn each_file_is_its_own_language() {
        // A word every file translates differently, so a file compiled in
        // under the wrong language shows.
        let words: std::collections::HashSet<String> = Lang::ALL.iter().map(|l| t(*l, "app.close")).collect();
        assert_eq!(words.len(), Lang::ALL.len(), "{words:?}");
        assert_eq!(t(Lang::De, "app.close"), "Schließen");
        assert_eq!(t(Lang::Ru, "app.close"), "Закрыть");
    }
}
