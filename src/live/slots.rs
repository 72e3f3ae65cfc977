//! How many live event streams one caller may hold open at once on this
//! instance: a few per session (tabs, a reconnect overlapping the old
//! stream) and per trader (several devices), so one client cannot tie up
//! the server's tasks and connections with thousands of streams. Counted in
//! memory: a stream lives on one instance, and its slot ends with it.
//!
//! The registry also ends every stream when the server shuts down: a stream
//! never finishes by itself, so the graceful shutdown would otherwise wait
//! out its deadline; ended, each client reconnects and resumes where it was.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::web::ApiError;

/// Streams per session, and per trader or staff member.
pub const PER_SESSION: usize = 4;
pub const PER_PERSON: usize = 8;

#[derive(Default)]
pub struct StreamSlots {
    counts: Mutex<HashMap<String, usize>>,
    /// Streams end.
    stopping: tokio_util::sync::CancellationToken,
    /// The shutdown began: not ready, no new outbox jobs (streams go on until `stopping`).
    draining: tokio_util::sync::CancellationToken,
}

/// Held by a live stream; gives its places back when the stream ends.
pub struct StreamSlot {
    slots: Arc<StreamSlots>,
    keys: Vec<String>,
    /// A live stream (counted in `inapp_sse_streams_open`), not an upload.
    stream: bool,
}

impl StreamSlots {
    /// One more stream under every `(key, most)`, or 429 when one of them is full.
    pub fn take(self: &Arc<Self>, wanted: &[(String, usize)]) -> Result<StreamSlot, ApiError> {
        let mut slot = self.try_take(wanted).ok_or_else(|| {
            ApiError::new(axum::http::StatusCode::TOO_MANY_REQUESTS, "TOO_MANY_STREAMS", "too many live streams open; close one first").retry_after(5)
        })?;
        slot.stream = true;
        metrics::gauge!("inapp_sse_streams_open").increment(1.0);
        Ok(slot)
    }

    /// One more place under every `(key, most)`, if none is full (also what
    /// holds a trader's uploads in flight against their quota).
    pub fn try_take(self: &Arc<Self>, wanted: &[(String, usize)]) -> Option<StreamSlot> {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if wanted.iter().any(|(key, most)| counts.get(key).copied().unwrap_or(0) >= *most) {
            return None;
        }
        for (key, _) in wanted {
            *counts.entry(key.clone()).or_insert(0) += 1;
        }
        Some(StreamSlot { slots: self.clone(), keys: wanted.iter().map(|(k, _)| k.clone()).collect(), stream: false })
    }

    pub fn open(&self, key: &str) -> usize {
        self.counts.lock().unwrap_or_else(|e| e.into_inner()).get(key).copied().unwrap_or(0)
    }

    /// The shutdown began: `/readyz` fails and the outbox workers take no
    /// new job, while requests and live streams are still served (the load
    /// balancer needs a moment to send new clients elsewhere; a stream ended
    /// now would reconnect to this same instance).
    pub fn begin_shutdown(&self) {
        self.draining.cancel();
    }

    /// The drain is over: every live stream ends now.
    pub fn stop_all(&self) {
        self.draining.cancel();
        self.stopping.cancel();
    }

    /// Whether the shutdown began (`/readyz` fails from then on).
    pub fn draining(&self) -> bool {
        self.draining.is_cancelled()
    }

    /// The beginning of the shutdown, for what must stop taking new work (the outbox workers).
    pub fn shutdown(&self) -> tokio_util::sync::CancellationToken {
        self.draining.clone()
    }

    /// The end of the drain, when live streams end (`stream::until_shutdown`).
    pub fn streams_end(&self) -> tokio_util::sync::CancellationToken {
        self.stopping.clone()
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        if self.stream {
            metrics::gauge!("inapp_sse_streams_open").decrement(1.0);
        }
        let mut counts = self.slots.counts.lock().unwrap_or_else(|e| e.into_inner());
        for key in &self.keys {
            if let Some(n) = counts.get_mut(key) {
                *n -= 1;
                if *n == 0 {
                    counts.remove(key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_is_given_back_when_its_stream_ends() {
        let slots = Arc::new(StreamSlots::default());
        let key = |k: &str, most| (k.to_string(), most);
        let a = slots.take(&[key("s", 2), key("p", 3)]).unwrap();
        let _b = slots.take(&[key("s", 2), key("p", 3)]).unwrap();
        assert!(slots.take(&[key("s", 2), key("p", 3)]).is_err(), "the session's two are taken");
        let _c = slots.take(&[key("t", 2), key("p", 3)]).unwrap();
        assert!(slots.take(&[key("u", 2), key("p", 3)]).is_err(), "the person's three are taken");
        drop(a);
        assert_eq!(slots.open("s"), 1);
        assert!(slots.take(&[key("s", 2), key("p", 3)]).is_ok());
    }
}
