//! The one error type server functions return, shared with the browser, and
//! its mapping to translated user messages. Server code converts its own
//! failures into these variants; nothing internal (SQL, URLs, tokens) leaks.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

use crate::domain::{ErrorCode, Lang};
use crate::i18n::t;

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
            AppError::Internal | AppError::Transport(_) => ErrorCode::Internal,
        }
    }

    /// The translated sentence shown to the trader.
    pub fn user_message(&self, lang: Lang) -> String {
        match self {
            AppError::Forbidden => t(lang, "error.forbidden.body"),
            AppError::SessionExpired => format!("{} {}", t(lang, "error.session_expired.body"), t(lang, "error.reopen")),
            other => t(lang, &format!("error.{}.body", other.code().i18n_key())),
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}
