//! The one way a trader screen keeps itself fresh: ask, show, wait, ask
//! again. Written once so every screen gets the same manners: one request at
//! a time (a slow answer delays the next ask instead of piling requests up on
//! a slow network), and leaving the screen stops the loop and aborts the
//! request in flight (a server function's request is aborted when its future
//! is dropped).

use std::future::Future;
use std::ops::ControlFlow;
use std::time::Duration;

/// While the calling component lives: wait `first`, then `fetch` and hand the
/// answer to `apply`, then every `every` again, until `apply` breaks. Runs in
/// the browser only: the server renders the first answer itself.
pub fn poll<T, F>(first: Duration, every: Duration, fetch: impl Fn() -> F + 'static, apply: impl Fn(T) -> ControlFlow<()> + 'static)
where
    T: 'static,
    F: Future<Output = T> + 'static,
{
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local_scoped_with_cancellation(async move {
        sleep(first).await;
        while apply(fetch().await).is_continue() {
            sleep(every).await;
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (first, every, fetch, apply);
}

#[cfg(feature = "hydrate")]
async fn sleep(d: Duration) {
    if d.is_zero() {
        return;
    }
    let (done, wait) = futures::channel::oneshot::channel::<()>();
    leptos::prelude::set_timeout(
        move || {
            let _ = done.send(());
        },
        d,
    );
    let _ = wait.await;
}
