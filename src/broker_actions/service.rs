use std::collections::BTreeMap;

use jsonwebtoken::{encode, EncodingKey, Header};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::config::{ActionSettings, Settings, Translated};
use crate::domain::action::{validate_action, ActionField, ActionKind, ActionView, FieldKind};
use crate::domain::Lang;
use crate::domain::Login;
use crate::errors::AppError;
use crate::session::Session;
use crate::state::AppState;
use crate::store::SubmissionRecord;
use crate::time::now_ms;

fn pick(text: &Translated, lang: Lang) -> String {
    text.get(lang.code()).or_else(|| text.get("en")).cloned().unwrap_or_default()
}

fn settings_of<'a>(settings: &'a Settings, action_type: &str) -> Result<&'a ActionSettings, AppError> {
    settings.actions.types.get(action_type).ok_or(AppError::UnknownAction)
}

/// The action as the screen shows it, in `lang`.
pub fn view(settings: &Settings, action_type: &str, lang: Lang) -> Result<ActionView, AppError> {
    let a = settings_of(settings, action_type)?;
    let fields = a
        .fields
        .iter()
        .map(|f| {
            let default_max = if f.kind == FieldKind::Textarea { 2000 } else { 200 };
            ActionField {
                name: f.name.clone(),
                kind: f.kind,
                label: pick(&f.label, lang),
                required: f.required,
                max_length: f.max_length.unwrap_or(default_max),
                options: f.options.iter().map(|o| (o.value.clone(), pick(&o.label, lang))).collect(),
                max_amount: f.max_amount.as_deref().and_then(|m| m.parse().ok()),
            }
        })
        .collect();
    Ok(ActionView { action_type: action_type.to_string(), kind: a.kind, title: pick(&a.title, lang), text: pick(&a.text, lang), fields })
}

/// Stores a form action's submission; returns its id.
pub async fn submit(state: &AppState, session: &Session, action_type: &str, values: BTreeMap<String, String>) -> Result<String, AppError> {
    let v = view(&state.settings, action_type, session.prefs.lang)?;
    if v.kind != ActionKind::Form {
        return Err(AppError::InvalidRequest);
    }
    let clean = validate_action(&v.fields, &values).map_err(AppError::InvalidFields)?;
    let record = SubmissionRecord {
        id: format!("req_{}", uuid::Uuid::new_v4().simple()),
        action_type: action_type.to_string(),
        login: session.trader.login,
        user_id: session.trader.user_id,
        fields: serde_json::to_string(&clean).map_err(|_| AppError::Internal)?,
        created_at: now_ms(),
    };
    state.store.actions.insert_submission(&record).await.map_err(|e| {
        tracing::error!(error = %e, "action submission not stored");
        AppError::Internal
    })?;
    tracing::info!(login = %record.login, action_type, request = %record.id, "action submitted");
    Ok(record.id)
}

/// What a hand-off assertion says (the broker verifies it with the shared secret).
#[derive(Debug, Serialize, Deserialize)]
pub struct Assertion {
    /// This server's public URL.
    pub iss: String,
    /// The hand-off URL it is meant for.
    pub aud: String,
    /// The trader's cTrader userId.
    pub sub: String,
    pub login: Login,
    pub action: String,
    pub iat: i64,
    pub exp: i64,
    /// Unique per assertion, so the broker can refuse a replay.
    pub jti: String,
}

/// Where a hand-off goes and the assertion to post there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Handoff {
    pub url: String,
    pub assertion: String,
}

pub fn handoff(settings: &Settings, session: &Session, action_type: &str) -> Result<Handoff, AppError> {
    let a = settings_of(settings, action_type)?;
    if a.kind != ActionKind::Handoff {
        return Err(AppError::InvalidRequest);
    }
    let now = now_ms() / 1000;
    let claims = Assertion {
        iss: settings.server.public_url.trim_end_matches('/').to_string(),
        aud: a.url.clone(),
        sub: session.trader.user_id.to_string(),
        login: session.trader.login,
        action: action_type.to_string(),
        iat: now,
        exp: now + settings.actions.handoff_ttl_seconds as i64,
        jti: uuid::Uuid::new_v4().simple().to_string(),
    };
    let assertion =
        encode(&Header::default(), &claims, &EncodingKey::from_secret(settings.actions.handoff_secret.expose_secret().as_bytes())).map_err(|e| {
            tracing::error!(error = %e, "assertion not signed");
            AppError::Internal
        })?;
    tracing::info!(login = %session.trader.login, action_type, "hand-off assertion issued");
    Ok(Handoff { url: a.url.clone(), assertion })
}
