//! Logging set-up. Request logs carry the path and a redacted query only (see
//! [`crate::security::redact`]); HTTP client internals are kept at `warn` so no
//! URL with a manager or one-time token is ever printed.

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

pub const DEFAULT_FILTER: &str = "info,hyper=warn,hyper_util=warn,reqwest=warn,sqlx=warn,tower_http=info";

/// Installs the global subscriber; `RUST_LOG` overrides the default filter.
pub fn init<W>(writer: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer).with_target(false).try_init();
}
