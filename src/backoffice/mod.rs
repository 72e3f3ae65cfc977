//! The broker's back-office at `/backoffice`: staff sign-in (argon2 password
//! hashes, sessions separate from traders'), roles, and what staff can see.
//! Today: the latest deposits with their states, including paid deposits held
//! for review, which an admin can send back to the crediting worker, and any
//! credit cTrader holds twice (until an admin has reversed it); bank
//! transfers received, statements and four-eyes approvals, and withdrawals
//! to approve, debit and pay, for finance; the KYC
//! queue and cases for compliance; the support inbox and conversations.

mod actions;
mod auth;
mod bank;
mod chat;
mod duplicates;
mod kyc;
mod mrz;
mod pages;
mod screening;
mod sso;
mod withdrawals;

pub use auth::{create_staff, current as current_staff, hash_password, Role};
pub use bank::{import as bank_statement_import, MAX_STATEMENT_BYTES};
pub use chat::upload as chat_upload;

use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/backoffice", get(pages::dashboard))
        .route("/backoffice/sign-in", get(pages::sign_in_form).post(pages::sign_in))
        .route("/backoffice/sign-out", post(pages::sign_out))
        .route("/backoffice/deposits/{id}/retry-credit", post(pages::retry_credit))
        .route("/backoffice/deposits/{id}/duplicate-reversed", post(duplicates::reversed))
        .route("/backoffice/kyc", get(kyc::queue))
        .route("/backoffice/kyc/{login}", get(kyc::case))
        .route("/backoffice/kyc/{login}/level", post(kyc::set_level))
        .route("/backoffice/kyc/{login}/{verdict}", post(kyc::decide_case))
        .route("/backoffice/kyc/documents/{id}", get(kyc::document_file))
        .route("/backoffice/kyc/documents/{id}/{verdict}", post(kyc::decide_document))
        .route("/backoffice/kyc/screening/{id}", post(screening::decide))
        .route("/backoffice/requests", get(actions::list))
        .route("/backoffice/bank", get(bank::show))
        .route("/backoffice/bank/wires", post(bank::record))
        .route("/backoffice/bank/wires/{id}/approve", post(bank::approve))
        .route("/backoffice/bank/wires/{id}/discard", post(bank::discard))
        .route("/backoffice/bank/entries/{id}/assign", post(bank::assign))
        .route("/backoffice/bank/entries/{id}/dismiss", post(bank::dismiss))
        .route("/backoffice/withdrawals", get(withdrawals::show))
        .route("/backoffice/withdrawals/{id}/approve", post(withdrawals::approve))
        .route("/backoffice/withdrawals/{id}/reject", post(withdrawals::reject))
        .route("/backoffice/withdrawals/{id}/paid", post(withdrawals::paid))
        .route("/backoffice/withdrawals/{id}/reversed", post(withdrawals::reversed))
        .route("/backoffice/chat", get(chat::inbox))
        .route("/backoffice/chat/events", get(chat::inbox_events))
        .route("/backoffice/chat/attachments/{id}", get(chat::attachment))
        .route("/backoffice/chat/{id}", get(chat::page_view))
        .route("/backoffice/chat/{id}/events", get(chat::events))
        .route("/backoffice/chat/{id}/messages", post(chat::post_message))
        .route("/backoffice/chat/{id}/reply", post(chat::reply_form))
        .route("/backoffice/chat/{id}/receipts", post(chat::post_receipts))
        .route("/backoffice/chat/{id}/typing", post(chat::post_typing))
        .route("/backoffice/chat/{id}/{action}", post(chat::act))
        .route("/backoffice/sso", get(sso::tokens))
        .route("/backoffice/sso/tokens/{id}/revoke", post(sso::revoke))
        .layer(from_fn_with_state(state.clone(), crate::web::render_page_errors))
}
