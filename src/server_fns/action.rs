//! Server functions of the action screen: the configured action in the
//! trader's language, a form submission, and a hand-off's assertion.

use std::collections::BTreeMap;

use leptos::prelude::*;

use crate::domain::action::ActionView;
use crate::errors::AppError;

#[server(endpoint = "action/view")]
pub async fn load_action(action_type: String) -> Result<ActionView, AppError> {
    let (state, session) = crate::session::require().await?;
    crate::broker_actions::service::view(&state.settings, &action_type, session.prefs.lang)
}

/// Stores the form; answers the request's id.
#[server(endpoint = "action/submit")]
pub async fn submit_action(action_type: String, values: BTreeMap<String, String>) -> Result<String, AppError> {
    let (state, session) = crate::session::require().await?;
    crate::broker_actions::service::submit(&state, &session, &action_type, values).await
}

/// The URL and the signed assertion to post to it: `(url, assertion)`.
#[server(endpoint = "action/handoff")]
pub async fn start_handoff(action_type: String) -> Result<(String, String), AppError> {
    let (state, session) = crate::session::require().await?;
    crate::broker_actions::service::handoff(&state.settings, &session, &action_type).map(|h| (h.url, h.assertion))
}
