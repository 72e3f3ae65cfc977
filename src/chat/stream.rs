//! The live side of a conversation as server-sent events. A stream starts
//! from the seq the client last saw (`Last-Event-ID`, or `?after=`), sends
//! every later message in order, then whatever changes: new messages, the
//! other side's receipts, typing, claim/close. It subscribes before reading,
//! so nothing that happens in between is missed, and it re-reads the database
//! on every signal, so what it sends is what is stored.

use std::convert::Infallible;
use std::time::Duration;

use axum::http::HeaderMap;
use axum::response::sse::{Event, Sse};
use axum::response::Response;
use tokio::sync::{broadcast, mpsc};

use crate::domain::chat::{Author, ChatEvent, ConversationState, Receipts, Typing};
use crate::live::sse::{ended, recheck_timer, unbuffered, until_shutdown, StillAllowed};
use crate::live::Topic;
use crate::state::AppState;
use crate::time::now_ms;

/// Where a client resumes: `Last-Event-ID` (what `EventSource` sends on its
/// own) wins over `?after=`; anything unparsable is 0, the whole history.
pub fn resume_point(headers: &HeaderMap, after: Option<&str>) -> i64 {
    headers.get("last-event-id").and_then(|v| v.to_str().ok()).or(after).and_then(|v| v.trim().parse::<i64>().ok()).filter(|v| *v >= 0).unwrap_or(0)
}

/// The events of conversation `id` for `me`, from seq `after` on; `slot`
/// is held until the stream ends.
pub fn events(state: AppState, id: i64, me: Author, after: i64, allowed: StillAllowed, slot: crate::live::slots::StreamSlot) -> Response {
    let (tx, mut rx) = mpsc::channel::<Event>(32);
    let shutdown = state.streams.streams_end();
    crate::live::sse::spawn_in_request(async move {
        let _slot = slot;
        follow(state, id, me, after, tx, allowed).await
    });
    let stream = futures::stream::poll_fn(move |cx| rx.poll_recv(cx).map(|e| e.map(Ok::<_, Infallible>)));
    unbuffered(Sse::new(until_shutdown(stream, shutdown)))
}

fn event(e: &ChatEvent) -> Event {
    let data = serde_json::to_string(e).unwrap_or_else(|_| "{}".into());
    let ev = Event::default().event(e.name()).data(data);
    match e {
        ChatEvent::Message(m) => ev.id(m.seq.to_string()),
        _ => ev,
    }
}

/// What this stream last told its client.
#[derive(Default)]
struct Told {
    seq: i64,
    receipts: Option<Receipts>,
    typing: bool,
    state: Option<ConversationState>,
}

async fn follow(state: AppState, id: i64, me: Author, after: i64, tx: mpsc::Sender<Event>, allowed: StillAllowed) {
    let mut signals = state.notifier.subscribe(Topic::Conversation(id));
    let mut recheck = recheck_timer(&state);
    let mut told = Told { seq: after, ..Told::default() };
    loop {
        // Boxed: the catch-up's state only exists while it runs, so an idle
        // stream (the common case, thousands at once) stays small.
        let typing_ends = match Box::pin(catch_up(&state, id, me, &mut told, &tx)).await {
            Ok(Some(ends)) => ends,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, conversation = id, "chat stream read failed");
                // Retry on the next signal or shortly.
                now_ms() + 2_000
            }
        };
        let wait = Duration::from_millis((typing_ends - now_ms()).clamp(0, 3_600_000) as u64);
        tokio::select! {
            signal = signals.recv() => {
                if let Err(broadcast::error::RecvError::Closed) = signal {
                    signals = state.notifier.subscribe(Topic::Conversation(id));
                }
            }
            _ = tokio::time::sleep(wait), if typing_ends > 0 => {}
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

/// Sends what changed since `told`. `Ok(None)` when the client is gone;
/// otherwise when the peer's typing indicator lapses (0: not typing).
async fn catch_up(state: &AppState, id: i64, me: Author, told: &mut Told, tx: &mpsc::Sender<Event>) -> Result<Option<i64>, crate::store::StoreError> {
    let Some(conversation) = state.store.chat.conversation(id).await? else {
        return Ok(None);
    };
    while told.seq < conversation.last_seq {
        let batch = state.store.chat.messages_after(id, told.seq, 200).await?;
        if batch.is_empty() {
            break;
        }
        for m in batch {
            told.seq = m.seq;
            if tx.send(event(&ChatEvent::Message(m))).await.is_err() {
                return Ok(None);
            }
        }
    }
    let now = now_ms();
    let mut changes = Vec::new();
    let receipts = conversation.receipts_for(me);
    if told.receipts != Some(receipts) {
        told.receipts = Some(receipts);
        changes.push(ChatEvent::Receipts(receipts));
    }
    let typing = conversation.peer_typing(me, now);
    if typing != told.typing {
        told.typing = typing;
        changes.push(ChatEvent::Typing(Typing { typing }));
    }
    let st = conversation.state();
    if told.state.as_ref() != Some(&st) {
        told.state = Some(st.clone());
        changes.push(ChatEvent::Conversation(st));
    }
    for c in changes {
        if tx.send(event(&c)).await.is_err() {
            return Ok(None);
        }
    }
    let ends = match me {
        Author::Trader => conversation.staff_typing_until,
        Author::Staff => conversation.trader_typing_until,
    };
    Ok(Some(if typing { ends } else { 0 }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_event_id_wins_and_garbage_is_zero() {
        let mut h = HeaderMap::new();
        assert_eq!(resume_point(&h, Some("7")), 7);
        assert_eq!(resume_point(&h, Some("-3")), 0);
        assert_eq!(resume_point(&h, Some("x")), 0);
        h.insert("last-event-id", "12".parse().unwrap());
        assert_eq!(resume_point(&h, Some("7")), 12);
    }
}
