//! Completion notices to the broker's CRM: the notify outbox (filled by
//! database triggers in the transaction that changed a deposit, a
//! withdrawal or a KYC case: see the migration) sent as JSON webhooks,
//! signed with HMAC-SHA256 like the PSPs' (`Inapp-Signature: t=…,v1=…`
//! over `"{t}.{body}"`), one at a time in order, retried with back-off
//! until the CRM answers 2xx. Each event has its own `event_id`: a CRM that
//! saw an event (its answer lost) sees it again with the same id.
//! The page embedding a screen is told by `components::tell_parent`.

use std::time::Duration;

use secrecy::ExposeSecret;
use serde::Serialize;

use crate::deposit::service::from_minor;
use crate::domain::notify::Notice;
use crate::state::AppState;
use crate::store::{NoticeRecord, StoreError};
use crate::time::now_ms;

/// The signature header.
pub const HEADER: &str = "inapp-signature";

/// Sent events are kept this long, then deleted.
const KEEP_MS: i64 = 30 * 24 * 60 * 60 * 1000;

pub fn spawn_worker(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        crate::worker::poll(
            "crm notices",
            state.streams.shutdown(),
            Duration::from_millis(1_000),
            || run_once(&state),
            || tokio::time::sleep(Duration::from_millis(500)),
        )
        .await
    })
}

/// The webhook's body: the notice, and the event's own id and time.
#[derive(Debug, Serialize)]
struct CrmEvent {
    event_id: i64,
    occurred_at: i64,
    #[serde(flatten)]
    notice: Notice,
}

pub fn notice_of(r: &NoticeRecord) -> Notice {
    let mut notice = Notice::new(&r.kind, r.subject.clone(), r.login, &r.state);
    if let (Some(minor), Some(digits), Some(currency)) = (r.amount_minor, r.digits, &r.currency) {
        notice = notice.with_amount(from_minor(minor, digits as u32), currency.clone());
    }
    notice.kyc_type = r.kyc_type.clone();
    notice
}

/// Sends what is due; how many were tried.
pub async fn run_once(state: &AppState) -> Result<usize, StoreError> {
    let n = &state.settings.notify;
    let now = now_ms();
    if n.crm_url.is_empty() {
        state.store.notify.notices_unsent_nowhere(now).await?;
        return Ok(0);
    }
    state.store.notify.purge_notices(now - KEEP_MS).await?;
    let timeout = n.crm_timeout_ms as i64;
    let due = state.store.notify.claim_notices(now, timeout * 20 + 5_000, 20).await?;
    let tried = due.len();
    let http = reqwest::Client::builder().timeout(Duration::from_millis(n.crm_timeout_ms)).build().map_err(|e| StoreError::Database(e.to_string()))?;
    // In order: a subject's later events were not claimed while this one is unsent.
    for record in due {
        let body = serde_json::to_string(&CrmEvent { event_id: record.id, occurred_at: record.occurred_at, notice: notice_of(&record) }).unwrap_or_default();
        let signature = crate::deposit::signature::sign(n.crm_secret.expose_secret(), now_ms() / 1000, body.as_bytes());
        let sent = http.post(&n.crm_url).header("content-type", "application/json").header(HEADER, signature).body(body).send().await;
        match sent {
            Ok(res) if res.status().is_success() => state.store.notify.notice_sent(record.id, record.attempts, now_ms()).await?,
            outcome => {
                // The error's text, never the address (it may carry a key).
                let error = match outcome {
                    Ok(res) => format!("CRM answered {}", res.status().as_u16()),
                    Err(e) if e.is_timeout() => "CRM did not answer in time".to_string(),
                    Err(_) => "CRM unreachable".to_string(),
                };
                let wait = crate::ledger::backoff_ms(state, record.attempts);
                tracing::warn!(event_id = record.id, attempt = record.attempts, %error, "CRM notice not taken; will retry");
                state.store.notify.notice_retry(record.id, record.attempts, now_ms() + wait, &error).await?;
            }
        }
    }
    Ok(tried)
}
