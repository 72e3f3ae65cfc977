use std::time::Duration;

use async_trait::async_trait;
use axum::http::HeaderMap;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::deposit::signature::{self, SignatureError};
use crate::deposit::{HostedPayment, PaymentEvent, PaymentProvider, PaymentRequest, ProviderError};

/// Our side of the sandbox provider: its API over HTTP and its webhooks.
pub struct SandboxClient {
    http: reqwest::Client,
    base: String,
    api_key: String,
    webhook_secret: String,
    tolerance_s: i64,
}

impl SandboxClient {
    pub fn new(base: &str, api_key: &str, webhook_secret: &str, tolerance_s: u64, timeout: Duration) -> Self {
        SandboxClient {
            http: reqwest::Client::builder().timeout(timeout).build().expect("static reqwest configuration is valid"),
            base: base.trim_end_matches('/').to_string(),
            api_key: api_key.to_string(),
            webhook_secret: webhook_secret.to_string(),
            tolerance_s: tolerance_s as i64,
        }
    }
}

#[derive(Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: EventData,
}

#[derive(Deserialize)]
struct EventData {
    reference: String,
    amount: Option<String>,
    currency: Option<String>,
    reason: Option<String>,
}

#[async_trait]
impl PaymentProvider for SandboxClient {
    async fn create_payment(&self, req: &PaymentRequest) -> Result<HostedPayment, ProviderError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Answer {
            id: String,
            redirect_url: String,
        }
        let res = self
            .http
            .post(format!("{}/v1/payments", self.base))
            .bearer_auth(&self.api_key)
            .header("idempotency-key", req.reference.as_str())
            .json(&serde_json::json!({
                "amount": req.amount.to_string(),
                "currency": req.currency,
                "reference": req.reference,
                "returnUrl": req.return_url,
            }))
            .send()
            .await
            .map_err(|e| ProviderError::Unavailable(e.without_url().to_string()))?;
        let status = res.status();
        if status.is_server_error() {
            return Err(ProviderError::Unavailable(format!("status {status}")));
        }
        if !status.is_success() {
            return Err(ProviderError::Refused(format!("status {status}")));
        }
        let a: Answer = res.json().await.map_err(|e| ProviderError::Unavailable(e.without_url().to_string()))?;
        Ok(HostedPayment { id: a.id, redirect_url: a.redirect_url })
    }

    fn parse_webhook(&self, headers: &HeaderMap, body: &[u8], now_s: i64) -> Result<PaymentEvent, SignatureError> {
        let header = headers.get(signature::HEADER).and_then(|v| v.to_str().ok());
        signature::verify(&self.webhook_secret, header, body, now_s, self.tolerance_s)?;
        let e: Event = serde_json::from_slice(body).map_err(|e| SignatureError::BadBody(e.to_string()))?;
        let bad = |what: &str| SignatureError::BadBody(what.to_string());
        match e.kind.as_str() {
            "payment.succeeded" => Ok(PaymentEvent::Succeeded {
                event_id: e.id,
                reference: e.data.reference,
                amount: e.data.amount.as_deref().and_then(|a| a.parse::<Decimal>().ok()).ok_or_else(|| bad("amount missing"))?,
                currency: e.data.currency.ok_or_else(|| bad("currency missing"))?,
            }),
            "payment.failed" => {
                Ok(PaymentEvent::Failed { event_id: e.id, reference: e.data.reference, reason: e.data.reason.unwrap_or_else(|| "declined".into()) })
            }
            "payment.cancelled" => Ok(PaymentEvent::Cancelled { event_id: e.id, reference: e.data.reference }),
            other => Err(SignatureError::BadBody(format!("unknown event type {other}"))),
        }
    }
}
