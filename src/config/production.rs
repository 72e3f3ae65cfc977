//! What production refuses: every development value this repository ships
//! (secrets, sandbox payment methods, sample bank accounts), plain-http
//! addresses and routes that exist for tests. The checks run in production
//! mode, and in development mode as soon as a real cTrader is configured
//! (unless `server.staging` says that cTrader is a test one), so a real
//! trading platform is never run against development values by accident.
//! `broker-inapp check-config` prints the same list without starting.

use secrecy::ExposeSecret;

use super::*;
use crate::domain::{Currency, MethodKind};

/// One setting production refuses, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub key: String,
    pub problem: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}`: {}", self.key, self.problem)
    }
}

/// The development values `Leptos.toml` ships for each secret.
const SHIPPED_SECRETS: [(&str, &str); 5] = [
    ("ctrader.manager_password", "simulator"),
    ("payments.api_key", "sandbox-api-key"),
    ("payments.webhook_secret", "sandbox-webhook-secret"),
    ("actions.handoff_secret", DEV_HANDOFF_SECRET),
    ("notify.crm_secret", "dev-crm-webhook-secret"),
];

impl Settings {
    /// Whether the refusals below stop start-up.
    pub fn enforces_production_rules(&self) -> bool {
        self.server.mode == Mode::Production || (!self.uses_simulator() && !self.server.staging)
    }

    /// Development mode beside a real cTrader that the operator declared a
    /// test one: logged at every start.
    pub fn is_staging(&self) -> bool {
        self.server.mode == Mode::Development && !self.uses_simulator() && self.server.staging
    }

    /// Everything production would refuse in these settings, each naming its key.
    pub fn production_refusals(&self) -> Vec<Refusal> {
        let mut out = Vec::new();
        let mut refuse = |key: &str, problem: &str| out.push(Refusal { key: key.to_string(), problem: problem.to_string() });
        if self.ctrader.base_url.is_empty() {
            refuse("ctrader.base_url", "production needs a real cTrader (the built-in simulator is for development)");
        } else if !self.ctrader.base_url.starts_with("https://") {
            refuse("ctrader.base_url", "must be https:// (the manager password travels with every call)");
        }
        if !self.notify.crm_url.is_empty() && !self.notify.crm_url.starts_with("https://") {
            refuse("notify.crm_url", "must be https:// (the webhook carries traders' logins and amounts)");
        }
        if self.notify.parent_origins.iter().any(|o| !o.starts_with("https://")) {
            refuse("notify.parent_origins", "must be https:// origins (a plain-http page could read the notices)");
        }
        if !self.server.public_url.starts_with("https://") {
            refuse("server.public_url", "must be https:// (session cookies are Secure only over https)");
        }
        // A secret counts when something uses it: the sandbox's keys only
        // beside a sandbox method, the CRM password only in Full SSO mode.
        let sandbox = self.deposit.methods.iter().any(|m| m.kind == MethodKind::Sandbox);
        let secrets = [
            (true, self.ctrader.manager_password.expose_secret()),
            (sandbox, self.payments.api_key.expose_secret()),
            (sandbox, self.payments.webhook_secret.expose_secret()),
            (true, self.actions.handoff_secret.expose_secret()),
            (!self.notify.crm_url.is_empty(), self.notify.crm_secret.expose_secret()),
        ];
        for ((key, shipped), (used, value)) in SHIPPED_SECRETS.iter().zip(secrets) {
            if used && (value.is_empty() || value == *shipped) {
                refuse(key, "is the development value this repository ships; set your own");
            }
        }
        let full_sso = self.identity.mode == IdentityMode::FullSso;
        if full_sso && crate::security::password::verify_password(DEV_CRM_PASSWORD, Some(self.identity.crm_password_hash.expose_secret())) {
            refuse("identity.crm_password_hash", "is the hash of the development CRM password; make your own with `broker-inapp hash-password`");
        }
        // Documents travel to the object store: never in clear text.
        let objects = &self.storage.objects;
        if objects.backend == ObjectBackend::S3 && objects.allow_http {
            refuse("storage.objects.allow_http", "KYC documents must not travel over plain http; use an https:// endpoint");
        }
        if self.server.test_routes {
            refuse("server.test_routes", "test-only routes must be off");
        }
        // Screening: at least one real sanctions list, none of the samples.
        let lists = &self.kyc.screening.lists;
        if !lists.iter().any(|l| l.kind == crate::kyc::screening::ListKind::Sanctions) {
            refuse("kyc.screening.lists", "production screens traders against at least one sanctions list (kind = \"sanctions\")");
        }
        for (i, list) in lists.iter().enumerate() {
            if list.path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.contains(".sample.")) {
                refuse(&format!("kyc.screening.lists[{i}].path"), "is a sample of invented people this repository ships; point it at the published list");
            }
        }
        if self.server.mode == Mode::Production && self.server.staging {
            refuse("server.staging", "declares a test cTrader; it has no place in production mode");
        }
        for (i, m) in self.deposit.methods.iter().enumerate() {
            if m.kind == MethodKind::Sandbox {
                refuse(&format!("deposit.methods[{i}].kind"), "the sandbox takes no money and credits test cards; offer a real method");
            }
        }
        if self.deposit.methods.iter().any(|m| m.kind == MethodKind::StripeCheckout) {
            let stripe = &self.payments.stripe;
            if !stripe.api_base.starts_with("https://") {
                refuse("payments.stripe.api_base", "production talks to Stripe itself (https://api.stripe.com), not the simulator");
            }
            let key = stripe.secret_key.expose_secret();
            if key == DEV_STRIPE_SECRET_KEY || !(key.starts_with("sk_live_") || key.starts_with("rk_live_")) {
                refuse("payments.stripe.secret_key", "needs a live secret key (sk_live_…); a test key takes no money");
            }
            if stripe.webhook_secret.expose_secret() == DEV_STRIPE_WEBHOOK_SECRET {
                refuse("payments.stripe.webhook_secret", "is the development value this repository ships; set the endpoint's signing secret");
            }
        }
        if self.deposit.methods.iter().all(|m| m.kind == MethodKind::Sandbox) {
            refuse("deposit.methods", "needs at least one method that takes real money (e.g. kind = \"bank_transfer\")");
        }
        let offered: Vec<&Currency> = self
            .deposit
            .methods
            .iter()
            .filter(|m| m.kind == MethodKind::BankTransfer)
            .flat_map(|m| self.deposit.currencies.keys().filter(|c| self.method_rule(m, c).is_some()))
            .collect();
        for (code, a) in &self.payments.bank_transfer.accounts {
            let sample = a.iban.as_ref().is_some_and(|i| i.as_str() == SAMPLE_IBAN)
                || a.account_number.as_deref() == Some(SAMPLE_ACCOUNT_NUMBER)
                || a.beneficiary.trim() == SAMPLE_BENEFICIARY;
            if sample && offered.contains(&code) {
                refuse(&format!("payments.bank_transfer.accounts.{code}"), "is the sample account this repository ships; give the broker's own");
            }
        }
        for (name, t) in &self.actions.types {
            if t.kind != crate::domain::action::ActionKind::Handoff {
                continue;
            }
            let host = url::Url::parse(&t.url).ok().and_then(|u| u.host_str().map(str::to_string)).unwrap_or_default();
            if !t.url.starts_with("https://") {
                refuse(&format!("actions.types.{name}.url"), "must be https:// (it receives a signed identity)");
            } else if host.ends_with(".example") {
                refuse(&format!("actions.types.{name}.url"), "is the example address this repository ships; give the broker's own");
            }
        }
        out
    }
}
