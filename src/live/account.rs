//! `GET /inapp/account/events`: tells the trader's screens that their
//! account changed (a deposit, withdrawal or KYC case moved on), so the
//! deposit progress, the withdrawal list and the KYC status re-read at once
//! instead of polling.
//!
//! Each event is a bare `change`: the screen re-reads through its own server
//! function, so the stream carries no data and cannot disagree with a page.
//! The first `change` goes out as soon as the stream listens, which covers
//! whatever changed between the page's render and the stream opening, and a
//! reconnect after any gap.

use std::convert::Infallible;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, Sse};
use axum::response::Response;
use tokio::sync::{broadcast, mpsc};

use super::sse::{ended, recheck_timer, unbuffered, until_shutdown, StillAllowed};
use super::Topic;
use crate::domain::Login;
use crate::state::AppState;
use crate::web::{ApiError, Trader};

pub async fn events(State(state): State<AppState>, trader: Trader, headers: HeaderMap) -> Result<Response, ApiError> {
    let (slot, allowed) = super::sse::for_trader(&state, &trader, &headers)?;
    let login = trader.0.trader.login;
    // Listening before the first `change` goes out: nothing falls between.
    let signals = state.notifier.subscribe(Topic::Account(login));
    let (tx, mut rx) = mpsc::channel::<Event>(4);
    let shutdown = state.streams.streams_end();
    super::sse::spawn_in_request(async move {
        let _slot = slot;
        follow(state, login, signals, tx, allowed).await
    });
    let stream = futures::stream::poll_fn(move |cx| rx.poll_recv(cx).map(|e| e.map(Ok::<_, Infallible>)));
    Ok(unbuffered(Sse::new(until_shutdown(stream, shutdown))))
}

fn change() -> Event {
    Event::default().event("change").data("{}")
}

async fn follow(state: AppState, login: Login, mut signals: broadcast::Receiver<i64>, tx: mpsc::Sender<Event>, allowed: StillAllowed) {
    let mut recheck = recheck_timer(&state);
    if tx.send(change()).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            signal = signals.recv() => {
                match signal {
                    // A burst (several rows in one write, or the screen is
                    // slow to read) is one look: what is pending is dropped
                    // and a single `change` goes out.
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {
                        while matches!(signals.try_recv(), Ok(_) | Err(broadcast::error::TryRecvError::Lagged(_))) {}
                        if tx.send(change()).await.is_err() {
                            return;
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => signals = state.notifier.subscribe(Topic::Account(login)),
                }
            }
            _ = recheck.tick() => {
                if !allowed().await {
                    let _ = tx.send(ended()).await;
                    return;
                }
            }
            _ = tx.closed() => return,
        }
    }
}
