//! Trader identity: the one-time token → session exchange, the session cookie,
//! and how screens and server functions find the trader. After the first
//! request the token is gone from the URL and the session (an opaque, random,
//! HttpOnly cookie backed by the database) identifies the trader.

mod cookie;
mod gate;
mod model;
mod service;

pub use cookie::{hash, new_session_id, session_ids, set_cookie, set_named};
pub use gate::inapp_gate;
pub use model::{Prefs, Session, TraderIdentity};
pub use service::{create, live, load_from_headers, page_context, touch};

use crate::errors::AppError;
use crate::state::AppState;

/// The trader behind the current server-function call, or `SessionExpired`:
/// the server functions' side of the [`crate::web::Trader`] extractor.
pub async fn require() -> Result<(AppState, Session), AppError> {
    use leptos::prelude::use_context;
    let state = use_context::<AppState>().ok_or(AppError::Internal)?;
    let parts = use_context::<http::request::Parts>().ok_or(AppError::Internal)?;
    match crate::web::caller::trader_session(&state, &parts).await {
        Ok(Some(session)) => Ok((state, session)),
        Ok(None) => Err(AppError::SessionExpired),
        Err(e) => {
            tracing::error!(error = %crate::web::error::cause_chain(&e), "session lookup failed");
            Err(AppError::Internal)
        }
    }
}
