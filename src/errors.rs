//! The one error type server functions return, shared with the browser, and
//! its mapping to translated user messages. Server code converts its own
//! failures into these variants; nothing internal (SQL, URLs, tokens) leaks.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

use crate::domain::kyc::DetailError;
use crate::domain::{AmountError, ErrorCode, Lang};
use crate::i18n::{t, t_with};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// No live session: the trader must reopen the screen from the platform.
    #[error("session expired")]
    SessionExpired,
    /// The request did not come from our own pages.
    #[error("cross-site request refused")]
    Forbidden,
    /// cTrader did not answer in time.
    #[error("trading platform unavailable")]
    PlatformUnavailable,
    /// A bug or an outage on our side; details are in the server log only.
    #[error("internal error")]
    Internal,
    /// The amount the trader typed is not acceptable.
    #[error("invalid amount")]
    InvalidAmount(AmountError),
    /// The `account` in the link is not the identified trader's.
    #[error("account belongs to someone else")]
    AccountNotYours,
    /// Deposits in this currency are not configured.
    #[error("currency not supported: {0}")]
    CurrencyNotSupported(String),
    /// A parameter the browser sent is malformed (method, key, id).
    #[error("invalid request")]
    InvalidRequest,
    /// This form was already submitted with another amount or method: the
    /// first submit stands (an idempotency key names one payment).
    #[error("form already submitted with other details")]
    AlreadySubmitted,
    /// Personal details that break the rules: `(field, error)` for each.
    #[error("invalid personal details")]
    InvalidDetails(Vec<(String, DetailError)>),
    /// The KYC case was decided: nothing can change any more.
    #[error("kyc case closed")]
    KycClosed,
    /// The payment provider did not answer.
    #[error("payment provider unavailable")]
    PaymentUnavailable,
    #[error("not found")]
    NotFound,
    /// The `actionType` in the link is not one the broker configured.
    #[error("unknown action type")]
    UnknownAction,
    /// A form action's fields that break their rules: `(field, error)` for each.
    #[error("invalid fields")]
    InvalidFields(Vec<(String, crate::domain::action::FieldError)>),
    /// A withdrawal's payout destination is refused (IBAN typo, unknown card).
    #[error("invalid payout destination")]
    InvalidPayout(crate::domain::withdrawal::PayoutError),
    /// The trader already has the most withdrawal requests waiting at once.
    #[error("too many open withdrawal requests")]
    TooManyOpenWithdrawals,
    /// The withdrawal was already approved (or closed): it can no longer be cancelled.
    #[error("withdrawal can no longer be cancelled")]
    NotCancellable,
    /// A deposit above what the trader's verification level allows now.
    #[error("above the verification level's limit")]
    AboveLevelLimit(crate::domain::limits::LevelRefusal),
    /// The trader must verify their identity first (deposits in "KYC before
    /// the first deposit" mode, withdrawals at a level without them), or
    /// wait for the review of what they sent (`pending`).
    #[error("verification required")]
    VerificationRequired { pending: bool },
    /// The request could not be decoded or sent (network down, bad body).
    #[error("request failed: {0}")]
    Transport(String),
}

impl AppError {
    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::SessionExpired => ErrorCode::SessionExpired,
            AppError::Forbidden => ErrorCode::Internal,
            AppError::PlatformUnavailable => ErrorCode::PlatformUnavailable,
            AppError::NotFound => ErrorCode::NotFound,
            _ => ErrorCode::Internal,
        }
    }

    /// The translated sentence shown to the trader.
    pub fn user_message(&self, lang: Lang) -> String {
        match self {
            AppError::InvalidAmount(e) => match e.i18n() {
                (key, None) => t(lang, key),
                (key, Some((name, value))) => t_with(lang, key, &[(name, &value)]),
            },
            AppError::AccountNotYours => t(lang, "error.account_not_yours.body"),
            AppError::AboveLevelLimit(r) if r.room.is_zero() => t(lang, "limits.reached"),
            AppError::AboveLevelLimit(r) => t_with(lang, "limits.above", &[("room", &crate::domain::format_money(r.room, r.digits, lang))]),
            AppError::VerificationRequired { pending: true } => t(lang, "limits.required_pending"),
            AppError::VerificationRequired { pending: false } => t(lang, "limits.required"),
            AppError::CurrencyNotSupported(c) => t_with(lang, "error.currency.body", &[("currency", c)]),
            AppError::InvalidRequest => t(lang, "error.invalid_request.body"),
            AppError::AlreadySubmitted => t(lang, "error.already_submitted.body"),
            AppError::InvalidDetails(_) => t(lang, "kyc.error.check_fields"),
            AppError::KycClosed => t(lang, "kyc.error.closed"),
            AppError::UnknownAction => t(lang, "action.unknown"),
            AppError::InvalidPayout(e) => t(lang, e.i18n_key()),
            AppError::NotCancellable => t(lang, "withdraw.error.not_cancellable"),
            AppError::TooManyOpenWithdrawals => t(lang, "withdraw.error.too_many_open"),
            AppError::InvalidFields(_) => t(lang, "action.error.check_fields"),
            AppError::PaymentUnavailable => t(lang, "error.payment_unavailable.body"),
            AppError::NotFound => t(lang, "error.deposit_not_found.body"),
            AppError::Forbidden => t(lang, "error.forbidden.body"),
            AppError::SessionExpired => format!("{} {}", t(lang, "error.session_expired.body"), t(lang, "error.reopen")),
            other => t(lang, &format!("error.{}.body", other.code().i18n_key())),
        }
    }
}

impl AppError {
    /// The HTTP status a server function answers with this error: 4xx for
    /// what the request got wrong, 5xx only for what we or a partner did.
    pub fn http_status(&self) -> u16 {
        match self {
            AppError::SessionExpired => 401,
            AppError::Forbidden | AppError::AccountNotYours | AppError::VerificationRequired { .. } => 403,
            AppError::NotFound | AppError::UnknownAction => 404,
            AppError::AlreadySubmitted | AppError::KycClosed | AppError::NotCancellable | AppError::TooManyOpenWithdrawals => 409,
            AppError::InvalidPayout(_) => 422,
            AppError::InvalidDetails(_) | AppError::InvalidFields(_) => 422,
            AppError::InvalidAmount(_) | AppError::CurrencyNotSupported(_) | AppError::AboveLevelLimit(_) => 422,
            AppError::InvalidRequest | AppError::Transport(_) => 400,
            AppError::PlatformUnavailable | AppError::PaymentUnavailable => 503,
            AppError::Internal => 500,
        }
    }
}

impl AppError {
    /// While the server renders a screen that shows this error instead of
    /// its content, the page answers with the error's status too (a QA tool
    /// or a crawler then sees 404 for an unknown action, 401 for no session).
    /// In the browser there is no response to change.
    pub fn set_page_status(&self) {
        #[cfg(feature = "ssr")]
        set_status(self.http_status());
    }
}

#[cfg(feature = "ssr")]
fn set_status(code: u16) {
    if let (Some(options), Ok(status)) = (leptos::prelude::use_context::<leptos_axum::ResponseOptions>(), http::StatusCode::from_u16(code)) {
        options.set_status(status);
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }

    /// Encodes the error for the response, and on the server gives that
    /// response the error's status (leptos would answer 500 for every one).
    /// Every server function's error passes here, so none can forget it.
    fn ser(&self) -> leptos::server_fn::Bytes {
        #[cfg(feature = "ssr")]
        set_status(self.http_status());
        <JsonEncoding as leptos::server_fn::Encodes<AppError>>::encode(self).unwrap_or_default()
    }
}
