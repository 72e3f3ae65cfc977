//! KYC server functions: the case as the trader sees it, and saving the
//! personal details. Uploads are a plain multipart endpoint (`kyc::upload`),
//! since a server function would buffer the whole file.

use leptos::prelude::*;

use crate::domain::kyc::KycView;
use crate::errors::AppError;

/// The trader's case, at the level the case or the session's opening link
/// set (never one the browser names).
#[server(endpoint = "kyc/view")]
pub async fn load_kyc() -> Result<KycView, AppError> {
    let (state, session) = crate::session::require().await?;
    crate::kyc::service::view(&state, &session).await
}

/// "Continue on your phone": a single-use, short-lived link (and its QR
/// code) to this trader's upload of `document_type` on another device.
#[server(endpoint = "kyc/handoff")]
pub async fn start_handoff(document_type: String) -> Result<crate::domain::kyc::Handoff, AppError> {
    let (state, session) = crate::session::require().await?;
    let doc = crate::domain::kyc::DocumentType::parse(&document_type).ok_or(AppError::InvalidRequest)?;
    crate::kyc::handoff::create(&state, &session, doc).await
}

#[server(endpoint = "kyc/details")]
pub async fn save_kyc_details(
    full_name: Option<String>,
    date_of_birth: Option<String>,
    address: Option<String>,
    country: Option<String>,
    tax_id: Option<String>,
    source_of_funds: Option<String>,
    #[server(default)] mrz: Option<String>,
) -> Result<KycView, AppError> {
    let (state, session) = crate::session::require().await?;
    let values = [
        ("full_name", full_name),
        ("date_of_birth", date_of_birth),
        ("address", address),
        ("country", country),
        ("tax_id", tax_id),
        ("source_of_funds", source_of_funds),
        ("mrz", mrz),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
    .collect();
    crate::kyc::service::save_details(&state, &session, values).await
}
