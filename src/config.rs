//! Runtime configuration: `Leptos.toml` plus `INAPP_*` environment overrides,
//! turned into typed [`Settings`]. A bad or missing value stops start-up with an
//! error that names the key.

use std::net::SocketAddr;
use std::path::PathBuf;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    pub leptos: LeptosSection,
    pub server: ServerSection,
    pub storage: StorageSection,
    pub ctrader: CtraderSection,
    pub session: SessionSection,
    pub urls: UrlsSection,
    pub broker: BrokerSection,
    pub simulator: SimulatorSection,
    pub deposit: DepositSection,
    pub payments: PaymentsSection,
    pub kyc: KycSection,
    pub identity: IdentitySection,
    pub actions: ActionsSection,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LeptosSection {
    pub output_name: String,
    pub site_root: String,
    pub site_pkg_dir: String,
    pub site_addr: SocketAddr,
    pub reload_port: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Development,
    Production,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServerSection {
    pub mode: Mode,
    pub public_url: String,
    pub frame_ancestors: Vec<String>,
    pub max_body_bytes: usize,
    pub test_routes: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StorageSection {
    pub database_url: String,
    pub data_dir: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenContract {
    /// `GET /ctid2/inAppOneTimeToken/data` (the seed's contract).
    Get,
    /// `POST /ctid2/inAppToken/redeem` (Spotware's newer pages).
    Redeem,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct CtraderSection {
    pub base_url: String,
    pub manager_login: u64,
    pub manager_password: String,
    pub token_contract: TokenContract,
    pub timeout_ms: u64,
}

// The manager password must never reach a log line, even through `{:?}`.
impl std::fmt::Debug for CtraderSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CtraderSection")
            .field("base_url", &self.base_url)
            .field("manager_login", &self.manager_login)
            .field("manager_password", &"[redacted]")
            .field("token_contract", &self.token_contract)
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SameSite {
    Lax,
    None,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionSection {
    pub idle_minutes: u64,
    pub absolute_minutes: u64,
    pub cookie_name: String,
    pub same_site: SameSite,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UrlsSection {
    pub success: String,
    pub failure: String,
    pub close: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BrokerSection {
    /// The brand (names, logo, colours, font, footer): see `theme.toml`.
    pub theme_file: PathBuf,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimulatorSection {
    pub database_url: String,
    pub token_ttl_seconds: u64,
    /// The CRM API password the simulator, playing cTrader, sends to
    /// `/oauth2/crmApiToken` in Full SSO mode.
    pub crm_password: String,
}

/// Who identifies the trader on a screen link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityMode {
    /// cTrader issues the one-time token; the server resolves it with cTrader.
    CtraderToken,
    /// The broker is the identity provider: cTrader calls `/oauth2/*` and the
    /// server validates its own one-time tokens.
    FullSso,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdentitySection {
    pub mode: IdentityMode,
    /// argon2 hash of the password cTrader presents to `/oauth2/crmApiToken`
    /// (make one with `broker-inapp hash-password`).
    pub crm_password_hash: String,
    pub crm_token_ttl_hours: u64,
    pub access_token_ttl_days: u64,
    pub one_time_ttl_seconds: u64,
    /// Where the sign-in page sends the trader, with `?code=`, after a first login.
    pub app_redirect_url: String,
}

/// The broker's own actions (`/inapp/action?actionType=…`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActionsSection {
    /// Signs the identity assertion a hand-off action carries (HS256).
    pub handoff_secret: String,
    pub handoff_ttl_seconds: u64,
    pub types: std::collections::BTreeMap<String, ActionSettings>,
}

/// Text in several languages: `{ en = "…", de = "…" }`; English is required.
pub type Translated = std::collections::BTreeMap<String, String>;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActionSettings {
    /// `form` or `handoff`.
    pub kind: String,
    pub title: Translated,
    pub text: Translated,
    #[serde(default)]
    pub fields: Vec<ActionFieldSettings>,
    /// For `handoff`: where the trader goes, with the assertion posted along.
    #[serde(default)]
    pub url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActionFieldSettings {
    pub name: String,
    /// text, textarea, amount, choice, email, phone
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub required: bool,
    pub label: Translated,
    #[serde(default)]
    pub max_length: Option<usize>,
    #[serde(default)]
    pub max_amount: Option<String>,
    #[serde(default)]
    pub options: Vec<ActionOptionSettings>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActionOptionSettings {
    pub value: String,
    pub label: Translated,
}

/// The development hand-off secret; refused in production.
pub const DEV_HANDOFF_SECRET: &str = "development-handoff-secret-change-me-0123456789";

/// The development CRM password (`simulator.crm_password`'s default); refused in production.
pub const DEV_CRM_PASSWORD: &str = "simulator-crm-password";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DepositSection {
    pub methods: Vec<String>,
    pub currencies: std::collections::BTreeMap<String, CurrencySettings>,
}

/// What each `kycType` asks for, the upload limits, and how a decision maps
/// to the trader's `accessRights` in cTrader.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KycSection {
    pub default_type: String,
    pub min_age_years: u32,
    pub max_upload_bytes: u64,
    pub min_upload_bytes: u64,
    pub max_image_side: u32,
    /// Case state (`approved`, `rejected`, `more_info`, `submitted`) → cTrader
    /// `accessRights`; a state not listed changes nothing in cTrader.
    pub access_rights: std::collections::BTreeMap<String, String>,
    pub types: std::collections::BTreeMap<String, KycTypeSettings>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KycTypeSettings {
    /// Personal details asked for, in order (see `domain::kyc::DetailField`).
    pub details: Vec<String>,
    /// Documents asked for: `identity`, `address`, `additional`.
    pub documents: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CurrencySettings {
    pub digits: u32,
    pub min: rust_decimal::Decimal,
    pub max: rust_decimal::Decimal,
    pub presets: Vec<rust_decimal::Decimal>,
    pub fee_percent: rust_decimal::Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Sandbox,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct PaymentsSection {
    pub provider: Provider,
    pub api_key: String,
    pub webhook_secret: String,
    pub webhook_tolerance_seconds: u64,
    pub retry_base_ms: u64,
    pub retry_max_ms: u64,
    pub settle_ms: u64,
    pub worker: bool,
    pub sandbox_database_url: String,
    pub sandbox_async_delay_ms: u64,
    /// The sandbox takes no money: with a real cTrader configured it would
    /// credit real accounts for test cards, so that needs this explicit yes.
    pub sandbox_with_real_ctrader: bool,
    /// A deposit still waiting for the provider after this long is closed as
    /// expired (a late success still confirms it: the money was taken).
    pub pending_expiry_minutes: u64,
    /// From this attempt on, an unsettled credit is logged as an error for
    /// operators (it keeps being retried).
    pub alert_after_attempts: i64,
}

// Keys and secrets never reach a log line, even through `{:?}`.
impl std::fmt::Debug for PaymentsSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaymentsSection")
            .field("provider", &self.provider)
            .field("api_key", &"[redacted]")
            .field("webhook_secret", &"[redacted]")
            .field("webhook_tolerance_seconds", &self.webhook_tolerance_seconds)
            .finish()
    }
}

impl Settings {
    /// The deposit rule for `currency`, if deposits in it are configured.
    pub fn currency_rule(&self, currency: &str) -> Option<crate::domain::CurrencyRule> {
        let c = self.deposit.currencies.get(currency)?;
        Some(crate::domain::CurrencyRule {
            code: currency.to_string(),
            digits: c.digits,
            min: c.min,
            max: c.max,
            presets: c.presets.clone(),
            fee_percent: c.fee_percent,
        })
    }

    fn validate_kyc(&self) -> Result<(), ConfigError> {
        use crate::domain::kyc::{DetailField, DocumentType};
        let k = &self.kyc;
        if !k.types.contains_key(&k.default_type) {
            return Err(invalid("kyc.default_type", "must name one of the [kyc.types.*] tables"));
        }
        if k.min_upload_bytes == 0 || k.max_upload_bytes < k.min_upload_bytes || k.max_upload_bytes > 100 * 1024 * 1024 {
            return Err(invalid("kyc.max_upload_bytes", "need 0 < min_upload_bytes <= max_upload_bytes <= 100 MiB"));
        }
        if !(16..=20_000).contains(&k.max_image_side) {
            return Err(invalid("kyc.max_image_side", "must be between 16 and 20000 pixels"));
        }
        if !(16..=25).contains(&k.min_age_years) {
            return Err(invalid("kyc.min_age_years", "must be between 16 and 25"));
        }
        for (name, t) in &k.types {
            let bad = |problem: String| ConfigError::Parse(format!("configuration key `kyc.types.{name}`: {problem}"));
            if let Some(f) = t.details.iter().find(|f| DetailField::parse(f).is_none()) {
                return Err(bad(format!("unknown detail `{f}` (known: {})", DetailField::ALL.map(|f| f.as_str()).join(", "))));
            }
            if let Some(d) = t.documents.iter().find(|d| DocumentType::parse(d).is_none()) {
                return Err(bad(format!("unknown document `{d}` (known: identity, address, additional)")));
            }
            if t.details.is_empty() && t.documents.is_empty() {
                return Err(bad("asks for nothing".into()));
            }
        }
        for (state, rights) in &k.access_rights {
            if !matches!(state.as_str(), "submitted" | "more_info" | "approved" | "rejected") {
                return Err(ConfigError::Parse(format!("configuration key `kyc.access_rights.{state}`: not a decision state (submitted, more_info, approved, rejected)")));
            }
            if rights.is_empty() || !rights.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
                return Err(ConfigError::Parse(format!("configuration key `kyc.access_rights.{state}`: must be a cTrader access right such as FULL_ACCESS")));
            }
        }
        Ok(())
    }

    fn validate_deposits(&self) -> Result<(), ConfigError> {
        use rust_decimal::Decimal;
        if self.deposit.methods.is_empty() {
            return Err(invalid("deposit.methods", "list at least one payment method"));
        }
        for (code, c) in &self.deposit.currencies {
            let bad = |problem: String| ConfigError::Parse(format!("configuration key `deposit.currencies.{code}`: {problem}"));
            if code.len() != 3 || !code.chars().all(|ch| ch.is_ascii_uppercase()) {
                return Err(bad("the currency must be a 3-letter upper-case ISO code".into()));
            }
            if c.digits > 8 {
                return Err(bad("digits must be 0 to 8".into()));
            }
            if c.min <= Decimal::ZERO || c.max < c.min {
                return Err(bad("need 0 < min <= max".into()));
            }
            if c.fee_percent < Decimal::ZERO || c.fee_percent > Decimal::ONE_HUNDRED {
                return Err(bad("fee_percent must be 0 to 100".into()));
            }
            if let Some(p) = c.presets.iter().find(|p| **p < c.min || **p > c.max || p.normalize().scale() > c.digits) {
                return Err(bad(format!("preset {p} is outside min..max or has too many decimals")));
            }
        }
        if self.payments.webhook_secret.len() < 16 {
            return Err(invalid("payments.webhook_secret", "must be at least 16 characters"));
        }
        if self.payments.retry_base_ms == 0 || self.payments.retry_max_ms < self.payments.retry_base_ms {
            return Err(invalid("payments.retry_max_ms", "need 0 < retry_base_ms <= retry_max_ms"));
        }
        if self.server.mode == Mode::Production && self.payments.provider == Provider::Sandbox {
            return Err(invalid("payments.provider", "the sandbox provider takes no real money; it is refused in production"));
        }
        if self.payments.provider == Provider::Sandbox && !self.ctrader.base_url.is_empty() && !self.payments.sandbox_with_real_ctrader {
            return Err(invalid(
                "payments.sandbox_with_real_ctrader",
                "the sandbox provider would credit a real cTrader for test cards; configure a real provider, or set this to true for a test cTrader",
            ));
        }
        if self.payments.pending_expiry_minutes == 0 {
            return Err(invalid("payments.pending_expiry_minutes", "must be at least 1"));
        }
        Ok(())
    }
}

/// Why the configuration cannot be used. The message always names the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Parse(String),
    #[error("configuration key `{key}`: {problem}")]
    Invalid { key: String, problem: String },
}

fn invalid(key: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { key: key.to_string(), problem: problem.into() }
}

/// The variables cargo-leptos sets when it serves the app; they win over the file
/// so `cargo leptos serve` and the plain binary agree.
const CARGO_LEPTOS_VARS: [&str; 5] = [
    "LEPTOS_OUTPUT_NAME",
    "LEPTOS_SITE_ROOT",
    "LEPTOS_SITE_PKG_DIR",
    "LEPTOS_SITE_ADDR",
    "LEPTOS_RELOAD_PORT",
];

impl Settings {
    /// Loads `path` (usually `Leptos.toml`) and the environment.
    pub fn load(path: &str) -> Result<Settings, ConfigError> {
        Self::from_figment(
            Figment::new()
                .merge(Toml::file_exact(path))
                .merge(Env::raw().only(&CARGO_LEPTOS_VARS).map(|k| {
                    format!("leptos.{}", k.as_str().trim_start_matches("LEPTOS_").to_ascii_lowercase())
                        .into()
                }))
                .merge(Env::prefixed("INAPP_").split("__")),
        )
    }

    /// Builds settings from an already-assembled figment (tests start from
    /// [`Settings::defaults`] and override what they need).
    pub fn from_figment(figment: Figment) -> Result<Settings, ConfigError> {
        let settings: Settings = figment.extract().map_err(|e| {
            let mut msgs: Vec<String> = e.into_iter().map(|e| e.to_string()).collect();
            msgs.dedup();
            ConfigError::Parse(msgs.join("; "))
        })?;
        settings.validate()?;
        Ok(settings)
    }

    /// The built-in defaults, identical to the shipped `Leptos.toml`.
    pub fn defaults() -> Figment {
        Figment::new().merge(Toml::string(include_str!("../Leptos.toml")))
    }

    pub fn with(figment: Figment, key: &str, value: impl Serialize) -> Figment {
        figment.merge(Serialized::default(key, value))
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let public = url::Url::parse(&self.server.public_url)
            .map_err(|e| invalid("server.public_url", format!("not a URL: {e}")))?;
        if !matches!(public.scheme(), "http" | "https") {
            return Err(invalid("server.public_url", "must start with http:// or https://"));
        }
        if !self.ctrader.base_url.is_empty() {
            let u = url::Url::parse(&self.ctrader.base_url)
                .map_err(|e| invalid("ctrader.base_url", format!("not a URL: {e}")))?;
            if !matches!(u.scheme(), "http" | "https") {
                return Err(invalid("ctrader.base_url", "must start with http:// or https://"));
            }
        }
        if self.server.mode == Mode::Production {
            if self.ctrader.base_url.is_empty() {
                return Err(invalid(
                    "ctrader.base_url",
                    "production mode needs a real cTrader; set INAPP_CTRADER__BASE_URL (the simulator is for development)",
                ));
            }
            if self.ctrader.manager_password.is_empty() || self.ctrader.manager_password == "simulator" {
                return Err(invalid("ctrader.manager_password", "production mode needs the real manager password"));
            }
            if self.server.test_routes {
                return Err(invalid("server.test_routes", "must be false in production mode"));
            }
        }
        if self.ctrader.timeout_ms == 0 || self.ctrader.timeout_ms > 120_000 {
            return Err(invalid("ctrader.timeout_ms", "must be between 1 and 120000"));
        }
        if self.session.idle_minutes == 0 {
            return Err(invalid("session.idle_minutes", "must be at least 1"));
        }
        if self.session.absolute_minutes < self.session.idle_minutes {
            return Err(invalid("session.absolute_minutes", "must be at least session.idle_minutes"));
        }
        if self.session.cookie_name.is_empty()
            || !self.session.cookie_name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(invalid("session.cookie_name", "letters, digits, '_' and '-' only"));
        }
        if self.session.same_site == SameSite::None && !self.is_https() {
            return Err(invalid("session.same_site", "\"none\" needs an https server.public_url"));
        }
        for (key, value) in [("urls.success", &self.urls.success), ("urls.failure", &self.urls.failure), ("urls.close", &self.urls.close)] {
            if !(value.starts_with('/') || value.starts_with("https://") || value.starts_with("http://")) {
                return Err(invalid(key, "must be a path starting with / or an http(s) URL"));
            }
        }
        if !(self.storage.database_url.starts_with("sqlite:") || self.storage.database_url.starts_with("postgres")) {
            return Err(invalid("storage.database_url", "must start with sqlite: (postgres: is planned)"));
        }
        if self.server.max_body_bytes < 1024 {
            return Err(invalid("server.max_body_bytes", "must be at least 1024"));
        }
        if self.simulator.token_ttl_seconds == 0 {
            return Err(invalid("simulator.token_ttl_seconds", "must be at least 1"));
        }
        self.validate_deposits()?;
        self.validate_kyc()?;
        self.validate_identity()?;
        self.validate_actions()
    }

    fn validate_actions(&self) -> Result<(), ConfigError> {
        let a = &self.actions;
        if a.handoff_secret.len() < 32 {
            return Err(invalid("actions.handoff_secret", "must be at least 32 characters"));
        }
        if self.server.mode == Mode::Production && a.handoff_secret == DEV_HANDOFF_SECRET {
            return Err(invalid("actions.handoff_secret", "is the development secret; production needs its own"));
        }
        if !(10..=600).contains(&a.handoff_ttl_seconds) {
            return Err(invalid("actions.handoff_ttl_seconds", "must be between 10 and 600"));
        }
        let name_ok = |n: &str| !n.is_empty() && n.len() <= 40 && n.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        for (key, t) in &a.types {
            let at = |k: &str| format!("actions.types.{key}.{k}");
            if !name_ok(key) {
                return Err(invalid(&format!("actions.types.{key}"), "action names use a-z, 0-9 and _ only"));
            }
            for (what, text) in [("title", &t.title), ("text", &t.text)] {
                if text.get("en").is_none_or(|s| s.trim().is_empty()) {
                    return Err(invalid(&at(&format!("{what}.en")), "English is required (other languages fall back to it)"));
                }
            }
            match t.kind.as_str() {
                "form" => {
                    if t.fields.is_empty() {
                        return Err(invalid(&at("fields"), "a form needs at least one field"));
                    }
                    let mut seen = std::collections::BTreeSet::new();
                    for (i, f) in t.fields.iter().enumerate() {
                        let fk = |k: &str| at(&format!("fields[{i}].{k}"));
                        if !name_ok(&f.name) || !seen.insert(f.name.clone()) {
                            return Err(invalid(&fk("name"), "a unique name of a-z, 0-9 and _"));
                        }
                        let Some(kind) = crate::domain::action::FieldKind::parse(&f.kind) else {
                            return Err(invalid(&fk("type"), "one of text, textarea, amount, choice, email, phone"));
                        };
                        if f.label.get("en").is_none_or(|s| s.trim().is_empty()) {
                            return Err(invalid(&fk("label.en"), "English is required"));
                        }
                        if kind == crate::domain::action::FieldKind::Choice && f.options.is_empty() {
                            return Err(invalid(&fk("options"), "a choice needs options"));
                        }
                        if let Some(max) = &f.max_amount {
                            if max.parse::<rust_decimal::Decimal>().map_or(true, |d| d <= rust_decimal::Decimal::ZERO) {
                                return Err(invalid(&fk("max_amount"), "a positive decimal, for example \"50000.00\""));
                            }
                        }
                        if f.max_length == Some(0) {
                            return Err(invalid(&fk("max_length"), "must be at least 1"));
                        }
                        for (j, o) in f.options.iter().enumerate() {
                            if o.value.trim().is_empty() || o.label.get("en").is_none_or(|s| s.trim().is_empty()) {
                                return Err(invalid(&fk(&format!("options[{j}]")), "needs a value and an English label"));
                            }
                        }
                    }
                }
                "handoff" => {
                    let ok = url::Url::parse(&t.url).is_ok_and(|u| matches!(u.scheme(), "https" | "http"));
                    if !ok {
                        return Err(invalid(&at("url"), "a hand-off needs an http(s) URL"));
                    }
                    if self.server.mode == Mode::Production && !t.url.starts_with("https://") {
                        return Err(invalid(&at("url"), "must be https:// in production (it receives a signed identity)"));
                    }
                }
                _ => return Err(invalid(&at("kind"), "\"form\" or \"handoff\"")),
            }
        }
        Ok(())
    }

    fn validate_identity(&self) -> Result<(), ConfigError> {
        let id = &self.identity;
        if id.crm_token_ttl_hours > 8760 {
            return Err(invalid("identity.crm_token_ttl_hours", "must be at most 8760 (a year)"));
        }
        if id.access_token_ttl_days > 3650 {
            return Err(invalid("identity.access_token_ttl_days", "must be at most 3650"));
        }
        if id.crm_token_ttl_hours < 168 {
            return Err(invalid("identity.crm_token_ttl_hours", "must be at least 168 (cTrader keeps the CRM API token for a week)"));
        }
        if id.access_token_ttl_days == 0 {
            return Err(invalid("identity.access_token_ttl_days", "must be at least 1"));
        }
        if !(1..=60).contains(&id.one_time_ttl_seconds) {
            return Err(invalid("identity.one_time_ttl_seconds", "must be between 1 and 60"));
        }
        if id.mode == IdentityMode::FullSso {
            if argon2::PasswordHash::new(&id.crm_password_hash).is_err() {
                return Err(invalid("identity.crm_password_hash", "must be an argon2 hash (make one with `broker-inapp hash-password`)"));
            }
            if self.server.mode == Mode::Production && crate::security::password::verify_password(DEV_CRM_PASSWORD, Some(&id.crm_password_hash)) {
                return Err(invalid("identity.crm_password_hash", "is the development password's hash; production needs its own"));
            }
            if id.app_redirect_url.trim().is_empty() {
                return Err(invalid("identity.app_redirect_url", "must not be empty in full_sso mode"));
            }
        }
        Ok(())
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
    fn bad_value_names_the_key() {
        let f = Settings::with(Settings::defaults(), "ctrader.timeout_ms", "soon");
        let err = Settings::from_figment(f).unwrap_err().to_string();
        assert!(err.contains("timeout_ms"), "{err}");
    }

    #[test]
    fn production_without_ctrader_is_refused() {
        let f = Settings::with(Settings::defaults(), "server.mode", "production");
        let err = Settings::from_figment(f).unwrap_err().to_string();
        assert!(err.contains("ctrader.base_url"), "{err}");
    }

    #[test]
    fn production_refuses_the_sandbox_provider() {
        let f = Settings::defaults();
        let f = Settings::with(f, "server.mode", "production");
        let f = Settings::with(f, "ctrader.base_url", "https://ctrader.example");
        let f = Settings::with(f, "ctrader.manager_password", "real-secret");
        let err = Settings::from_figment(f).unwrap_err().to_string();
        assert!(err.contains("payments.provider"), "{err}");
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
        // Production refuses the development password's hash (checked on its own:
        // production also refuses the sandbox provider first).
        let mut prod = Settings::from_figment(sso).unwrap();
        prod.server.mode = Mode::Production;
        let err = prod.validate_identity().unwrap_err().to_string();
        assert!(err.contains("identity.crm_password_hash") && err.contains("development"), "{err}");
        prod.identity.crm_password_hash = crate::security::password::hash_password("a real production password");
        assert!(prod.validate_identity().is_ok());
        prod.actions.handoff_secret = DEV_HANDOFF_SECRET.into();
        assert!(prod.validate_actions().unwrap_err().to_string().contains("actions.handoff_secret"));
    }

    #[test]
    fn action_settings_are_checked_by_name() {
        let f = Settings::with(Settings::defaults(), "actions.types.withdraw.fields", serde_json::json!([{ "name": "amount", "type": "money", "label": { "en": "Amount" } }]));
        let err = error_of(f);
        assert!(err.contains("actions.types.withdraw.fields[0].type"), "{err}");
        let f = Settings::with(Settings::defaults(), "actions.types.portal", serde_json::json!({ "kind": "handoff", "url": "javascript:alert(1)", "title": { "en": "Portal" }, "text": { "en": "Go" } }));
        assert!(error_of(f).contains("actions.types.portal.url"));
        let f = Settings::with(Settings::defaults(), "actions.types.quiz", serde_json::json!({ "kind": "form", "title": { "de": "Quiz" }, "text": { "en": "?" }, "fields": [] }));
        assert!(error_of(f).contains("actions.types.quiz.title.en"));
        let f = Settings::with(Settings::defaults(), "actions.handoff_secret", "short");
        assert!(error_of(f).contains("actions.handoff_secret"));
    }

    #[test]
    fn a_real_ctrader_is_a_configuration_change_and_secrets_stay_out_of_debug() {
        let f = Settings::with(Settings::defaults(), "ctrader.base_url", "https://ctrader.example");
        let f = Settings::with(f, "ctrader.manager_password", "real-secret");
        let f = Settings::with(f, "payments.sandbox_with_real_ctrader", true);
        let s = Settings::from_figment(f).unwrap();
        assert!(!s.uses_simulator());
        assert!(!format!("{:?}", s).contains("real-secret"));
        assert!(!format!("{:?}", s).contains("sandbox-webhook-secret"));
    }

    #[test]
    fn currency_limits_are_checked() {
        let f = Settings::with(Settings::defaults(), "deposit.currencies.USD.min", "0");
        let err = Settings::from_figment(f).unwrap_err().to_string();
        assert!(err.contains("deposit.currencies.USD"), "{err}");
    }
}
