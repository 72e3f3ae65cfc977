//! `POST /inapp/kyc/start`: a screen sends the trader into KYC (a deposit
//! above their verification level, "KYC before the first deposit", a
//! withdrawal their level does not allow). It records the KYC type that
//! would allow it and the screen to come back to in the session, then
//! opens the KYC screen. A plain form post, so it works before the WASM.
//! The type is only ever a wish: the KYC screen honours one that asks at
//! least what the trader's case already does (`service::kyc_type`).

use std::collections::HashMap;

use axum::extract::{Form, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::domain::limits::BackTo;
use crate::state::AppState;
use crate::web::caller::Trader;
use crate::web::error::ApiError;

pub async fn start(State(state): State<AppState>, Trader(session): Trader, Form(form): Form<HashMap<String, String>>) -> Result<Response, ApiError> {
    let back = form
        .get("back")
        .and_then(|b| BackTo::parse(b))
        .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "INVALID_REQUEST", "back must be deposit or withdrawal"))?;
    let wanted = form.get("kycType").filter(|t| state.settings.kyc.types.contains_key(t.as_str()));
    state.store.sessions.set_kyc(&session.id_hash, wanted.map(String::as_str), back.as_str()).await?;
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, "/inapp/kyc")]).into_response())
}
