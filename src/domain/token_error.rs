use serde::{Deserialize, Serialize};

/// Why a screen could not identify the trader. The first three are cTrader's InApp
/// machine-readable codes; the others are this server's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorCode {
    InvalidOtToken,
    TokenExpired,
    UserNotFound,
    /// No token and no live session: the screen was opened directly or left idle.
    SessionExpired,
    /// cTrader did not answer in time; the token may still be good.
    PlatformUnavailable,
    NotFound,
    /// Signed in, but this role may not do that (back-office).
    Forbidden,
    /// A "continue on your phone" link that was used or has expired.
    HandoffUsed,
    /// A "continue on your phone" link opened in a browser signed in to another trader.
    HandoffOtherAccount,
    Internal,
}

impl ErrorCode {
    pub fn code(self) -> &'static str {
        match self {
            ErrorCode::InvalidOtToken => "INVALID_OT_TOKEN",
            ErrorCode::TokenExpired => "TOKEN_EXPIRED",
            ErrorCode::UserNotFound => "USER_NOT_FOUND",
            ErrorCode::SessionExpired => "SESSION_EXPIRED",
            ErrorCode::PlatformUnavailable => "PLATFORM_UNAVAILABLE",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::HandoffUsed => "HANDOFF_LINK_USED",
            ErrorCode::HandoffOtherAccount => "HANDOFF_OTHER_ACCOUNT",
            ErrorCode::Internal => "INTERNAL_ERROR",
        }
    }

    /// The contract's English `error` title for the JSON form.
    pub fn title(self) -> &'static str {
        match self {
            ErrorCode::InvalidOtToken => "Invalid Token",
            ErrorCode::TokenExpired => "Token Expired",
            ErrorCode::UserNotFound => "User Not Found",
            ErrorCode::SessionExpired => "Session Expired",
            ErrorCode::PlatformUnavailable => "Platform Unavailable",
            ErrorCode::NotFound => "Not Found",
            ErrorCode::Forbidden => "Forbidden",
            ErrorCode::HandoffUsed => "Link Used",
            ErrorCode::HandoffOtherAccount => "Another Account",
            ErrorCode::Internal => "Internal Error",
        }
    }

    /// The contract's English `message` for the JSON form.
    pub fn message(self) -> &'static str {
        match self {
            ErrorCode::InvalidOtToken => "The provided token is invalid or expired",
            ErrorCode::TokenExpired => "The provided token has expired",
            ErrorCode::UserNotFound => "User context not found in token",
            ErrorCode::SessionExpired => "No active session; reopen the screen from the trading platform",
            ErrorCode::PlatformUnavailable => "The trading platform did not answer; try again",
            ErrorCode::NotFound => "There is no such page",
            ErrorCode::Forbidden => "This account may not do that",
            ErrorCode::HandoffUsed => "This link was used or has expired; show a new code on your computer",
            ErrorCode::HandoffOtherAccount => "This browser is signed in to another trading account",
            ErrorCode::Internal => "Something went wrong on our side",
        }
    }

    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::InvalidOtToken => 401,
            ErrorCode::TokenExpired => 410,
            ErrorCode::UserNotFound => 404,
            ErrorCode::SessionExpired => 401,
            ErrorCode::PlatformUnavailable => 503,
            ErrorCode::NotFound => 404,
            ErrorCode::Forbidden => 403,
            ErrorCode::HandoffUsed => 410,
            ErrorCode::HandoffOtherAccount => 409,
            ErrorCode::Internal => 500,
        }
    }

    /// Translation key prefix: `error.<key>.title`, `error.<key>.body`.
    pub fn i18n_key(self) -> &'static str {
        match self {
            ErrorCode::InvalidOtToken => "invalid_token",
            ErrorCode::TokenExpired => "token_expired",
            ErrorCode::UserNotFound => "user_not_found",
            ErrorCode::SessionExpired => "session_expired",
            ErrorCode::PlatformUnavailable => "unavailable",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::HandoffUsed => "handoff_used",
            ErrorCode::HandoffOtherAccount => "handoff_other_account",
            ErrorCode::Internal => "internal",
        }
    }

    /// Whether reloading the same URL can help (the token was not consumed).
    pub fn retryable(self) -> bool {
        matches!(self, ErrorCode::PlatformUnavailable | ErrorCode::Internal)
    }
}
