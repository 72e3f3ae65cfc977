//! The sandbox provider's webhook sender: queued events go out signed, and are
//! retried with back-off until the server answers 2xx, surviving restarts.

use std::time::Duration;

use sqlx::Row;

use super::SandboxPsp;
use crate::deposit::signature;
use crate::time::now_ms;

/// Queues an event for `payment_id` in the caller's transaction, so a payment
/// never changes state without its webhook.
pub async fn enqueue(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    kind: &str,
    payment_id: &str,
    reason: Option<&str>,
    delay_ms: i64,
) -> Result<(), sqlx::Error> {
    let row = sqlx::query("SELECT reference, amount, currency FROM psp_payments WHERE id = ?").bind(payment_id).fetch_one(&mut **tx).await?;
    let event_id = format!("evt_{}", uuid::Uuid::new_v4().simple());
    let payload = serde_json::json!({
        "id": event_id,
        "type": kind,
        "created": now_ms() / 1000,
        "data": {
            "paymentId": payment_id,
            "reference": row.try_get::<String, _>("reference")?,
            "amount": row.try_get::<String, _>("amount")?,
            "currency": row.try_get::<String, _>("currency")?,
            "reason": reason,
        }
    });
    sqlx::query("INSERT INTO psp_webhooks (event_id, payload, deliver_after) VALUES (?,?,?)")
        .bind(&event_id)
        .bind(payload.to_string())
        .bind(now_ms() + delay_ms)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Sends due webhooks every 200 ms until the process stops.
pub fn spawn_deliverer(psp: SandboxPsp) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("static reqwest configuration is valid");
        loop {
            if let Err(e) = deliver_due(&psp, &http).await {
                tracing::warn!(error = %e, "sandbox webhook delivery round failed");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
}

async fn deliver_due(psp: &SandboxPsp, http: &reqwest::Client) -> Result<(), sqlx::Error> {
    let due = sqlx::query("SELECT id, payload, attempts FROM psp_webhooks WHERE delivered_at IS NULL AND deliver_after <= ? ORDER BY id LIMIT 50")
        .bind(now_ms())
        .fetch_all(&psp.pool)
        .await?;
    for row in due {
        let id: i64 = row.try_get("id")?;
        let payload: String = row.try_get("payload")?;
        let attempts: i64 = row.try_get("attempts")?;
        let header = signature::sign(&psp.webhook_secret, now_ms() / 1000, payload.as_bytes());
        let ok = http
            .post(&psp.webhook_url)
            .header("content-type", "application/json")
            .header(signature::HEADER, header)
            .body(payload)
            .send()
            .await
            .map(|r| r.status().is_success())
            .unwrap_or(false);
        if ok {
            sqlx::query("UPDATE psp_webhooks SET delivered_at = ?, attempts = attempts + 1 WHERE id = ?").bind(now_ms()).bind(id).execute(&psp.pool).await?;
        } else {
            let backoff = (500i64 << attempts.min(6)).min(30_000);
            sqlx::query("UPDATE psp_webhooks SET attempts = attempts + 1, deliver_after = ? WHERE id = ?")
                .bind(now_ms() + backoff)
                .bind(id)
                .execute(&psp.pool)
                .await?;
        }
    }
    Ok(())
}
