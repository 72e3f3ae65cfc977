//! Logging set-up. Request logs carry the path and a redacted query only (see
//! [`crate::security::redact`]); HTTP client internals are kept at `warn` so no
//! URL with a manager or one-time token is ever printed.

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

pub const DEFAULT_FILTER: &str = "info,hyper=warn,hyper_util=warn,reqwest=warn,sqlx=warn,tower_http=info";

/// Installs the global subscriber; `RUST_LOG` overrides the default filter.
/// `json`: one JSON object per line (`server.log_format = "json"`), each
/// with the fields of the spans it was written in (`spans`, outermost first,
/// so an inner span never hides them): a request's `request_id`, a credit or
/// debit attempt's `payment` and `attempt`.
pub fn init<W>(writer: W, json: bool)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer).with_target(false);
    let _ = if json { builder.json().with_current_span(true).with_span_list(true).try_init() } else { builder.try_init() };
}

/// The request id of a request: the load balancer's `X-Request-Id` when it
/// comes from one of `server.trusted_proxies` and is a plain token (letters,
/// digits, `-`, `_`, `.`; at most 64), so its logs and ours line up;
/// otherwise, or without one, a new UUID. Sent back on the response too.
#[derive(Clone, Copy, Default)]
pub struct RequestIds;

impl tower_http::request_id::MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _req: &axum::http::Request<B>) -> Option<tower_http::request_id::RequestId> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        axum::http::HeaderValue::from_str(&id).ok().map(tower_http::request_id::RequestId::new)
    }
}

/// Drops an incoming `X-Request-Id` that is not a plain token or does not
/// come from a trusted proxy, so [`RequestIds`] makes one instead: a client
/// can neither put arbitrary text in our logs nor pass as another request.
pub async fn sane_request_id(
    axum::extract::State(trusted): axum::extract::State<std::sync::Arc<Vec<ipnet::IpNet>>>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let peer = req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip().to_canonical());
    let from_proxy = peer.is_some_and(|ip| trusted.iter().any(|net| net.contains(&ip)));
    let plain = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| (1..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'));
    if !(from_proxy && plain) {
        req.headers_mut().remove("x-request-id");
    }
    next.run(req).await
}
