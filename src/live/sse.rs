//! What every server-sent event stream shares: who may keep it open (the
//! session re-check and the per-session/per-person slots), how it ends (the
//! session ended, the server shuts down) and how it leaves (keep-alives, no
//! proxy buffering).

use std::convert::Infallible;
use std::time::Duration;

use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt};

use super::slots::{StreamSlot, PER_PERSON, PER_SESSION};
use crate::state::AppState;
use crate::web::{ApiError, Trader};

/// Whether the stream's reader is still signed in (asked every few minutes,
/// so a stream ends with its session).
pub type StillAllowed = Box<dyn Fn() -> futures::future::BoxFuture<'static, bool> + Send + Sync>;

/// The last event of a stream whose session ended: clients stop reconnecting.
pub fn ended() -> Event {
    Event::default().event("ended").data("{}")
}

/// A timer for the session re-check (`chat.session_recheck_seconds`) that
/// first fires one period from now.
pub fn recheck_timer(state: &AppState) -> tokio::time::Interval {
    let every = Duration::from_secs(state.settings.chat.session_recheck_seconds.max(1));
    let mut t = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    t
}

/// Ends `events` when the server shuts down, with a last `retry:` field so
/// the browser reconnects within half a second (to another instance, the
/// load balancer having taken this one out) and resumes from its last event.
pub fn until_shutdown<S>(events: S, shutdown: tokio_util::sync::CancellationToken) -> impl Stream<Item = Result<Event, Infallible>> + Send + 'static
where
    S: Stream<Item = Result<Event, Infallible>> + Send + 'static,
{
    let stopped = shutdown.clone().cancelled_owned();
    let farewell = futures::stream::once(async move { shutdown.is_cancelled().then(|| Ok(Event::default().retry(Duration::from_millis(500)))) })
        .filter_map(std::future::ready);
    events.take_until(stopped).chain(farewell)
}

/// An event stream with keep-alives, marked so that a reverse proxy (nginx)
/// passes each event on at once instead of buffering.
pub fn unbuffered<S: Stream<Item = Result<Event, Infallible>> + Send + 'static>(sse: Sse<S>) -> Response {
    let mut res = sse.keep_alive(KeepAlive::new().interval(Duration::from_secs(20))).into_response();
    res.headers_mut().insert("x-accel-buffering", axum::http::HeaderValue::from_static("no"));
    res
}

/// Runs a stream's task in the request's span, so what it logs carries the
/// request id of the stream it feeds (a bare `tokio::spawn` starts outside it).
pub fn spawn_in_request<F: std::future::Future<Output = ()> + Send + 'static>(task: F) {
    use tracing::Instrument;
    tokio::spawn(task.instrument(tracing::Span::current()));
}

/// A trader's stream: its slot (counted against the session and the person,
/// so one client cannot hold the server's streams) and the check that ends it
/// once the session is gone. The chat and the account stream both use it.
pub fn for_trader(state: &AppState, trader: &Trader, headers: &HeaderMap) -> Result<(StreamSlot, StillAllowed), ApiError> {
    let wanted = [(format!("session:{}", trader.0.id_hash), PER_SESSION), (format!("trader:{}", trader.0.trader.login), PER_PERSON)];
    let slot = state.streams.take(&wanted)?;
    let (st, cookie) = (state.clone(), headers.clone());
    let allowed: StillAllowed = Box::new(move || {
        let (st, cookie) = (st.clone(), cookie.clone());
        // A storage error keeps the stream; only a session that is gone ends it.
        Box::pin(async move { !matches!(crate::session::load_from_headers(&st, &cookie).await, Ok(None)) })
    });
    Ok((slot, allowed))
}
