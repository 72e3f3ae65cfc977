//! Wall-clock time as Unix milliseconds, the one representation stored in the
//! database, and the application's clock.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The application's idea of now, shared by everything that judges elapsed
/// time (session, staff and access-token expiry, token claims, unpaid
/// deposits, sign-in lockouts). It reads the system clock; a test moves it
/// forward with [`Clock::advance`] instead of waiting or editing rows. The
/// credit worker's leases and settle times stay on the system clock: they
/// are about real requests in flight.
#[derive(Clone, Default)]
pub struct Clock {
    ahead_ms: Arc<AtomicI64>,
}

impl Clock {
    pub fn now_ms(&self) -> i64 {
        now_ms() + self.ahead_ms.load(Ordering::SeqCst)
    }

    /// Moves this application's time forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.ahead_ms.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// RFC 3339 in UTC, for JSON.
pub fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}
