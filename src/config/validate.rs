//! The checks a loaded configuration must pass before the server starts;
//! each refusal names its key.

use super::*;
use secrecy::ExposeSecret;

use crate::domain::action::{ActionKind, FieldKind};

pub(super) fn invalid(key: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { key: key.to_string(), problem: problem.into() }
}

impl Settings {
    pub(super) fn validate_kyc(&self) -> Result<(), ConfigError> {
        let k = &self.kyc;
        if !k.types.contains_key(&k.default_type) {
            return Err(invalid("kyc.default_type", "must name one of the [kyc.types.*] tables"));
        }
        if !(1..=60).contains(&k.handoff_minutes) {
            return Err(invalid("kyc.handoff_minutes", "between 1 and 60"));
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
            if t.details.is_empty() && t.documents.is_empty() {
                return Err(bad("asks for nothing".into()));
            }
        }
        let q = &k.quality;
        if !(q.min_sharpness >= 0.0 && q.min_brightness >= 0.0 && q.min_brightness < q.max_brightness && q.max_brightness <= 255.0) {
            return Err(invalid("kyc.quality", "need min_sharpness >= 0 and 0 <= min_brightness < max_brightness <= 255"));
        }
        if !(0.0..=1.0).contains(&q.max_glare) || !(0.0..=1.0).contains(&q.min_coverage) || q.min_side > k.max_image_side {
            return Err(invalid("kyc.quality", "need max_glare and min_coverage between 0 and 1 and min_side at most kyc.max_image_side"));
        }
        let screening = &k.screening;
        if !(0.5..=1.0).contains(&screening.threshold) {
            return Err(invalid("kyc.screening.threshold", "must be between 0.5 and 1 (a name similarity)"));
        }
        if screening.reload_seconds == 0 {
            return Err(invalid("kyc.screening.reload_seconds", "must be at least 1"));
        }
        // Screening needs someone to screen: a type without a name and a date
        // of birth would be approved unscreened.
        if !screening.lists.is_empty() {
            for (name, t) in &k.types {
                use crate::domain::kyc::DetailField;
                if !(t.details.contains(&DetailField::FullName) && t.details.contains(&DetailField::DateOfBirth)) {
                    return Err(invalid(&format!("kyc.types.{name}.details"), "must ask for full_name and date_of_birth while screening lists are configured"));
                }
            }
        }
        let mut names = std::collections::BTreeSet::new();
        for list in &screening.lists {
            if list.name.trim().is_empty() || list.name.chars().count() > 100 || !names.insert(list.name.as_str()) {
                return Err(invalid("kyc.screening.lists", format!("each list needs its own name of 1 to 100 characters (`{}`)", list.name)));
            }
        }
        check_access_rights("kyc.access_rights", &k.access_rights)?;
        Ok(())
    }

    pub(super) fn validate_notify(&self) -> Result<(), ConfigError> {
        let n = &self.notify;
        for origin in &n.parent_origins {
            let parsed = url::Url::parse(origin).ok().filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
            // An origin exactly: what postMessage compares, never `*` or a path.
            if parsed.is_none_or(|u| u.origin().ascii_serialization() != *origin) {
                return Err(invalid("notify.parent_origins", format!("`{origin}` is not an origin such as https://app.example.com (no path, no *)")));
            }
        }
        if !n.crm_url.is_empty() {
            if url::Url::parse(&n.crm_url).ok().is_none_or(|u| !matches!(u.scheme(), "http" | "https")) {
                return Err(invalid("notify.crm_url", "must be an http(s) address, or empty for no webhook"));
            }
            if n.crm_secret.expose_secret().len() < 16 {
                return Err(invalid("notify.crm_secret", "needs at least 16 characters to sign the CRM webhook"));
            }
            if n.crm_timeout_ms == 0 || n.crm_timeout_ms > 60_000 {
                return Err(invalid("notify.crm_timeout_ms", "between 1 and 60000"));
            }
        }
        Ok(())
    }

    pub(super) fn validate_limits(&self) -> Result<(), ConfigError> {
        let currencies: std::collections::BTreeSet<_> = self.deposit.currencies.keys().collect();
        for (level, l) in &self.limits.levels {
            let key = format!("limits.levels.{level}");
            if level != crate::domain::limits::UNVERIFIED && !self.kyc.types.contains_key(level) {
                return Err(invalid(&key, "a level is `unverified` or a kyc.types name"));
            }
            if !l.currencies.is_empty() && l.currencies.keys().collect::<std::collections::BTreeSet<_>>() != currencies {
                return Err(invalid(&format!("{key}.currencies"), "caps for every deposit currency, or for none"));
            }
            for (code, caps) in &l.currencies {
                if [caps.per_deposit, caps.per_30_days, caps.lifetime].into_iter().flatten().any(|c| c <= rust_decimal::Decimal::ZERO) {
                    return Err(invalid(&format!("{key}.currencies.{code}"), "a cap is a positive amount (leave it out for none)"));
                }
            }
        }
        for (name, t) in &self.kyc.types {
            check_access_rights(&format!("kyc.types.{name}.access_rights"), &t.access_rights)?;
        }
        Ok(())
    }

    pub(super) fn validate_withdrawals(&self) -> Result<(), ConfigError> {
        for (code, limit) in &self.withdrawals.four_eyes_above {
            let key = format!("withdrawals.four_eyes_above.{code}");
            if !self.deposit.currencies.contains_key(code) {
                return Err(invalid(&key, "not one of the [deposit.currencies.*]"));
            }
            if *limit < rust_decimal::Decimal::ZERO {
                return Err(invalid(&key, "must be 0 or more"));
            }
        }
        // The withdrawal screen answers this action type itself.
        if self.actions.types.contains_key("withdraw") {
            return Err(invalid("actions.types.withdraw", "`withdraw` is the built-in withdrawal flow ([withdrawals]); give the form another name"));
        }
        Ok(())
    }

    pub(super) fn validate_deposits(&self) -> Result<(), ConfigError> {
        use rust_decimal::Decimal;
        if self.deposit.methods.is_empty() {
            return Err(invalid("deposit.methods", "list at least one payment method"));
        }
        let name_ok = |n: &str| !n.is_empty() && n.len() <= 40 && n.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        for (i, m) in self.deposit.methods.iter().enumerate() {
            let at = |k: &str| format!("deposit.methods[{i}].{k}");
            if !name_ok(&m.name) || self.deposit.methods[..i].iter().any(|o| o.name == m.name) {
                return Err(invalid(&at("name"), "a unique name of a-z, 0-9 and _"));
            }
            for (code, own) in &m.currencies {
                let key = at(&format!("currencies.{code}"));
                if !self.deposit.currencies.contains_key(code) {
                    return Err(invalid(&key, "not one of the [deposit.currencies.*]"));
                }
                let rule = self.method_rule(m, code).expect("listed and configured");
                if rule.min <= Decimal::ZERO || rule.max < rule.min {
                    return Err(invalid(&key, "need 0 < min <= max"));
                }
                if own.fee_percent.is_some_and(|f| f < Decimal::ZERO || f > Decimal::ONE_HUNDRED) {
                    return Err(invalid(&key, "fee_percent must be 0 to 100"));
                }
            }
            if m.kind == crate::domain::MethodKind::BankTransfer {
                for code in self.deposit.currencies.keys().filter(|c| self.method_rule(m, c).is_some()) {
                    let key = format!("payments.bank_transfer.accounts.{code}");
                    let Some(a) = self.payments.bank_transfer.accounts.get(code) else {
                        return Err(invalid(&key, format!("{} offers bank transfers in {code}: give the receiving account", at("name"))));
                    };
                    if a.iban.is_none() && a.account_number.as_deref().is_none_or(|n| n.trim().is_empty()) {
                        return Err(invalid(&key, "needs an iban or an account_number"));
                    }
                    if [&a.beneficiary, &a.bic, &a.bank_name].iter().any(|v| v.trim().is_empty()) {
                        return Err(invalid(&key, "beneficiary, bic and bank_name are required"));
                    }
                    if a.four_eyes_above < Decimal::ZERO {
                        return Err(invalid(&format!("{key}.four_eyes_above"), "must be 0 or more"));
                    }
                }
            }
        }
        for (code, c) in &self.deposit.currencies {
            let bad = |problem: String| ConfigError::Parse(format!("configuration key `deposit.currencies.{code}`: {problem}"));
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
        if self.deposit.methods.iter().any(|m| m.kind == crate::domain::MethodKind::StripeCheckout) {
            let stripe = &self.payments.stripe;
            if !stripe.api_base.is_empty() && url::Url::parse(&stripe.api_base).is_err() {
                return Err(invalid("payments.stripe.api_base", "not a URL (leave it empty for the simulator)"));
            }
            if stripe.secret_key.expose_secret().is_empty() || stripe.webhook_secret.expose_secret().is_empty() {
                return Err(invalid("payments.stripe.secret_key", "a stripe_checkout method needs payments.stripe.secret_key and webhook_secret"));
            }
            // An amount is charged and read in Stripe's unit for the currency:
            // the broker's digits must be the same, or a charge and its credit differ.
            for m in self.deposit.methods.iter().filter(|m| m.kind == crate::domain::MethodKind::StripeCheckout) {
                for (code, c) in self.deposit.currencies.iter().filter(|(code, _)| self.method_rule(m, code).is_some()) {
                    let stripe_digits = crate::deposit::stripe::stripe_digits(code);
                    if c.digits != stripe_digits {
                        return Err(invalid(
                            &format!("deposit.currencies.{code}.digits"),
                            format!("Stripe takes {code} with {stripe_digits} digits; a method of kind stripe_checkout offers it, so use {stripe_digits}"),
                        ));
                    }
                }
            }
        }
        if self.payments.webhook_secret.expose_secret().len() < 16 {
            return Err(invalid("payments.webhook_secret", "must be at least 16 characters"));
        }
        if self.payments.retry_base_ms == 0 || self.payments.retry_max_ms < self.payments.retry_base_ms {
            return Err(invalid("payments.retry_max_ms", "need 0 < retry_base_ms <= retry_max_ms"));
        }
        if self.payments.audit_after_ms < self.payments.settle_ms {
            return Err(invalid("payments.audit_after_ms", "must be at least payments.settle_ms"));
        }
        if self.payments.pending_expiry_minutes == 0 {
            return Err(invalid("payments.pending_expiry_minutes", "must be at least 1"));
        }
        Ok(())
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let public = url::Url::parse(&self.server.public_url).map_err(|e| invalid("server.public_url", format!("not a URL: {e}")))?;
        if !matches!(public.scheme(), "http" | "https") {
            return Err(invalid("server.public_url", "must start with http:// or https://"));
        }
        if !self.ctrader.base_url.is_empty() {
            let u = url::Url::parse(&self.ctrader.base_url).map_err(|e| invalid("ctrader.base_url", format!("not a URL: {e}")))?;
            if !matches!(u.scheme(), "http" | "https") {
                return Err(invalid("ctrader.base_url", "must start with http:// or https://"));
            }
        }
        let srv = &self.server;
        if !(1_000..=120_000).contains(&srv.header_read_timeout_ms) {
            return Err(invalid("server.header_read_timeout_ms", "must be between 1000 and 120000"));
        }
        if !(5_000..=3_600_000).contains(&srv.write_timeout_ms) {
            return Err(invalid("server.write_timeout_ms", "must be between 5000 and 3600000"));
        }
        if !(10_000..=3_600_000).contains(&srv.body_timeout_ms) {
            return Err(invalid("server.body_timeout_ms", "must be between 10000 and 3600000"));
        }
        if srv.max_connections == 0 || srv.max_connections_per_client == 0 || srv.max_connections_per_client > srv.max_connections {
            return Err(invalid("server.max_connections_per_client", "need 0 < max_connections_per_client <= max_connections"));
        }
        if self.ctrader.timeout_ms == 0 || self.ctrader.timeout_ms > 120_000 {
            return Err(invalid("ctrader.timeout_ms", "must be between 1 and 120000"));
        }
        // Longer, and a trader could see a balance a minute old.
        if self.ctrader.shown_fresh_ms > 60_000 {
            return Err(invalid("ctrader.shown_fresh_ms", "must be between 0 and 60000"));
        }
        let c = &self.chat;
        if !(1..=100_000).contains(&c.max_message_chars) {
            return Err(invalid("chat.max_message_chars", "must be between 1 and 100000"));
        }
        if c.rate_limit_messages == 0 || c.rate_window_seconds == 0 {
            return Err(invalid("chat.rate_limit_messages", "the limit and chat.rate_window_seconds must be above 0"));
        }
        if !(1..=10_000).contains(&c.history_limit) {
            return Err(invalid("chat.history_limit", "must be between 1 and 10000"));
        }
        if c.watch_interval_ms < 50 {
            return Err(invalid("chat.watch_interval_ms", "must be at least 50"));
        }
        if self.session.idle_minutes == 0 {
            return Err(invalid("session.idle_minutes", "must be at least 1"));
        }
        if self.session.absolute_minutes < self.session.idle_minutes {
            return Err(invalid("session.absolute_minutes", "must be at least session.idle_minutes"));
        }
        if self.session.cookie_name.is_empty() || !self.session.cookie_name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
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
        if !(self.storage.database_url.starts_with("sqlite:")
            || self.storage.database_url.starts_with("postgres:")
            || self.storage.database_url.starts_with("postgresql:"))
        {
            return Err(invalid("storage.database_url", "must start with sqlite: or postgres:"));
        }
        self.validate_objects()?;
        if !self.server.admin_addr.is_empty() && self.server.admin_addr.parse::<std::net::SocketAddr>().is_err() {
            return Err(invalid("server.admin_addr", "an address and port (e.g. 127.0.0.1:9100), or empty for none"));
        }
        if self.server.max_body_bytes < 1024 {
            return Err(invalid("server.max_body_bytes", "must be at least 1024"));
        }
        if self.simulator.token_ttl_seconds == 0 {
            return Err(invalid("simulator.token_ttl_seconds", "must be at least 1"));
        }
        self.validate_deposits()?;
        self.validate_kyc()?;
        self.validate_withdrawals()?;
        self.validate_limits()?;
        self.validate_notify()?;
        self.validate_identity()?;
        self.validate_actions()
    }

    pub(super) fn validate_actions(&self) -> Result<(), ConfigError> {
        let a = &self.actions;
        if a.handoff_secret.expose_secret().len() < 32 {
            return Err(invalid("actions.handoff_secret", "must be at least 32 characters"));
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
            match t.kind {
                ActionKind::Form => {
                    if t.fields.is_empty() {
                        return Err(invalid(&at("fields"), "a form needs at least one field"));
                    }
                    let mut seen = std::collections::BTreeSet::new();
                    for (i, f) in t.fields.iter().enumerate() {
                        let fk = |k: &str| at(&format!("fields[{i}].{k}"));
                        if !name_ok(&f.name) || !seen.insert(f.name.clone()) {
                            return Err(invalid(&fk("name"), "a unique name of a-z, 0-9 and _"));
                        }
                        if f.label.get("en").is_none_or(|s| s.trim().is_empty()) {
                            return Err(invalid(&fk("label.en"), "English is required"));
                        }
                        if f.kind == FieldKind::Choice && f.options.is_empty() {
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
                ActionKind::Handoff => {
                    let ok = url::Url::parse(&t.url).is_ok_and(|u| matches!(u.scheme(), "https" | "http"));
                    if !ok {
                        return Err(invalid(&at("url"), "a hand-off needs an http(s) URL"));
                    }
                }
            }
        }
        Ok(())
    }

    pub(super) fn validate_objects(&self) -> Result<(), ConfigError> {
        let o = &self.storage.objects;
        // Segments of letters, digits, '.', '_' and '-', joined by '/': what an
        // S3 key and a file path both take as they are.
        let segment_ok = |seg: &str| !seg.is_empty() && seg != "." && seg != ".." && seg.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !o.prefix.is_empty() && (o.prefix.len() > 200 || !o.prefix.split('/').all(segment_ok)) {
            return Err(invalid(
                "storage.objects.prefix",
                "letters, digits, '.', '_' and '-' in parts joined by '/' (no leading, trailing or double '/'), at most 200 characters",
            ));
        }
        if !(1..=10_080).contains(&o.orphan_grace_minutes) {
            return Err(invalid("storage.objects.orphan_grace_minutes", "must be between 1 and 10080 (a week)"));
        }
        if o.backend != ObjectBackend::S3 {
            return Ok(());
        }
        if o.bucket.trim().is_empty() {
            return Err(invalid("storage.objects.bucket", "backend \"s3\" needs a bucket"));
        }
        if o.access_key_id.trim().is_empty() {
            return Err(invalid("storage.objects.access_key_id", "backend \"s3\" needs credentials (access_key_id and secret_access_key)"));
        }
        if o.secret_access_key.expose_secret().is_empty() {
            return Err(invalid("storage.objects.secret_access_key", "backend \"s3\" needs credentials (access_key_id and secret_access_key)"));
        }
        if o.region.trim().is_empty() {
            return Err(invalid("storage.objects.region", "backend \"s3\" needs a region (any name for most S3-compatible services)"));
        }
        if !o.endpoint.is_empty() {
            let u = url::Url::parse(&o.endpoint).map_err(|e| invalid("storage.objects.endpoint", format!("not a URL: {e}")))?;
            match u.scheme() {
                "https" => {}
                "http" if o.allow_http => {}
                "http" => return Err(invalid("storage.objects.endpoint", "an http:// endpoint needs storage.objects.allow_http = true (test servers only)")),
                _ => return Err(invalid("storage.objects.endpoint", "must start with https:// (or be empty for AWS)")),
            }
        }
        Ok(())
    }

    pub(super) fn validate_identity(&self) -> Result<(), ConfigError> {
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
            if argon2::PasswordHash::new(id.crm_password_hash.expose_secret()).is_err() {
                return Err(invalid("identity.crm_password_hash", "must be an argon2 hash (make one with `broker-inapp hash-password`)"));
            }
            if id.app_redirect_url.trim().is_empty() {
                return Err(invalid("identity.app_redirect_url", "must not be empty in full_sso mode"));
            }
        }
        Ok(())
    }
}

/// A map of decision states to cTrader access rights (`key`).
fn check_access_rights(key: &str, map: &std::collections::BTreeMap<crate::domain::kyc::CaseState, String>) -> Result<(), ConfigError> {
    for (state, rights) in map {
        let state = state.as_str();
        if !matches!(state, "submitted" | "more_info" | "approved" | "rejected") {
            return Err(ConfigError::Parse(format!("configuration key `{key}.{state}`: not a decision state (submitted, more_info, approved, rejected)")));
        }
        if rights.is_empty() || !rights.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
            return Err(ConfigError::Parse(format!("configuration key `{key}.{state}`: must be a cTrader access right such as FULL_ACCESS")));
        }
    }
    Ok(())
}
