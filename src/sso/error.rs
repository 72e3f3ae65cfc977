use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Every refusal of the `/oauth2` endpoints, as a status and the InApp
/// `{error, message, code}` JSON. Messages never echo a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SsoError {
    #[error("the request body is not the JSON this endpoint takes")]
    Malformed,
    #[error("the body must be sent as application/json")]
    NotJson,
    #[error("the CRM API password is wrong")]
    WrongPassword,
    #[error("no CRM API token was sent")]
    MissingCrmToken,
    #[error("the CRM API token is unknown or expired")]
    InvalidCrmToken,
    #[error("the one-time token is invalid or already used")]
    InvalidOtToken,
    #[error("the one-time token has expired")]
    OtExpired,
    #[error("the access token is unknown or expired")]
    InvalidAccessToken,
    #[error("the access token was revoked")]
    AccessRevoked,
    #[error("the inappToken does not belong to this user")]
    InvalidInappToken,
    #[error("the user has no live access token (never signed in, expired or revoked)")]
    NoAccessToken,
    #[error("no user has this userId")]
    UserNotFound,
    #[error("too many wrong passwords; try again in 15 minutes")]
    TooManyAttempts,
    #[error("too many sign-ins at once; try again in a moment")]
    Busy,
    #[error("internal error")]
    Internal,
}

impl SsoError {
    pub fn status(self) -> StatusCode {
        use SsoError::*;
        match self {
            Malformed => StatusCode::BAD_REQUEST,
            NotJson => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            WrongPassword | MissingCrmToken | InvalidCrmToken | InvalidOtToken | OtExpired | InvalidAccessToken | AccessRevoked | InvalidInappToken
            | NoAccessToken => StatusCode::UNAUTHORIZED,
            UserNotFound => StatusCode::NOT_FOUND,
            TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
            Busy => StatusCode::SERVICE_UNAVAILABLE,
            Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(self) -> &'static str {
        use SsoError::*;
        match self {
            Malformed => "MALFORMED_REQUEST",
            NotJson => "UNSUPPORTED_MEDIA_TYPE",
            WrongPassword => "INVALID_PASSWORD",
            MissingCrmToken => "MISSING_CRM_API_TOKEN",
            InvalidCrmToken => "INVALID_CRM_API_TOKEN",
            InvalidOtToken => "INVALID_OT_TOKEN",
            OtExpired => "TOKEN_EXPIRED",
            InvalidAccessToken => "INVALID_ACCESS_TOKEN",
            AccessRevoked => "ACCESS_TOKEN_REVOKED",
            InvalidInappToken => "INVALID_INAPP_TOKEN",
            NoAccessToken => "NO_ACCESS_TOKEN",
            UserNotFound => "USER_NOT_FOUND",
            TooManyAttempts => "TOO_MANY_ATTEMPTS",
            Busy => "BUSY",
            Internal => "INTERNAL_ERROR",
        }
    }

    fn title(self) -> &'static str {
        match self.status() {
            StatusCode::BAD_REQUEST => "Bad Request",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "Unsupported Media Type",
            StatusCode::UNAUTHORIZED => "Unauthorized",
            StatusCode::NOT_FOUND => "Not Found",
            StatusCode::TOO_MANY_REQUESTS => "Too Many Requests",
            StatusCode::SERVICE_UNAVAILABLE => "Service Unavailable",
            _ => "Internal Server Error",
        }
    }

    /// The response with a precise message (for malformed bodies: what was wrong).
    pub fn with_message(self, message: &str) -> Response {
        let body = serde_json::json!({ "error": self.title(), "message": message, "code": self.code() });
        (self.status(), axum::Json(body)).into_response()
    }
}

impl IntoResponse for SsoError {
    fn into_response(self) -> Response {
        let mut res = self.with_message(&self.to_string());
        if self == SsoError::Busy {
            res.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static("1"));
        }
        res
    }
}

impl From<crate::security::password::Busy> for SsoError {
    fn from(_: crate::security::password::Busy) -> Self {
        SsoError::Busy
    }
}

impl From<crate::store::StoreError> for SsoError {
    fn from(e: crate::store::StoreError) -> Self {
        tracing::error!(error = %e, "sso storage error");
        SsoError::Internal
    }
}
