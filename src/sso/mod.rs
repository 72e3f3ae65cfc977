//! Full SSO: the broker as cTrader's identity provider (cTrader's "Full SSO"
//! flows). cTrader obtains a CRM API token (4.1),
//! exchanges a sign-in code for a long-term access token (4.2), re-checks
//! that token on every app start (4.3) and asks for a one-time token per
//! screen (4.4); the screens then validate that token locally. Mounted only
//! when `identity.mode = "full_sso"`.

pub mod api;
mod error;
pub mod service;
mod sign_in;

pub use error::SsoError;
pub use service::create_user;

use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;

/// The OpenAPI 3.1 description of the endpoints below, served as is.
pub const OPENAPI: &str = include_str!("openapi.json");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/oauth2/crmApiToken", post(api::crm_api_token))
        .route("/oauth2/onetime/authorize", post(api::onetime_authorize))
        .route("/oauth2/authorize", post(api::authorize))
        .route("/oauth2/onetime/generate", post(api::onetime_generate))
        .route("/oauth2/openapi.json", get(api::openapi))
        .route("/oauth2/sign-in", get(sign_in::form).post(sign_in::submit))
}
