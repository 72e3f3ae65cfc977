/// What went wrong talking to cTrader, in the terms callers act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CtraderError {
    /// 404 (or the older 417): the token or trader does not exist.
    #[error("not found")]
    NotFound,
    /// 410: the one-time token expired or was already used.
    #[error("gone (expired or already used)")]
    Gone,
    /// The answer had no user context.
    #[error("no user context in the answer")]
    NoUser,
    /// The manager credentials were refused.
    #[error("manager credentials refused")]
    Unauthorized,
    /// cTrader understood and refused (4xx other than the above).
    #[error("refused with status {status}: {detail}")]
    Rejected { status: u16, detail: String },
    /// No answer, a timeout, a dropped connection, a 5xx, 408 or 429: the outcome is unknown.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// An answer we could not understand.
    #[error("unexpected answer: {0}")]
    Protocol(String),
}

impl CtraderError {
    pub(crate) fn from_reqwest(e: reqwest::Error) -> Self {
        // `without_url` because the URL carries the manager token.
        let e = e.without_url();
        if e.is_decode() {
            CtraderError::Protocol(e.to_string())
        } else {
            CtraderError::Unavailable(if e.is_timeout() { "timed out".into() } else { e.to_string() })
        }
    }
}
