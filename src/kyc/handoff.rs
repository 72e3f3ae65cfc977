//! "Continue on your phone": a desktop without a camera shows a QR code on
//! the KYC upload screen; the phone that scans it gets the same trader's
//! upload screen (camera capture included) in a session of its own, and
//! the desktop, following the case live, moves on as each document arrives.
//!
//! The link is single-use and short-lived (`kyc.handoff_minutes`), bound to
//! the desktop session (so to its trader and case) and to one document
//! type; only its code's hash is stored. It lives outside `/inapp` (the gate
//! would ask for a token): `GET /kyc/handoff/{code}`. A browser already
//! signed in to another trader is refused and the link left unused, so a
//! phone never mixes two accounts' documents.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use qrcode::render::svg;
use qrcode::QrCode;

use crate::domain::kyc::DocumentType;
use crate::domain::ErrorCode;
use crate::errors::AppError;
use crate::session::{hash, new_session_id, Prefs, Session};
use crate::state::AppState;
use crate::store::NewHandoff;

/// What the desktop shows: the QR code (SVG, drawn here) and the link it holds.
pub async fn create(state: &AppState, session: &Session, document_type: DocumentType) -> Result<crate::domain::kyc::Handoff, AppError> {
    let code = new_session_id();
    let now = state.clock.now_ms();
    let expires_at = now + i64::from(state.settings.kyc.handoff_minutes) * 60_000;
    let handoff = NewHandoff {
        code_hash: &hash(&code),
        session_hash: &session.id_hash,
        login: session.trader.login,
        document_type: document_type.as_str(),
        now,
        expires_at,
    };
    state.store.sessions.create_handoff(&handoff).await.map_err(|e| {
        tracing::error!(error = %e, "storing a hand-off code failed");
        AppError::Internal
    })?;
    let url = format!("{}/kyc/handoff/{code}", state.settings.server.public_url.trim_end_matches('/'));
    let svg = QrCode::new(url.as_bytes())
        .map_err(|_| AppError::Internal)?
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    Ok(crate::domain::kyc::Handoff { url, svg, expires_at_ms: expires_at })
}

/// `GET /kyc/handoff/{code}`: the phone's way in.
pub async fn open(State(state): State<AppState>, Path(code): Path<String>, headers: HeaderMap) -> Response {
    let prefs = Prefs::default();
    let refuse = |code: ErrorCode| {
        let page = crate::session::page_context(&state, prefs, None);
        crate::render::error_page(&page, &state.css_href(), code)
    };
    // Signed in to another trader here: refused, the link still unused.
    let here = match crate::session::load_from_headers(&state, &headers).await {
        Ok(here) => here,
        Err(e) => {
            tracing::error!(error = %e, "session lookup failed");
            return refuse(ErrorCode::Internal);
        }
    };
    let code_hash = hash(&code);
    let desktop = match state.store.sessions.peek_handoff(&code_hash, state.clock.now_ms()).await {
        Ok(Some(login)) => login,
        Ok(None) => return refuse(ErrorCode::HandoffUsed),
        Err(e) => {
            tracing::error!(error = %e, "hand-off lookup failed");
            return refuse(ErrorCode::Internal);
        }
    };
    if here.as_ref().is_some_and(|s| s.trader.login != desktop) {
        return refuse(ErrorCode::HandoffOtherAccount);
    }
    let redeemed = match state.store.sessions.redeem_handoff(&code_hash, state.clock.now_ms()).await {
        Ok(Some(r)) => r,
        Ok(None) => return refuse(ErrorCode::HandoffUsed),
        Err(e) => {
            tracing::error!(error = %e, "hand-off redeem failed");
            return refuse(ErrorCode::Internal);
        }
    };
    let (session_hash, document_type) = redeemed;
    // The desktop session must still be live: the phone gets no more than it.
    let source = match crate::session::live(&state, &session_hash).await {
        Ok(Some(s)) => s,
        Ok(None) => return refuse(ErrorCode::HandoffUsed),
        Err(e) => {
            tracing::error!(error = %e, "hand-off session lookup failed");
            return refuse(ErrorCode::Internal);
        }
    };
    let id = match crate::session::create(&state, &source.trader, source.prefs, None, source.kyc_type.clone()).await {
        Ok(id) => id,
        Err(e) => {
            tracing::error!(error = %e, "hand-off session create failed");
            return refuse(ErrorCode::Internal);
        }
    };
    tracing::info!(login = %source.trader.login, "upload continued on another device");
    let location = format!("/inapp/kyc/upload?documentType={document_type}");
    let mut res = StatusCode::SEE_OTHER.into_response();
    let h = res.headers_mut();
    h.insert(header::LOCATION, HeaderValue::from_str(&location).unwrap_or(HeaderValue::from_static("/inapp/kyc")));
    h.insert(header::SET_COOKIE, crate::session::set_cookie(&state.settings, &id));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
