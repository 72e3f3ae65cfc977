//! Fault injection: per endpoint, a delay, an error status, a dropped
//! connection, "applied but the answer was lost", or "applied late, after the
//! caller gave up", with a probability and an optional count. It is a layer
//! around each contract route ([`on`]), so the handlers are cTrader's contract
//! and nothing else; the one fault a handler must take part in (`slowApply`:
//! the change lands later) reaches it as a request extension.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{from_fn_with_state, Next};
use axum::response::Response;
use axum::routing::MethodRouter;
use rand::Rng;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::SimState;

/// The endpoints faults and call counts are kept for.
pub const ENDPOINTS: [&str; 6] = ["managerToken", "resolve", "trader", "changeBalance", "balanceHistory", "updateTrader"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FaultKind {
    /// Wait `delayMs`, then answer normally (past the client's timeout = a timeout).
    Delay,
    /// Answer `status` without doing anything.
    Error,
    /// Drop the connection without doing anything.
    Reset,
    /// Do the work, then drop the connection: the caller cannot know it happened.
    LostReply,
    /// (changeBalance) Apply the change `delayMs` later, even if the caller has
    /// given up by then: a platform still processing after a client timeout.
    SlowApply,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fault {
    pub endpoint: String,
    pub kind: FaultKind,
    #[serde(default)]
    pub delay_ms: u64,
    #[serde(default = "default_status")]
    pub status: u16,
    #[serde(default = "default_probability")]
    pub probability: f64,
    /// How many more calls it applies to; `None` = until cleared.
    #[serde(default)]
    pub remaining: Option<i64>,
}

fn default_status() -> u16 {
    503
}
fn default_probability() -> f64 {
    1.0
}

pub async fn save(state: &SimState, f: &Fault) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sim_faults (endpoint, kind, delay_ms, status, probability, remaining) VALUES (?,?,?,?,?,?) \
         ON CONFLICT(endpoint) DO UPDATE SET kind = excluded.kind, delay_ms = excluded.delay_ms, \
         status = excluded.status, probability = excluded.probability, remaining = excluded.remaining",
    )
    .bind(&f.endpoint)
    .bind(serde_json::to_value(f.kind).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default())
    .bind(f.delay_ms as i64)
    .bind(f.status as i64)
    .bind(f.probability)
    .bind(f.remaining)
    .execute(&state.pool)
    .await?;
    Ok(())
}

pub async fn list(state: &SimState) -> Result<Vec<Fault>, sqlx::Error> {
    let rows = sqlx::query("SELECT * FROM sim_faults ORDER BY endpoint").fetch_all(&state.pool).await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            Some(Fault {
                endpoint: r.try_get("endpoint").ok()?,
                kind: serde_json::from_value(serde_json::Value::String(r.try_get("kind").ok()?)).ok()?,
                delay_ms: r.try_get::<i64, _>("delay_ms").ok()? as u64,
                status: r.try_get::<i64, _>("status").ok()? as u16,
                probability: r.try_get("probability").ok()?,
                remaining: r.try_get("remaining").ok()?,
            })
        })
        .collect())
}

/// The fault to apply to this call of `endpoint`, if one is set and the dice say so.
async fn draw(state: &SimState, endpoint: &str) -> Option<Fault> {
    let fault = list(state).await.ok()?.into_iter().find(|f| f.endpoint == endpoint || f.endpoint == "*")?;
    if !rand::thread_rng().gen_bool(fault.probability.clamp(0.0, 1.0)) {
        return None;
    }
    if fault.remaining.is_some() {
        let used = sqlx::query("UPDATE sim_faults SET remaining = remaining - 1 WHERE endpoint = ? AND remaining > 0")
            .bind(&fault.endpoint)
            .execute(&state.pool)
            .await
            .ok()?;
        if used.rows_affected() == 0 {
            return None;
        }
    }
    Some(fault)
}

/// Which contract endpoint a route is.
#[derive(Clone)]
struct Scope {
    state: SimState,
    endpoint: &'static str,
}

/// `slowApply` was drawn: the change must land at `due` (measured from the
/// request's arrival, not from the handler's own bookkeeping, which is slow
/// on a loaded machine), whether or not the caller still waits.
#[derive(Debug, Clone, Copy)]
pub struct SlowApply {
    pub due: tokio::time::Instant,
}

/// Wraps `route`, which serves `endpoint` of the contract: counts the call
/// and keeps it in flight, then applies the fault set for it, if any.
pub fn on<S: Clone + Send + Sync + 'static>(state: &SimState, endpoint: &'static str, route: MethodRouter<S>) -> MethodRouter<S> {
    route.layer(from_fn_with_state(Scope { state: state.clone(), endpoint }, inject))
}

async fn inject(State(scope): State<Scope>, mut req: Request, next: Next) -> Response {
    // Counted from the first moment, before anything can await.
    let _in_flight = scope.state.in_flight(scope.endpoint);
    let arrived = tokio::time::Instant::now();
    count_call(&scope.state, scope.endpoint).await;
    let fault = draw(&scope.state, scope.endpoint).await;
    match fault.as_ref().map(|f| f.kind) {
        Some(FaultKind::Delay) => tokio::time::sleep(Duration::from_millis(fault.as_ref().map_or(0, |f| f.delay_ms))).await,
        Some(FaultKind::Error) => {
            let status = fault.as_ref().and_then(|f| StatusCode::from_u16(f.status).ok()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            return super::json::error(status, "INJECTED_FAULT", "fault injected by the simulator");
        }
        Some(FaultKind::Reset) => return dropped_connection(),
        Some(FaultKind::SlowApply) => {
            let delay = Duration::from_millis(fault.as_ref().map_or(0, |f| f.delay_ms));
            req.extensions_mut().insert(SlowApply { due: arrived + delay });
        }
        Some(FaultKind::LostReply) | None => {}
    }
    let response = next.run(req).await;
    // The work was done (whatever its outcome); the caller never hears of it.
    if fault.is_some_and(|f| f.kind == FaultKind::LostReply) {
        return dropped_connection();
    }
    response
}

/// A response whose body fails at once: the server closes the connection
/// mid-answer, as a crash or a network cut would.
fn dropped_connection() -> Response {
    let stream =
        futures::stream::once(async { Err::<Bytes, std::io::Error>(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "injected connection reset")) });
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .header("content-length", "64")
        .body(Body::from_stream(stream))
        .expect("static response parts are valid")
}

async fn count_call(state: &SimState, endpoint: &str) {
    let _ = sqlx::query("INSERT INTO sim_calls (endpoint, count) VALUES (?, 1) ON CONFLICT(endpoint) DO UPDATE SET count = count + 1")
        .bind(endpoint)
        .execute(&state.pool)
        .await;
}
