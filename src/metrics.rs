//! Prometheus metrics, served on the admin listener (`server.admin_addr`),
//! never on the public port. The `metrics` facade is what the code records
//! into (counters and histograms where things happen); the recorder is
//! process-wide, installed once, and rendered on each scrape together with
//! gauges read at that moment (each outbox's backlog, from the database, so
//! every instance reports the same shared queues).
//!
//! What is recorded, and where:
//! - `inapp_http_requests_total{method,route,status}` and
//!   `inapp_http_request_duration_seconds{method,route}`: [`track_http`], by
//!   the matched route (never the raw path: ids would explode the series);
//! - `inapp_sse_streams_open`: `live::slots` (live streams held here);
//! - `inapp_outbox_jobs{queue}`, `inapp_outbox_oldest_age_seconds{queue}`: [`render`];
//! - `inapp_ledger_attempts_total{change,outcome}` and
//!   `inapp_ledger_duplicates_total{change}`: `ledger` (credits and debits);
//! - `inapp_ctrader_requests_total{endpoint,outcome}` and
//!   `inapp_ctrader_request_duration_seconds{endpoint}`: `ctrader::client`;
//! - `inapp_uploads_total{outcome}`: `kyc::upload` (KYC documents and chat attachments).

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::state::AppState;
use crate::time::now_ms;

/// Latency buckets (seconds) for every histogram: 1 ms to 30 s.
const BUCKETS: [f64; 14] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// The process-wide recorder (tests start several apps in one process).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new().set_buckets(&BUCKETS).expect("fixed, non-empty buckets");
        match builder.install_recorder() {
            Ok(handle) => handle,
            // Another recorder was installed first: keep one of our own
            // (rendered, never fed) rather than fail to start.
            Err(e) => {
                tracing::warn!(error = %e, "metrics recorder not installed");
                PrometheusBuilder::new().build_recorder().handle()
            }
        }
    })
}

/// Counts and times every request by its matched route.
pub async fn track_http(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().as_str().to_owned();
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "other".to_owned());
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!("inapp_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!("inapp_http_request_duration_seconds", "method" => method, "route" => route).record(started.elapsed().as_secs_f64());
    res
}

/// `GET /metrics` on the admin listener: the recorded series plus the
/// outboxes' backlog read now.
pub async fn render(State(state): State<AppState>) -> Response {
    match state.store.backlogs().await {
        Ok(backlogs) => {
            for b in backlogs {
                metrics::gauge!("inapp_outbox_jobs", "queue" => b.queue).set(b.jobs as f64);
                let age = b.oldest_at.map(|at| (now_ms() - at).max(0) as f64 / 1000.0).unwrap_or(0.0);
                metrics::gauge!("inapp_outbox_oldest_age_seconds", "queue" => b.queue).set(age);
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: outbox backlog unreadable"),
    }
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], handle().render()).into_response()
}
