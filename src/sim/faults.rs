//! Fault injection: per endpoint, a delay, an error status, a dropped
//! connection, "applied but the answer was lost", or "applied late, after the
//! caller gave up", with a probability and an optional count.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::StatusCode;
use axum::response::Response;
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

/// What happens before the endpoint does its work. `Some` = answer this instead.
/// A `LostReply` draw is handed back for [`after`].
pub async fn before(state: &SimState, endpoint: &str) -> Result<Option<Fault>, Response> {
    count_call(state, endpoint).await;
    let Some(fault) = draw(state, endpoint).await else { return Ok(None) };
    match fault.kind {
        FaultKind::Delay => {
            tokio::time::sleep(Duration::from_millis(fault.delay_ms)).await;
            Ok(None)
        }
        FaultKind::Error => {
            let status = StatusCode::from_u16(fault.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            Err(super::json::error(status, "INJECTED_FAULT", "fault injected by the simulator"))
        }
        FaultKind::Reset => Err(dropped_connection()),
        FaultKind::LostReply | FaultKind::SlowApply => Ok(Some(fault)),
    }
}

/// What the caller gets after the work was done.
pub fn after(drawn: Option<Fault>, response: Response) -> Response {
    match drawn {
        Some(f) if f.kind == FaultKind::LostReply => dropped_connection(),
        _ => response,
    }
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
