//! The HTTP/1.1 server loop, instead of `axum::serve`, for the limits one
//! client must not get around (`axum::serve` sets none of them):
//! - a connection must send its request head within `header_read_timeout_ms`
//!   (a client trickling headers byte by byte is cut off), and an idle
//!   keep-alive connection waiting for its next request gets the same time;
//! - a client that stops reading what it is sent for `write_timeout_ms` is
//!   cut off (only a stuck write is timed: a live event stream or a handler
//!   waiting on cTrader is never cut for being quiet);
//! - a request body must arrive within `body_timeout_ms` (`startup::routes`);
//! - a request head of at most 64 KiB and 100 headers (431 otherwise);
//! - at most `max_connections` at once (the next waits in the kernel's
//!   backlog), and at most `max_connections_per_client` from one address
//!   (more are closed at once; a trusted proxy's connections are not capped;
//!   an IPv6 client is counted by its /64, which one host can fill at will).
//!
//! HTTP/2 is left to the TLS-terminating proxy in front; a shutdown signal
//! stops accepting and lets open requests finish.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

use crate::config::ServerSection;

/// The largest request head read.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// How many connections each client address has open, for the per-client cap.
#[derive(Default)]
struct PerClient(std::sync::Mutex<std::collections::HashMap<IpAddr, usize>>);

/// One connection counted for its address until dropped.
struct ClientSlot {
    counts: Arc<PerClient>,
    ip: IpAddr,
}

impl PerClient {
    fn take(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<ClientSlot> {
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let n = counts.entry(ip).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(ClientSlot { counts: self.clone(), ip })
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut counts = self.counts.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = counts.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then waits (at
/// most 10 s) for the requests in progress.
pub async fn serve(listener: TcpListener, router: Router, limits: &ServerSection, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
    let all = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let per_client = Arc::new(PerClient::default());
    let header_timeout = Duration::from_millis(limits.header_read_timeout_ms);
    let stuck = Duration::from_millis(limits.write_timeout_ms);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = all.clone().acquire_owned() => p.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: pause rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let ip = peer.ip().to_canonical();
        let trusted = limits.trusted_proxies.iter().any(|net| net.contains(&ip));
        let slot = if trusted {
            None
        } else {
            match per_client.take(crate::web::client::client_key(ip), limits.max_connections_per_client.max(1)) {
                Some(slot) => Some(slot),
                None => {
                    // At debug level: an attacker must not be able to flood the log.
                    tracing::debug!(client = %ip, "connection refused: too many from this address");
                    continue;
                }
            }
        };
        // Streamed SSR otherwise waits on Nagle + delayed ACK (up to 40 ms per chunk on Linux).
        let _ = tcp.set_nodelay(true);
        // Reads are not timed here: hyper's header timeout covers a head and
        // an idle keep-alive, and the body deadline a body; a quiet read
        // while a handler works or a stream waits is normal.
        let mut io = tokio_io_timeout::TimeoutStream::new(tcp);
        io.set_write_timeout(Some(stuck));
        let service = TowerToHyperService::new(tower::service_fn({
            let router = router.clone();
            move |mut req: axum::http::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                router.clone().oneshot(req.map(axum::body::Body::new))
            }
        }));
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            // A request head of at most 64 KiB (a browser sends a few KiB)
            // and hyper's 100 headers: a huge cookie or thousands of headers
            // get 431 before anything reads them.
            .max_header_size(MAX_HEAD_BYTES)
            .serve_connection(TokioIo::new(Box::pin(io)), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _held = (permit, slot);
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still open 10 s after the shutdown signal; stopping anyway");
    }
    Ok(())
}
