//! Secrets read from files: `INAPP_PAYMENTS__WEBHOOK_SECRET_FILE=/run/secrets/psp`
//! sets `payments.webhook_secret` to that file's content (one trailing line
//! break removed). This is how Docker and Kubernetes hand secrets to a
//! process, and it keeps the value out of the environment, which other
//! processes of the same user and crash reporters can read.
//!
//! Secrets (and bank account numbers) given directly as `INAPP_…` variables
//! are read here too, as text: figment would read `007123` as a number,
//! dropping its zeros, and a refusal would print it.

use figment::providers::Serialized;
use figment::Figment;

use super::ConfigError;

/// The settings that may come from a file: the secrets (all `SecretString`s)
/// and the database URL, which may hold the database's password (its `Debug`
/// prints it without).
pub const SECRET_KEYS: [&str; 10] = [
    "ctrader.manager_password",
    "payments.api_key",
    "payments.webhook_secret",
    "actions.handoff_secret",
    "identity.crm_password_hash",
    "simulator.crm_password",
    "payments.stripe.secret_key",
    "payments.stripe.webhook_secret",
    "storage.objects.secret_access_key",
    "storage.database_url",
];

/// The secret a `…_FILE` key names (`payments.webhook_secret_file`, any case).
fn secret_of(key: &str) -> Option<&'static str> {
    let key = key.to_ascii_lowercase();
    let plain = key.strip_suffix("_file")?;
    SECRET_KEYS.iter().copied().find(|k| *k == plain)
}

/// True for the dotted key of a secret or of its `…_FILE` variable: the plain
/// environment source skips these. Figment reads variables as typed values,
/// so a secret of digits would arrive as a number (its leading zeros lost)
/// and a refusal would print it; `merge` takes them as text instead.
pub fn is_secret_variable(key: &str) -> bool {
    secret_of(key).is_some() || is_text_key(key)
}

/// Settings whose value is text even when it looks like a number: the
/// secrets, and bank account numbers (whose leading zeros matter).
fn is_text_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    let account_field = key.starts_with("payments.bank_transfer.accounts.") && (key.ends_with(".account_number") || key.ends_with(".iban"));
    SECRET_KEYS.contains(&key.as_str()) || account_field
}

/// Merges each secret set by an `INAPP_…` variable (as text) or named by an
/// `INAPP_…_FILE` variable among `vars`.
pub fn merge(mut figment: Figment, vars: impl Iterator<Item = (String, String)>) -> Result<Figment, ConfigError> {
    let vars: Vec<(String, String)> = vars.collect();
    for (name, value) in &vars {
        let Some(rest) = name.strip_prefix("INAPP_") else { continue };
        let key = super::env_key(rest);
        if is_text_key(&key) {
            figment = figment.merge(Serialized::default(&key, value));
        }
    }
    for (name, path) in &vars {
        let Some(rest) = name.strip_prefix("INAPP_") else { continue };
        let Some(secret) = secret_of(&rest.replace("__", ".")) else { continue };
        let plain = name[..name.len() - "_FILE".len()].to_string();
        if vars.iter().any(|(n, _)| n.eq_ignore_ascii_case(&plain)) {
            return Err(ConfigError::Invalid { key: secret.to_string(), problem: format!("set either {plain} or {name}, not both") });
        }
        let content = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::Invalid { key: secret.to_string(), problem: format!("cannot read the file {name} names ({path}): {e}") })?;
        let value = content.strip_suffix('\n').map(|v| v.strip_suffix('\r').unwrap_or(v)).unwrap_or(&content);
        if value.is_empty() {
            return Err(ConfigError::Invalid { key: secret.to_string(), problem: format!("the file {name} names ({path}) is empty") });
        }
        figment = figment.merge(Serialized::default(secret, value));
    }
    Ok(figment)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    fn vars(list: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>().into_iter()
    }

    #[test]
    fn a_secret_comes_from_the_file_its_variable_names_and_stays_out_of_errors_and_debug() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("psp");
        std::fs::write(&file, "webhook-secret-from-a-file\n").unwrap();
        let path = file.to_str().unwrap();
        let f = merge(Settings::defaults(), vars(&[("INAPP_PAYMENTS__WEBHOOK_SECRET_FILE", path), ("INAPP_BROKER__THEME_FILE", "x.toml")])).unwrap();
        let s = Settings::from_figment(f).unwrap();
        assert_eq!(secrecy::ExposeSecret::expose_secret(&s.payments.webhook_secret), "webhook-secret-from-a-file");
        assert!(!format!("{s:?}").contains("webhook-secret-from-a-file"));
        // Not a secret: `broker.theme_file` is an ordinary setting.
        assert!(!is_secret_variable("broker.theme_file"));
        assert!(is_secret_variable("PAYMENTS.WEBHOOK_SECRET_FILE") && is_secret_variable("payments.webhook_secret"));
        // A secret of digits stays text, leading zeros and all.
        let digits = merge(Settings::defaults(), vars(&[("INAPP_CTRADER__MANAGER_PASSWORD", "007123")])).unwrap();
        let s = Settings::from_figment(digits).unwrap();
        assert_eq!(secrecy::ExposeSecret::expose_secret(&s.ctrader.manager_password), "007123");
        let account = merge(Settings::defaults(), vars(&[("INAPP_PAYMENTS__BANK_TRANSFER__ACCOUNTS__usd__ACCOUNT_NUMBER", "000987")])).unwrap();
        let s = Settings::from_figment(account).unwrap();
        assert_eq!(s.payments.bank_transfer.accounts[&"USD".parse::<crate::domain::Currency>().unwrap()].account_number.as_deref(), Some("000987"));

        let err = merge(Settings::defaults(), vars(&[("INAPP_ACTIONS__HANDOFF_SECRET_FILE", "/no/such/file")])).unwrap_err().to_string();
        assert!(err.contains("actions.handoff_secret") && err.contains("/no/such/file"), "{err}");
        let both = vars(&[("INAPP_PAYMENTS__WEBHOOK_SECRET_FILE", path), ("INAPP_PAYMENTS__WEBHOOK_SECRET", "inline")]);
        let err = merge(Settings::defaults(), both).unwrap_err().to_string();
        assert!(err.contains("not both") && !err.contains("webhook-secret-from-a-file"), "{err}");
        std::fs::write(&file, "\n").unwrap();
        let err = merge(Settings::defaults(), vars(&[("INAPP_PAYMENTS__WEBHOOK_SECRET_FILE", path)])).unwrap_err().to_string();
        assert!(err.contains("is empty"), "{err}");
    }

    #[test]
    fn the_object_store_secret_comes_from_a_file_and_stays_out_of_debug() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("s3");
        std::fs::write(&file, "s3-secret-from-a-file\n").unwrap();
        let f = merge(Settings::defaults(), vars(&[("INAPP_STORAGE__OBJECTS__SECRET_ACCESS_KEY_FILE", file.to_str().unwrap())])).unwrap();
        let s = Settings::from_figment(f).unwrap();
        assert_eq!(secrecy::ExposeSecret::expose_secret(&s.storage.objects.secret_access_key), "s3-secret-from-a-file");
        assert!(!format!("{s:?}").contains("s3-secret-from-a-file"));
        assert!(is_secret_variable("storage.objects.secret_access_key") && !is_secret_variable("storage.objects.access_key_id"));
    }

    #[test]
    fn the_database_url_with_its_password_comes_from_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("db");
        std::fs::write(&file, "postgres://inapp:pw-from-a-file@db.internal/inapp\n").unwrap();
        let f = merge(Settings::defaults(), vars(&[("INAPP_STORAGE__DATABASE_URL_FILE", file.to_str().unwrap())])).unwrap();
        let s = Settings::from_figment(f).unwrap();
        assert_eq!(s.storage.database_url, "postgres://inapp:pw-from-a-file@db.internal/inapp");
        assert!(!format!("{s:?}").contains("pw-from-a-file"));
    }
}
