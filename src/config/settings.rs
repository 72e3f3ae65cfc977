//! The application's settings, section by section, as `Leptos.toml` and
//! `INAPP_*` spell them. Pure data: loading and checking live in `mod.rs`
//! and `validate.rs`. Leptos' own site settings are the `[leptos]` section
//! (`LeptosSection`), the only place they are read.

use std::net::SocketAddr;
use std::path::PathBuf;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::names;
use crate::domain::Currency;

#[derive(Debug, Clone, Deserialize)]
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
    pub chat: ChatSection,
    pub withdrawals: WithdrawalsSection,
    pub limits: LimitsSection,
    pub notify: NotifySection,
}

#[derive(Debug, Clone, Deserialize)]
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

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSection {
    pub mode: Mode,
    pub public_url: String,
    pub frame_ancestors: Vec<String>,
    pub max_body_bytes: usize,
    pub test_routes: bool,
    /// A real cTrader that is a test one: in development mode, lets the
    /// production refusals (sandbox methods, shipped secrets) be set aside,
    /// with a warning in the log at every start. Ignored in production mode.
    pub staging: bool,
    /// The reverse proxies and load balancers in front of this server: a
    /// request from one of them is taken to come from the address it
    /// appends to `X-Forwarded-For`; from anyone else the header is ignored.
    #[serde(default)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// A connection must send a request's head within this (slow-header clients are cut off).
    pub header_read_timeout_ms: u64,
    /// A client that has not taken what it is sent for this long is cut off.
    pub write_timeout_ms: u64,
    /// A request body must arrive within this (a 10 MiB upload on a slow phone link takes about two minutes).
    pub body_timeout_ms: u64,
    /// Connections served at once; more wait in the kernel's backlog.
    pub max_connections: usize,
    /// Connections from one client address (a trusted proxy's are not counted).
    pub max_connections_per_client: usize,
    /// After a shutdown signal: how long `/readyz` fails while requests are still served.
    pub drain_ms: u64,
    /// Where `/metrics` (and the probes) are served, apart from the public
    /// port; empty: nowhere.
    pub admin_addr: String,
    /// `text` for people, `json` (one object per line) for a log pipeline.
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Deserialize)]
pub struct StorageSection {
    /// May hold the database password: never printed whole (see `Debug`).
    pub database_url: String,
    pub data_dir: PathBuf,
    /// Below this much free space where uploads are stored, uploads are
    /// refused (503) so the database's own disk never fills up.
    pub min_free_bytes: u64,
    /// Where KYC documents and chat attachments are kept.
    pub objects: ObjectsSection,
}

impl std::fmt::Debug for StorageSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StorageSection")
            .field("database_url", &without_password(&self.database_url))
            .field("data_dir", &self.data_dir)
            .field("min_free_bytes", &self.min_free_bytes)
            .field("objects", &self.objects)
            .finish()
    }
}

/// A database URL with its password (`user:password@`, `password=`) replaced.
pub fn without_password(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme_end) = out.find("://") {
        let rest = &out[scheme_end + 3..];
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        if let Some(at) = rest[..authority_end].rfind('@') {
            if let Some(colon) = rest[..at].find(':') {
                out.replace_range(scheme_end + 3 + colon + 1..scheme_end + 3 + at, "REDACTED");
            }
        }
    }
    // Every `password=` parameter of the query (the driver takes the last).
    if let Some(q) = out.find('?') {
        let query: Vec<String> = out[q + 1..]
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=REDACTED"),
                _ => pair.to_string(),
            })
            .collect();
        out.replace_range(q + 1.., &query.join("&"));
    }
    out
}

/// `storage.objects.backend`: the local disk or an S3-compatible bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectBackend {
    /// Files under `storage.data_dir/documents` (one instance).
    Local,
    /// An S3 bucket (AWS or compatible), shared by several instances.
    S3,
}

/// The object store of uploaded files (`[storage.objects]`); `kyc::files` builds it.
#[derive(Debug, Clone, Deserialize)]
pub struct ObjectsSection {
    pub backend: ObjectBackend,
    /// An S3-compatible service's URL; empty = AWS itself.
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    /// Lets `endpoint` be `http://` (a test server); refused in production.
    pub allow_http: bool,
    /// Keys start with this inside the bucket (several deployments, or test
    /// runs, can share one); empty = none.
    pub prefix: String,
    /// An object no document or attachment refers to is deleted once it is
    /// this old (what a crash between storing a file and recording it leaves).
    pub orphan_grace_minutes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenContract {
    /// `GET /ctid2/inAppOneTimeToken/data` (cTrader's original InApp contract).
    Get,
    /// `POST /ctid2/inAppToken/redeem` (Spotware's newer pages).
    Redeem,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CtraderSection {
    pub base_url: String,
    pub manager_login: u64,
    pub manager_password: SecretString,
    pub token_contract: TokenContract,
    pub timeout_ms: u64,
    /// A trader's balance shown on a screen is at most this old (0: read on
    /// every render); this instance's own balance changes show at once.
    pub shown_fresh_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SameSite {
    Lax,
    None,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SessionSection {
    pub idle_minutes: u64,
    pub absolute_minutes: u64,
    pub cookie_name: String,
    pub same_site: SameSite,
}

#[derive(Debug, Clone, Deserialize)]
pub struct UrlsSection {
    pub success: String,
    pub failure: String,
    pub close: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BrokerSection {
    /// The brand (names, logo, colours, font, footer): see `theme.toml`.
    pub theme_file: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SimulatorSection {
    pub database_url: String,
    pub token_ttl_seconds: u64,
    /// The CRM API password the simulator, playing cTrader, sends to
    /// `/oauth2/crmApiToken` in Full SSO mode.
    pub crm_password: SecretString,
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

#[derive(Debug, Clone, Deserialize)]
pub struct IdentitySection {
    pub mode: IdentityMode,
    /// argon2 hash of the password cTrader presents to `/oauth2/crmApiToken`
    /// (make one with `broker-inapp hash-password`).
    pub crm_password_hash: SecretString,
    pub crm_token_ttl_hours: u64,
    pub access_token_ttl_days: u64,
    pub one_time_ttl_seconds: u64,
    /// Where the sign-in page sends the trader, with `?code=`, after a first login.
    pub app_redirect_url: String,
}

/// The broker's own actions (`/inapp/action?actionType=…`).
#[derive(Debug, Clone, Deserialize)]
pub struct ActionsSection {
    /// Signs the identity assertion a hand-off action carries (HS256).
    pub handoff_secret: SecretString,
    pub handoff_ttl_seconds: u64,
    pub types: std::collections::BTreeMap<String, ActionSettings>,
}

/// Text in several languages: `{ en = "…", de = "…" }`; English is required.
pub type Translated = std::collections::BTreeMap<String, String>;

#[derive(Debug, Clone, Deserialize)]
pub struct ActionSettings {
    /// `form` or `handoff`.
    #[serde(deserialize_with = "names::one")]
    pub kind: crate::domain::action::ActionKind,
    pub title: Translated,
    pub text: Translated,
    #[serde(default)]
    pub fields: Vec<ActionFieldSettings>,
    /// For `handoff`: where the trader goes, with the assertion posted along.
    #[serde(default)]
    pub url: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ActionFieldSettings {
    pub name: String,
    /// text, textarea, amount, choice, email, phone
    #[serde(rename = "type", deserialize_with = "names::one")]
    pub kind: crate::domain::action::FieldKind,
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

#[derive(Debug, Clone, Deserialize)]
pub struct ActionOptionSettings {
    pub value: String,
    pub label: Translated,
}

/// The development hand-off secret; refused in production.
pub const DEV_HANDOFF_SECRET: &str = "development-handoff-secret-change-me-0123456789";

/// The development CRM password (`simulator.crm_password`'s default); refused in production.
pub const DEV_CRM_PASSWORD: &str = "simulator-crm-password";

#[derive(Debug, Clone, Deserialize)]
pub struct DepositSection {
    /// In display order.
    pub methods: Vec<MethodSettings>,
    pub currencies: std::collections::BTreeMap<Currency, CurrencySettings>,
}

/// One payment method: `[[deposit.methods]]`.
#[derive(Debug, Clone, Deserialize)]
pub struct MethodSettings {
    pub name: String,
    pub kind: crate::domain::MethodKind,
    /// Where it is offered, each with optional limits and fee over
    /// `[deposit.currencies.*]`; none listed = every configured currency.
    #[serde(default)]
    pub currencies: std::collections::BTreeMap<Currency, MethodCurrency>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MethodCurrency {
    pub min: Option<rust_decimal::Decimal>,
    pub max: Option<rust_decimal::Decimal>,
    pub fee_percent: Option<rust_decimal::Decimal>,
}

/// The broker's receiving accounts for bank transfers, per currency.
#[derive(Debug, Clone, Deserialize)]
pub struct BankTransferSettings {
    pub accounts: std::collections::BTreeMap<Currency, BankAccountSettings>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BankAccountSettings {
    pub beneficiary: String,
    /// Checked by its mod-97 digits when the configuration loads; empty = none
    /// (so an environment variable can take away the sample one).
    #[serde(default, deserialize_with = "optional_iban")]
    pub iban: Option<crate::domain::Iban>,
    /// Where the account has no IBAN (e.g. a US account).
    #[serde(default)]
    pub account_number: Option<String>,
    pub bic: String,
    pub bank_name: String,
    /// A received wire above this amount needs a second finance user's approval.
    pub four_eyes_above: rust_decimal::Decimal,
}

fn optional_iban<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<crate::domain::Iban>, D::Error> {
    match Option::<String>::deserialize(d)? {
        Some(s) if !s.trim().is_empty() => s.parse().map(Some).map_err(serde::de::Error::custom),
        _ => Ok(None),
    }
}

/// The sample beneficiary `Leptos.toml` ships; refused in production.
pub const SAMPLE_BENEFICIARY: &str = "Example Broker Ltd";

/// The sample receiving account `Leptos.toml` ships (the IBAN registry's
/// German example); refused in production.
pub const SAMPLE_IBAN: &str = "DE89370400440532013000";
/// The sample account number `Leptos.toml` ships; refused in production.
pub const SAMPLE_ACCOUNT_NUMBER: &str = "000123456789";

/// Withdrawals (`/inapp/action?actionType=withdraw`): amounts follow the
/// currency's `[deposit.currencies.*]` limits, capped by the balance.
#[derive(Debug, Clone, Deserialize)]
pub struct WithdrawalsSection {
    /// Offer paying back to the card of a credited card deposit
    /// (methods of kind sandbox or stripe_checkout).
    pub card_payouts: bool,
    /// Per currency: a withdrawal above this amount needs a second,
    /// different finance user's approval; a currency not listed always does.
    #[serde(default)]
    pub four_eyes_above: std::collections::BTreeMap<Currency, rust_decimal::Decimal>,
}

/// Support chat limits.
#[derive(Debug, Clone, Deserialize)]
pub struct ChatSection {
    pub max_message_chars: usize,
    pub rate_limit_messages: u32,
    pub rate_window_seconds: u64,
    pub typing_seconds: u64,
    pub history_limit: i64,
    pub min_attachment_bytes: u64,
    pub watch_interval_ms: u64,
    pub session_recheck_seconds: u64,
}

/// What each `kycType` asks for, the upload limits, and how a decision maps
/// to the trader's `accessRights` in cTrader.
#[derive(Debug, Clone, Deserialize)]
pub struct KycSection {
    pub default_type: String,
    pub min_age_years: u32,
    pub max_upload_bytes: u64,
    pub min_upload_bytes: u64,
    pub max_image_side: u32,
    /// A trader's uploads per 24 hours, KYC documents and chat attachments together.
    pub daily_uploads: u32,
    pub daily_upload_bytes: u64,
    /// Days a replaced KYC document's file is kept before it is deleted (the
    /// record and its audit trail stay).
    pub replaced_retention_days: u32,
    /// How long a "continue on your phone" link works (it works once).
    pub handoff_minutes: u32,
    /// Case state (`approved`, `rejected`, `more_info`, `submitted`) → cTrader
    /// `accessRights`; a state not listed changes nothing in cTrader.
    #[serde(deserialize_with = "names::map_keys")]
    pub access_rights: std::collections::BTreeMap<crate::domain::kyc::CaseState, String>,
    pub types: std::collections::BTreeMap<String, KycTypeSettings>,
    pub screening: ScreeningSection,
    /// When an identity photo is good enough (`domain::kyc::quality`).
    pub quality: crate::domain::kyc::quality::QualityLimits,
}

/// Sanctions and PEP screening of each trader's name and date of birth
/// (`kyc::screening`).
#[derive(Debug, Clone, Deserialize)]
pub struct ScreeningSection {
    /// From this name similarity (0 to 1) on, an entry is a possible match.
    pub threshold: f64,
    /// How often the list files are looked at for a change.
    pub reload_seconds: u64,
    /// No list: no screening.
    #[serde(default)]
    pub lists: Vec<ScreeningList>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ScreeningList {
    /// Shown to compliance with each match; unique.
    pub name: String,
    pub kind: crate::kyc::screening::ListKind,
    pub format: crate::kyc::screening::ListFormat,
    pub path: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
pub struct KycTypeSettings {
    /// Personal details asked for, in order (see `domain::kyc::DetailField`).
    #[serde(deserialize_with = "names::list")]
    pub details: Vec<crate::domain::kyc::DetailField>,
    /// Documents asked for: `identity`, `address`, `additional`.
    #[serde(deserialize_with = "names::list")]
    pub documents: Vec<crate::domain::kyc::DocumentType>,
    /// This level's own cTrader `accessRights` by case state: when given,
    /// it replaces `kyc.access_rights` for cases of this type (an approved
    /// enhanced case may trade more than an approved standard one).
    #[serde(default, deserialize_with = "names::map_keys")]
    pub access_rights: std::collections::BTreeMap<crate::domain::kyc::CaseState, String>,
}

/// Where the end of a deposit or withdrawal, and a KYC submission or
/// decision, is told (`notify`): the page that embeds a screen, by
/// `postMessage` to these origins only; the broker's CRM, by a signed webhook.
#[derive(Debug, Clone, Deserialize)]
pub struct NotifySection {
    /// Exact origins (`https://app.example.com`) a screen may post its
    /// notices to when it runs in their frame; none: no `postMessage`.
    #[serde(default)]
    pub parent_origins: Vec<String>,
    /// The CRM's webhook address; empty: no webhook.
    #[serde(default)]
    pub crm_url: String,
    /// The HMAC-SHA256 key the webhook is signed with.
    pub crm_secret: SecretString,
    pub crm_timeout_ms: u64,
}

/// Verification levels: what a trader may deposit, and whether they may
/// withdraw, by the KYC type of their approved case (`domain::limits`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LimitsSection {
    /// A trader without an approved case is sent from the deposit screen
    /// into KYC, and no deposit starts until a case is approved.
    #[serde(default)]
    pub kyc_before_first_deposit: bool,
    /// By level: `unverified` or a `kyc.types` name. A level not listed
    /// caps nothing and allows withdrawals.
    #[serde(default)]
    pub levels: std::collections::BTreeMap<String, LevelSettings>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelSettings {
    #[serde(default = "allowed")]
    pub withdrawals: bool,
    /// Caps by account currency: every deposit currency, or none (no caps).
    #[serde(default)]
    pub currencies: std::collections::BTreeMap<Currency, crate::domain::limits::LevelLimits>,
}

fn allowed() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
pub struct CurrencySettings {
    pub digits: u32,
    pub min: rust_decimal::Decimal,
    pub max: rust_decimal::Decimal,
    pub presets: Vec<rust_decimal::Decimal>,
    pub fee_percent: rust_decimal::Decimal,
}

/// Every secret in the settings is a `SecretString`: `{:?}` of any section
/// prints `[REDACTED]`, and reading one takes an explicit `expose_secret()`.
#[derive(Debug, Clone, Deserialize)]
pub struct PaymentsSection {
    /// The sandbox provider's API key (used by `kind = "sandbox"` methods).
    pub api_key: SecretString,
    pub webhook_secret: SecretString,
    pub webhook_tolerance_seconds: u64,
    pub retry_base_ms: u64,
    pub retry_max_ms: u64,
    pub settle_ms: u64,
    pub worker: bool,
    pub sandbox_database_url: String,
    pub sandbox_async_delay_ms: u64,
    /// A deposit still waiting for the provider after this long is closed as
    /// expired (a late success still confirms it: the money was taken).
    pub pending_expiry_minutes: u64,
    /// From this attempt on, an unsettled credit is logged as an error for
    /// operators (it keeps being retried).
    pub alert_after_attempts: i64,
    /// A credit that followed an unknown outcome is looked up again this long
    /// after it was settled, for a copy that landed late (reported, never undone).
    pub audit_after_ms: u64,
    pub bank_transfer: BankTransferSettings,
    pub stripe: StripeSettings,
}

/// Stripe Checkout, for methods of kind `stripe_checkout`.
#[derive(Debug, Clone, Deserialize)]
pub struct StripeSettings {
    /// `https://api.stripe.com`; empty = the contract simulator this server
    /// serves under `/psp/stripe` (development only).
    pub api_base: String,
    pub secret_key: SecretString,
    /// The endpoint's signing secret (`whsec_…`), for `Stripe-Signature`.
    pub webhook_secret: SecretString,
    /// How long the simulator's bank debit takes to confirm.
    pub simulator_async_delay_ms: u64,
}

/// The Stripe keys `Leptos.toml` ships for the simulator; refused in production.
pub const DEV_STRIPE_SECRET_KEY: &str = "sk_test_simulator";
pub const DEV_STRIPE_WEBHOOK_SECRET: &str = "whsec_simulator";

impl Settings {
    /// `level`'s caps in `currency`; none for a level or currency not configured.
    pub fn level_limits(&self, level: &str, currency: &Currency) -> crate::domain::limits::LevelLimits {
        self.limits.levels.get(level).and_then(|l| l.currencies.get(currency)).copied().unwrap_or_default()
    }

    pub fn level_allows_withdrawals(&self, level: &str) -> bool {
        self.limits.levels.get(level).is_none_or(|l| l.withdrawals)
    }

    /// Whether any level is configured: without, nothing is capped or shown.
    pub fn has_levels(&self) -> bool {
        !self.limits.levels.is_empty() || self.limits.kyc_before_first_deposit
    }
}

impl Settings {
    /// The deposit rule for `currency`, if deposits in it are configured.
    pub fn currency_rule(&self, currency: &Currency) -> Option<crate::domain::CurrencyRule> {
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

    /// The rule of method `m` in `currency`: the currency's, with the
    /// method's own limits and fee over it; `None` where it is not offered.
    pub fn method_rule(&self, m: &MethodSettings, currency: &Currency) -> Option<crate::domain::CurrencyRule> {
        let mut rule = self.currency_rule(currency)?;
        if !m.currencies.is_empty() {
            let own = m.currencies.get(currency)?;
            rule.min = own.min.unwrap_or(rule.min);
            rule.max = own.max.unwrap_or(rule.max);
            rule.fee_percent = own.fee_percent.unwrap_or(rule.fee_percent);
        }
        rule.presets.retain(|p| *p >= rule.min && *p <= rule.max);
        Some(rule)
    }

    /// The methods `currency` allows, in display order.
    pub fn methods_for(&self, currency: &Currency) -> Vec<crate::domain::PaymentMethod> {
        self.deposit
            .methods
            .iter()
            .filter_map(|m| Some(crate::domain::PaymentMethod { name: m.name.clone(), kind: m.kind, rule: self.method_rule(m, currency)? }))
            .collect()
    }
}
