//! The broker's own actions (`/inapp/action?actionType=…`), as the screen
//! shows them: a configured form, or a hand-off to a broker URL. The field
//! rules live here so the browser and the server refuse the same input.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{parse_amount, AmountError, CurrencyRule};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActionKind {
    /// A form whose submissions are stored for the back-office.
    Form,
    /// A button that takes the trader to the broker's URL with a signed assertion.
    Handoff,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FieldKind {
    Text,
    Textarea,
    Amount,
    Choice,
    Email,
    Phone,
}

impl ActionKind {
    pub const ALL: [ActionKind; 2] = [ActionKind::Form, ActionKind::Handoff];

    /// The name the configuration uses.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Form => "form",
            ActionKind::Handoff => "handoff",
        }
    }
}

impl FieldKind {
    pub const ALL: [FieldKind; 6] = [FieldKind::Text, FieldKind::Textarea, FieldKind::Amount, FieldKind::Choice, FieldKind::Email, FieldKind::Phone];

    /// The name the configuration uses.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Textarea => "textarea",
            FieldKind::Amount => "amount",
            FieldKind::Choice => "choice",
            FieldKind::Email => "email",
            FieldKind::Phone => "phone",
        }
    }

    pub fn parse(s: &str) -> Option<FieldKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One field, with its label already in the trader's language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionField {
    pub name: String,
    pub kind: FieldKind,
    pub label: String,
    pub required: bool,
    pub max_length: usize,
    /// For choices: (value, label).
    pub options: Vec<(String, String)>,
    /// For amounts: the largest accepted (none = any).
    pub max_amount: Option<Decimal>,
}

/// What the action screen shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionView {
    pub action_type: String,
    pub kind: ActionKind,
    pub title: String,
    pub text: String,
    pub fields: Vec<ActionField>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FieldError {
    Missing,
    TooLong { max: usize },
    Amount(AmountError),
    Email,
    Phone,
    UnknownChoice,
}

impl FieldError {
    /// Translation key and its `%{…}` argument.
    pub fn i18n(&self) -> (&'static str, Option<(&'static str, String)>) {
        match self {
            FieldError::Missing => ("action.error.missing", None),
            FieldError::TooLong { max } => ("action.error.too_long", Some(("max", max.to_string()))),
            FieldError::Amount(e) => e.i18n(),
            FieldError::Email => ("action.error.email", None),
            FieldError::Phone => ("action.error.phone", None),
            FieldError::UnknownChoice => ("action.error.choice", None),
        }
    }
}

fn check(field: &ActionField, raw: &str) -> Result<String, FieldError> {
    let value = raw.trim();
    if value.chars().count() > field.max_length {
        return Err(FieldError::TooLong { max: field.max_length });
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(FieldError::Missing);
    }
    match field.kind {
        FieldKind::Text | FieldKind::Textarea => Ok(value.to_string()),
        FieldKind::Amount => {
            let rule = CurrencyRule {
                code: String::new(),
                digits: 2,
                min: Decimal::new(1, 2),
                max: field.max_amount.unwrap_or(Decimal::new(1_000_000_000, 0)),
                presets: vec![],
                fee_percent: Decimal::ZERO,
            };
            parse_amount(value, &rule).map(|d| d.to_string()).map_err(FieldError::Amount)
        }
        FieldKind::Choice => field.options.iter().find(|(v, _)| v == value).map(|(v, _)| v.clone()).ok_or(FieldError::UnknownChoice),
        FieldKind::Email => {
            let ok = value.split_once('@').is_some_and(|(user, host)| !user.is_empty() && host.contains('.') && !host.starts_with('.') && !host.ends_with('.'))
                && !value.chars().any(char::is_whitespace);
            if ok {
                Ok(value.to_string())
            } else {
                Err(FieldError::Email)
            }
        }
        FieldKind::Phone => {
            let digits = value.chars().filter(char::is_ascii_digit).count();
            let ok = (6..=15).contains(&digits) && value.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
            if ok {
                Ok(value.to_string())
            } else {
                Err(FieldError::Phone)
            }
        }
    }
}

/// Checks a submission against the fields: the cleaned values to store, or
/// every field's error. Values for names the form does not have are dropped.
pub fn validate_action(fields: &[ActionField], values: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>, Vec<(String, FieldError)>> {
    let mut clean = BTreeMap::new();
    let mut errors = vec![];
    for f in fields {
        let raw = values.get(&f.name).map(|v| v.trim()).unwrap_or("");
        if raw.is_empty() {
            if f.required {
                errors.push((f.name.clone(), FieldError::Missing));
            }
            continue;
        }
        match check(f, raw) {
            Ok(v) => {
                clean.insert(f.name.clone(), v);
            }
            Err(e) => errors.push((f.name.clone(), e)),
        }
    }
    if errors.is_empty() {
        Ok(clean)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, kind: FieldKind, required: bool) -> ActionField {
        ActionField {
            name: name.into(),
            kind,
            label: name.into(),
            required,
            max_length: 20,
            options: vec![("bank".into(), "Bank".into())],
            max_amount: Some(Decimal::new(5000, 0)),
        }
    }

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn each_kind_refuses_what_it_should() {
        let fields = [
            field("amount", FieldKind::Amount, true),
            field("method", FieldKind::Choice, true),
            field("email", FieldKind::Email, false),
            field("phone", FieldKind::Phone, false),
            field("note", FieldKind::Text, false),
        ];
        let bad = validate_action(&fields, &values(&[("amount", "1e3"), ("method", "cash"), ("email", "a@b"), ("phone", "12"), ("note", &"x".repeat(21))]))
            .unwrap_err();
        assert_eq!(
            bad,
            vec![
                ("amount".into(), FieldError::Amount(AmountError::NotANumber)),
                ("method".into(), FieldError::UnknownChoice),
                ("email".into(), FieldError::Email),
                ("phone".into(), FieldError::Phone),
                ("note".into(), FieldError::TooLong { max: 20 }),
            ]
        );
        let missing = validate_action(&fields, &values(&[])).unwrap_err();
        assert_eq!(missing.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["amount", "method"]);
        assert_eq!(
            validate_action(&fields, &values(&[("amount", "5000.01"), ("method", "bank")])).unwrap_err(),
            vec![("amount".into(), FieldError::Amount(AmountError::AboveMax { max: Decimal::new(5000, 0) }))]
        );
    }

    #[test]
    fn good_values_are_cleaned_and_extras_dropped() {
        let fields = [field("amount", FieldKind::Amount, true), field("phone", FieldKind::Phone, false), field("method", FieldKind::Choice, true)];
        let ok = validate_action(&fields, &values(&[("amount", " 250.5 "), ("phone", "+44 20 7946 0958"), ("method", "bank"), ("admin", "yes")])).unwrap();
        assert_eq!(ok, values(&[("amount", "250.50"), ("phone", "+44 20 7946 0958"), ("method", "bank")]));
    }
}
