//! The one way a trader screen keeps itself fresh: it follows the account's
//! event stream (`/inapp/account/events`) and re-reads through its own server
//! function whenever the server says the account changed (a deposit,
//! withdrawal or KYC case moved on, on whichever instance). No timer asks
//! the server "anything new?": an idle screen costs one open connection and
//! a keep-alive every 20 seconds.
//!
//! Written once so every screen gets the same manners: one read at a time
//! (changes that arrive during a read are one more read, not a pile of
//! them); the stream's first `change` comes as soon as it listens, so what
//! changed between the page's render and the stream opening, or during a
//! lost connection, is read then; a lost stream reconnects with back-off;
//! a stream whose session ended stops; leaving the screen closes the stream
//! and aborts the read in flight (a server function's request is aborted
//! when its future is dropped).

use std::future::Future;
use std::ops::ControlFlow;

/// While the calling component lives: on every change of the trader's
/// account, `fetch` and hand the answer to `apply`, until `apply` breaks.
/// A read that fails is tried again (with back-off) until one succeeds or a
/// change comes, so one lost answer does not leave the screen stale for days.
/// Runs in the browser only: the server renders the first answer itself.
pub fn follow<T, E, F>(fetch: impl Fn() -> F + 'static, apply: impl Fn(Result<T, E>) -> ControlFlow<()> + 'static)
where
    T: 'static,
    E: 'static,
    F: Future<Output = Result<T, E>> + 'static,
{
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local_scoped_with_cancellation(imp::follow(fetch, apply));
    #[cfg(not(feature = "hydrate"))]
    let _ = (fetch, apply);
}

#[cfg(feature = "hydrate")]
mod imp {
    use std::future::Future;
    use std::ops::ControlFlow;
    use std::time::Duration;

    use futures::channel::mpsc::{unbounded, TryRecvError, UnboundedReceiver, UnboundedSender};
    use futures::future::{select, Either};
    use futures::StreamExt;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;

    /// What the stream said.
    enum Heard {
        Change,
        /// The session is gone: reconnecting cannot help.
        Ended,
        /// The connection failed or dropped.
        Lost,
    }

    /// An open `EventSource` and its callbacks; dropping it closes the
    /// stream first, so no callback runs once they are freed.
    struct Source {
        es: web_sys::EventSource,
        _callbacks: Vec<Closure<dyn FnMut(web_sys::Event)>>,
    }

    impl Source {
        fn open(to: UnboundedSender<Heard>) -> Option<Source> {
            let mut source = Source { es: web_sys::EventSource::new("/inapp/account/events").ok()?, _callbacks: Vec::new() };
            for (name, heard) in [("change", 0u8), ("ended", 1), ("error", 2)] {
                let to = to.clone();
                let cb = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
                    let _ = to.unbounded_send(match heard {
                        0 => Heard::Change,
                        1 => Heard::Ended,
                        _ => Heard::Lost,
                    });
                });
                // On failure `source` is dropped, which closes the stream.
                source.es.add_event_listener_with_callback(name, cb.as_ref().unchecked_ref()).ok()?;
                source._callbacks.push(cb);
            }
            Some(source)
        }
    }

    impl Drop for Source {
        fn drop(&mut self) {
            self.es.close();
        }
    }

    pub async fn follow<T, E, F>(fetch: impl Fn() -> F, apply: impl Fn(Result<T, E>) -> ControlFlow<()>)
    where
        F: Future<Output = Result<T, E>>,
    {
        let mut failures = 0u32;
        loop {
            let (to, mut heard) = unbounded();
            // The browser's own reconnection has no back-off: on an error
            // the stream is closed and opened again here instead.
            if let Some(_source) = Source::open(to) {
                if read_on_changes(&mut heard, &fetch, &apply, &mut failures).await.is_break() {
                    return;
                }
            }
            // Lost, or never opened (offline, the session gone, too many
            // streams): what changed meanwhile is unknown, so look once (the
            // answer also says when the session is over), then open it again.
            if apply(fetch().await).is_break() {
                return;
            }
            sleep(back_off(failures)).await;
            failures = failures.saturating_add(1);
        }
    }

    /// Reads on every change heard, and again after a failed read, until the
    /// session ended or `apply` is done (`Break`) or the stream was lost
    /// (`Continue`: open it again).
    async fn read_on_changes<T, E, F>(
        heard: &mut UnboundedReceiver<Heard>,
        fetch: &impl Fn() -> F,
        apply: &impl Fn(Result<T, E>) -> ControlFlow<()>,
        failures: &mut u32,
    ) -> ControlFlow<()>
    where
        F: Future<Output = Result<T, E>>,
    {
        let mut failed_reads = 0u32;
        loop {
            let next = if failed_reads == 0 {
                heard.next().await
            } else {
                match select(heard.next(), Box::pin(sleep(back_off(failed_reads - 1)))).await {
                    Either::Left((heard, _)) => heard,
                    Either::Right(((), _)) => Some(Heard::Change),
                }
            };
            match next {
                Some(Heard::Change) => {
                    // Changes already heard are covered by this read; what
                    // else was heard waits for the next turn.
                    let mut after = None;
                    loop {
                        match heard.try_recv() {
                            Ok(Heard::Change) => {}
                            Ok(other) => {
                                after = Some(other);
                                break;
                            }
                            Err(TryRecvError::Closed) => {
                                after = Some(Heard::Lost);
                                break;
                            }
                            Err(TryRecvError::Empty) => break,
                        }
                    }
                    let answer = fetch().await;
                    if answer.is_ok() {
                        (failed_reads, *failures) = (0, 0);
                    } else {
                        failed_reads = failed_reads.saturating_add(1);
                    }
                    apply(answer)?;
                    match after {
                        Some(Heard::Ended) => return ControlFlow::Break(()),
                        Some(Heard::Lost) => return ControlFlow::Continue(()),
                        _ => {}
                    }
                }
                // The session is over: one last read lets the screen say so.
                Some(Heard::Ended) => {
                    let _ = apply(fetch().await);
                    return ControlFlow::Break(());
                }
                Some(Heard::Lost) | None => return ControlFlow::Continue(()),
            }
        }
    }

    /// 1 s, 2 s, 4 s, … up to 30 s, each cut by up to half at random so a restarted server
    /// is not met by every screen at the same instant.
    fn back_off(failures: u32) -> Duration {
        let base = (1_000.0 * 2f64.powi(failures.min(5) as i32)).min(30_000.0);
        Duration::from_millis((base * (0.5 + js_sys::Math::random() / 2.0)) as u64)
    }

    async fn sleep(d: Duration) {
        let (done, wait) = futures::channel::oneshot::channel::<()>();
        leptos::prelude::set_timeout(
            move || {
                let _ = done.send(());
            },
            d,
        );
        let _ = wait.await;
    }
}
