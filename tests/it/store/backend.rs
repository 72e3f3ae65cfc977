//! The two databases the suite runs on.

use broker_inapp::store::{connect, Store};

/// A store and whatever must live as long as it.
pub struct Backend {
    pub store: Store,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

pub async fn sqlite() -> Backend {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/store.db", dir.path().display());
    let store = connect(&url).await.expect("SQLite opens");
    Backend { store, url, _dir: Some(dir) }
}

/// A fresh database on the test server, migrated by `connect` like production.
pub async fn postgres() -> Backend {
    let url = crate::common::fresh_postgres("store").await;
    let store = connect(&url).await.expect("PostgreSQL opens and migrates");
    Backend { store, url, _dir: None }
}

/// Runs `n` copies of `task(i)` at once on the runtime's threads and collects their results in order.
pub async fn all_at_once<T, F, Fut>(n: usize, task: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let barrier = barrier.clone();
            let fut = task(i);
            tokio::spawn(async move {
                barrier.wait().await;
                fut.await
            })
        })
        .collect();
    let mut out = Vec::with_capacity(n);
    for h in handles {
        out.push(h.await.expect("a concurrent task"));
    }
    out
}

pub fn login(n: i64) -> broker_inapp::domain::Login {
    broker_inapp::domain::Login::new(n).unwrap()
}
