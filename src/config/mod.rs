//! Runtime configuration: `Leptos.toml` plus `INAPP_*` environment overrides,
//! turned into typed [`Settings`]. A bad or missing value stops start-up with an
//! error that names the key.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::Serialize;

mod names;
mod production;
mod secret_files;
mod settings;
mod validate;

pub use production::Refusal;
pub use settings::*;

/// Why the configuration cannot be used. The message always names the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Parse(String),
    #[error("configuration key `{key}`: {problem}")]
    Invalid { key: String, problem: String },
    /// Everything production refuses, at once (see `production`).
    #[error("configuration refused for a real deployment ({} problems; `broker-inapp check-config` lists them):\n{}", .0.len(), .0.iter().map(|r| format!("  key {r}")).collect::<Vec<_>>().join("\n"))]
    Production(Vec<Refusal>),
}

/// One figment error as the checks in `validate` word theirs: the key as
/// written in `Leptos.toml` (`actions.types.x.fields[0].type`), then what is wrong.
fn describe(e: &figment::Error) -> String {
    let mut key = String::new();
    for part in &e.path {
        if part.parse::<usize>().is_ok() {
            key.push_str(&format!("[{part}]"));
        } else {
            if !key.is_empty() {
                key.push('.');
            }
            key.push_str(part);
        }
    }
    if key.is_empty() {
        // Not about one key (a missing file): figment's own words name the file.
        e.to_string()
    } else {
        format!("key `{key}`: {}", e.kind)
    }
}

/// The variables cargo-leptos sets when it serves the app; they win over the file
/// so `cargo leptos serve` and the plain binary agree.
const CARGO_LEPTOS_VARS: [&str; 5] = ["LEPTOS_OUTPUT_NAME", "LEPTOS_SITE_ROOT", "LEPTOS_SITE_PKG_DIR", "LEPTOS_SITE_ADDR", "LEPTOS_RELOAD_PORT"];

/// `INAPP_DEPOSIT__CURRENCIES__EUR__MIN` → `deposit.currencies.EUR.min`: lower
/// case, except the map keys that are currency codes, which are written in
/// capitals in `Leptos.toml` too (an environment variable has only one case).
pub(super) fn env_key(raw: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    for part in raw.split("__") {
        let after_map = out.last().is_some_and(|p| p == "currencies" || p == "accounts");
        out.push(if after_map { part.to_ascii_uppercase() } else { part.to_ascii_lowercase() });
    }
    out.join(".")
}

impl Settings {
    /// Loads `path` (usually `Leptos.toml`) and the environment, refusing
    /// what production refuses where that applies.
    pub fn load(path: &str) -> Result<Settings, ConfigError> {
        Self::from_figment(Self::sources(path)?)
    }

    /// Loads like [`Settings::load`] without the production refusals, for
    /// `check-config` to list them.
    pub fn load_for_check(path: &str) -> Result<Settings, ConfigError> {
        Self::checked(Self::sources(path)?)
    }

    /// The file, cargo-leptos's variables, `INAPP_*` variables, then secrets
    /// named by `INAPP_*_FILE` variables.
    fn sources(path: &str) -> Result<Figment, ConfigError> {
        let figment = Figment::new()
            .merge(Toml::file_exact(path))
            .merge(Env::raw().only(&CARGO_LEPTOS_VARS).map(|k| format!("leptos.{}", k.as_str().trim_start_matches("LEPTOS_").to_ascii_lowercase()).into()))
            // `lowercase(false)` last: each `map`/`filter` turns lowercasing back on.
            .merge(Env::prefixed("INAPP_").map(|k| env_key(k.as_str()).into()).filter(|k| !secret_files::is_secret_variable(k.as_str())).lowercase(false));
        // A variable that is not UTF-8 is not ours (ours are all text): skipped, not a panic.
        let vars = std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
        secret_files::merge(figment, vars)
    }

    /// Builds settings from an already-assembled figment (tests start from
    /// [`Settings::defaults`] and override what they need).
    pub fn from_figment(figment: Figment) -> Result<Settings, ConfigError> {
        let settings = Self::checked(figment)?;
        if settings.enforces_production_rules() {
            let refusals = settings.production_refusals();
            if !refusals.is_empty() {
                return Err(ConfigError::Production(refusals));
            }
        }
        Ok(settings)
    }

    fn checked(figment: Figment) -> Result<Settings, ConfigError> {
        let settings: Settings = figment.extract().map_err(|e| {
            let mut msgs: Vec<String> = e.into_iter().map(|e| describe(&e)).collect();
            msgs.dedup();
            ConfigError::Parse(msgs.join("; "))
        })?;
        settings.validate()?;
        Ok(settings)
    }

    /// The built-in defaults, identical to the shipped `Leptos.toml`.
    pub fn defaults() -> Figment {
        Figment::new().merge(Toml::string(include_str!("../../Leptos.toml")))
    }

    pub fn with(figment: Figment, key: &str, value: impl Serialize) -> Figment {
        figment.merge(Serialized::default(key, value))
    }

    pub fn is_https(&self) -> bool {
        self.server.public_url.starts_with("https://")
    }

    /// True when no cTrader is configured and the built-in simulator stands in.
    pub fn uses_simulator(&self) -> bool {
        self.ctrader.base_url.is_empty()
    }

    pub fn leptos_options(&self) -> leptos::config::LeptosOptions {
        leptos::config::LeptosOptions::builder()
            .output_name(self.leptos.output_name.as_str())
            .site_root(self.leptos.site_root.as_str())
            .site_pkg_dir(self.leptos.site_pkg_dir.as_str())
            .site_addr(self.leptos.site_addr)
            .reload_port(self.leptos.reload_port)
            .env(match self.server.mode {
                Mode::Development => leptos::config::Env::DEV,
                Mode::Production => leptos::config::Env::PROD,
            })
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_file_is_valid() {
        Settings::from_figment(Settings::defaults()).expect("Leptos.toml must load");
    }

    #[test]
    fn no_secret_reaches_the_settings_debug_output() {
        let secrets = [
            ("ctrader.manager_password", "manager-secret-one"),
            ("simulator.crm_password", "crm-secret-two"),
            ("payments.api_key", "api-key-secret-three"),
            ("payments.webhook_secret", "webhook-secret-four"),
            ("actions.handoff_secret", "handoff-secret-five-0123456789abcdef"),
            ("storage.database_url", "postgres://inapp:db-password-six@db.internal/inapp"),
        ];
        let f = secrets.iter().fold(Settings::defaults(), |f, (key, value)| Settings::with(f, key, value));
        let settings = Settings::from_figment(f).expect("valid");
        assert_eq!(secrecy::ExposeSecret::expose_secret(&settings.payments.api_key), "api-key-secret-three", "the value is there");
        let printed = format!("{settings:?} {settings:#?}");
        for (key, value) in secrets {
            assert!(!printed.contains(value), "{key} printed by Debug");
        }
        assert!(!printed.contains("db-password-six"), "the database password printed by Debug");
        assert!(printed.contains("postgres://inapp:REDACTED@db.internal/inapp"), "the rest of the URL stays readable");
        assert_eq!(
            super::settings::without_password("postgres://db.internal/inapp?user=inapp&password=pw7&sslmode=require&password=pw8&mypassword=x"),
            "postgres://db.internal/inapp?user=inapp&password=REDACTED&sslmode=require&password=REDACTED&mypassword=x"
        );
        let hash = secrecy::ExposeSecret::expose_secret(&settings.identity.crm_password_hash).to_string();
        assert!(!printed.contains(&hash), "the CRM password hash printed by Debug");
        assert!(printed.contains("REDACTED"));
    }

    #[test]
    fn environment_keys_keep_currency_codes_in_capitals() {
        assert_eq!(env_key("DEPOSIT__CURRENCIES__EUR__MIN"), "deposit.currencies.EUR.min");
        assert_eq!(env_key("PAYMENTS__BANK_TRANSFER__ACCOUNTS__usd__IBAN"), "payments.bank_transfer.accounts.USD.iban");
        assert_eq!(env_key("SERVER__PUBLIC_URL"), "server.public_url");
    }

    #[test]
    fn bad_value_names_the_key() {
        let f = Settings::with(Settings::defaults(), "ctrader.timeout_ms", "soon");
        let err = Settings::from_figment(f).unwrap_err().to_string();
        assert!(err.contains("timeout_ms"), "{err}");
    }

    #[test]
    fn an_audit_sooner_than_the_settle_time_is_refused() {
        let f = Settings::with(Settings::defaults(), "payments.audit_after_ms", 1000);
        let err = Settings::from_figment(f).unwrap_err().to_string();
        assert!(err.contains("payments.audit_after_ms"), "{err}");
    }

    #[test]
    fn production_without_ctrader_is_refused() {
        let f = Settings::with(Settings::defaults(), "server.mode", "production");
        let err = Settings::from_figment(f).unwrap_err().to_string();
        assert!(err.contains("ctrader.base_url"), "{err}");
    }

    fn error_of(f: Figment) -> String {
        Settings::from_figment(f).unwrap_err().to_string()
    }

    #[test]
    fn full_sso_settings_are_checked_by_name() {
        let sso = Settings::with(Settings::defaults(), "identity.mode", "full_sso");
        assert!(Settings::from_figment(sso.clone()).is_ok(), "the shipped development hash works");
        let err = error_of(Settings::with(sso.clone(), "identity.crm_password_hash", "plain-text-password"));
        assert!(err.contains("identity.crm_password_hash") && err.contains("argon2"), "{err}");
        let err = error_of(Settings::with(sso.clone(), "identity.crm_token_ttl_hours", 24));
        assert!(err.contains("identity.crm_token_ttl_hours"), "{err}");
        let err = error_of(Settings::with(sso.clone(), "identity.one_time_ttl_seconds", 600));
        assert!(err.contains("identity.one_time_ttl_seconds"), "{err}");
    }

    #[test]
    fn action_settings_are_checked_by_name() {
        let f = Settings::with(
            Settings::defaults(),
            "actions.types.transfer.fields",
            serde_json::json!([{ "name": "amount", "type": "money", "label": { "en": "Amount" } }]),
        );
        let err = error_of(f);
        assert!(err.contains("actions.types.transfer.fields[0].type"), "{err}");
        let f = Settings::with(
            Settings::defaults(),
            "actions.types.portal",
            serde_json::json!({ "kind": "handoff", "url": "javascript:alert(1)", "title": { "en": "Portal" }, "text": { "en": "Go" } }),
        );
        assert!(error_of(f).contains("actions.types.portal.url"));
        let f = Settings::with(
            Settings::defaults(),
            "actions.types.quiz",
            serde_json::json!({ "kind": "form", "title": { "de": "Quiz" }, "text": { "en": "?" }, "fields": [] }),
        );
        assert!(error_of(f).contains("actions.types.quiz.title.en"));
        let f = Settings::with(Settings::defaults(), "actions.handoff_secret", "short");
        assert!(error_of(f).contains("actions.handoff_secret"));
    }

    #[test]
    fn a_real_ctrader_is_a_configuration_change_and_secrets_stay_out_of_debug() {
        let f = Settings::with(Settings::defaults(), "ctrader.base_url", "https://ctrader.example");
        let f = Settings::with(f, "ctrader.manager_password", "real-secret");
        let f = Settings::with(f, "server.staging", true);
        let s = Settings::from_figment(f).unwrap();
        assert!(!s.uses_simulator());
        assert!(!format!("{:?}", s).contains("real-secret"));
        assert!(!format!("{:?}", s).contains("sandbox-webhook-secret"));
    }

    #[test]
    fn payment_methods_are_checked_by_name() {
        let methods = |v: serde_json::Value| error_of(Settings::with(Settings::defaults(), "deposit.methods", v));
        let err = methods(serde_json::json!([{ "name": "card", "kind": "paypal" }]));
        assert!(err.contains("deposit.methods[0].kind"), "{err}");
        let err = methods(serde_json::json!([{ "name": "card", "kind": "sandbox" }, { "name": "card", "kind": "bank_transfer" }]));
        assert!(err.contains("deposit.methods[1].name"), "{err}");
        let err = methods(serde_json::json!([{ "name": "wire", "kind": "bank_transfer", "currencies": { "GBP": {} } }]));
        assert!(err.contains("deposit.methods[0].currencies.GBP"), "{err}");
        let err = methods(serde_json::json!([{ "name": "wire", "kind": "bank_transfer", "currencies": { "EUR": { "min": "60000" } } }]));
        assert!(err.contains("deposit.methods[0].currencies.EUR") && err.contains("min <= max"), "{err}");
        // Bank transfers in JPY need a JPY receiving account.
        let err = methods(serde_json::json!([{ "name": "wire", "kind": "bank_transfer" }]));
        assert!(err.contains("payments.bank_transfer.accounts.JPY"), "{err}");
        let err = error_of(Settings::with(Settings::defaults(), "payments.bank_transfer.accounts.EUR.iban", "DE89 3704 0044 0532 0130 01"));
        assert!(err.contains("payments.bank_transfer.accounts.EUR.iban") && err.contains("check digits"), "{err}");
    }

    #[test]
    fn each_currency_lists_the_methods_it_allows_with_their_own_limits() {
        let s = Settings::from_figment(Settings::defaults()).unwrap();
        let eur: Vec<_> = s.methods_for(&"EUR".parse().unwrap());
        assert_eq!(eur.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["card", "bank_transfer"]);
        assert_eq!(eur[1].rule.min, rust_decimal::Decimal::new(10000, 2));
        assert!(eur[1].rule.presets.iter().all(|p| *p >= eur[1].rule.min), "presets below the method's minimum are dropped");
        let jpy = s.methods_for(&"JPY".parse().unwrap());
        assert_eq!(jpy.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["card"]);
    }

    #[test]
    fn currency_limits_are_checked() {
        let f = Settings::with(Settings::defaults(), "deposit.currencies.USD.min", "0");
        let err = Settings::from_figment(f).unwrap_err().to_string();
        assert!(err.contains("deposit.currencies.USD"), "{err}");
    }

    #[test]
    fn a_currency_that_is_not_an_iso_code_is_refused_by_its_key() {
        let f = Settings::with(Settings::defaults(), "deposit.currencies.usd.min", "10");
        let err = Settings::from_figment(f).unwrap_err().to_string();
        assert!(err.contains("three capital letters"), "{err}");
        assert!(err.contains("deposit.currencies"), "{err}");
    }
}
