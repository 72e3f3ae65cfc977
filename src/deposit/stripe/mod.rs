//! Stripe Checkout, from Stripe's public API reference: a Checkout Session is
//! created for each deposit (`client_reference_id` = deposit id, the amount in
//! the currency's minor units, the deposit id as `Idempotency-Key`), the
//! trader pays on Stripe's page, and the deposit is credited on the
//! `checkout.session.completed` (when `payment_status` is `paid`) or
//! `checkout.session.async_payment_succeeded` webhook; `…async_payment_failed`
//! and `checkout.session.expired` end it. Webhooks are verified with the
//! `Stripe-Signature` scheme (`t=`, `v1=` HMAC-SHA256 over `"{t}.{payload}"`,
//! a bounded number of `v1`, 300 s tolerance). The amount and currency
//! credited are the session's `amount_total` and `currency`.
//!
//! No Stripe is reachable from the machines this is built on, so development
//! and the tests run it against `sim`, a contract simulator of those
//! endpoints and events that this server serves under `/psp/stripe`.

pub mod sim;

use std::time::Duration;

use async_trait::async_trait;
use axum::http::HeaderMap;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::deposit::signature::{self, SignatureError};
use crate::deposit::{HostedPayment, PaymentEvent, PaymentProvider, PaymentRequest, ProviderError};

pub const SIGNATURE_HEADER: &str = "stripe-signature";

/// Where Stripe hosts its Checkout pages (a session's `url`). The deposit
/// form may be sent there by a redirect after a plain post (before the WASM
/// arrives), which the page's CSP `form-action` must allow.
pub const CHECKOUT_ORIGIN: &str = "https://checkout.stripe.com";

/// The origins outside this server a deposit form's post may be redirected
/// to: the payment pages of the providers configured.
pub fn payment_page_origins(settings: &crate::config::Settings) -> Vec<String> {
    let uses_stripe = settings.deposit.methods.iter().any(|m| m.kind == crate::domain::MethodKind::StripeCheckout);
    // An empty `api_base` is the simulator, whose pages are on this server.
    if uses_stripe && !settings.payments.stripe.api_base.is_empty() {
        vec![CHECKOUT_ORIGIN.to_string()]
    } else {
        Vec::new()
    }
}

/// Digits of Stripe's own amount unit for `currency` (lower or upper case),
/// which is not always ISO 4217's: the zero-decimal currencies are sent in
/// whole units, the three-decimal ones in thousandths, and ISK stays a
/// two-decimal currency in Stripe's API. The broker's `digits` for a currency
/// offered through Stripe must equal this (checked at start-up), so an amount
/// is never read with another unit than it was charged in.
pub fn stripe_digits(currency: &str) -> u32 {
    const ZERO: [&str; 16] = ["BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"];
    const THREE: [&str; 5] = ["BHD", "JOD", "KWD", "OMR", "TND"];
    let c = currency.to_ascii_uppercase();
    if ZERO.contains(&c.as_str()) {
        0
    } else if THREE.contains(&c.as_str()) {
        3
    } else {
        2
    }
}

/// Stripe takes a session's `expires_at` from 30 minutes to 24 hours after
/// the session is created; the first bound with a margin for clocks and transit.
const EARLIEST_EXPIRY_S: i64 = 30 * 60 + 60;
const LATEST_EXPIRY_S: i64 = 24 * 60 * 60;

/// When a deposit's Checkout Session stops taking payment (seconds), for a
/// deposit created at `created_ms` and asked for at `now_ms`.
///
/// From the deposit's creation, not now: Stripe refuses an idempotency key
/// sent again with any parameter changed, so a second press a second later
/// must send the same `expires_at`. Only when that time is too close for
/// Stripe to accept (a form pressed again long after, whose first request
/// never reached Stripe, so nothing is kept under its key) is it counted
/// from now instead.
pub fn session_expiry(created_ms: i64, now_ms: i64, expires_after_s: i64) -> i64 {
    let planned = created_ms / 1000 + expires_after_s;
    let now_s = now_ms / 1000;
    if planned < now_s + EARLIEST_EXPIRY_S {
        now_s + EARLIEST_EXPIRY_S
    } else {
        planned
    }
}

/// Stripe's largest amount for one Checkout line (in its unit).
pub const MAX_AMOUNT: i64 = 99_999_999;

pub struct StripeCheckout {
    http: reqwest::Client,
    api_base: String,
    secret_key: String,
    webhook_secret: String,
    tolerance_s: i64,
    /// Where Stripe sends the trader back (absolute: Stripe requires it).
    public_url: String,
    /// How long a session stays payable (Stripe allows 30 min to 24 h).
    expires_after_s: i64,
}

impl StripeCheckout {
    /// `expires_after_s` is clamped to what Stripe accepts (30 min to 24 h),
    /// with room for a second press to send the same expiry: at least 35 min.
    pub fn new(api_base: &str, secret_key: &str, webhook_secret: &str, tolerance_s: u64, public_url: &str, expires_after_s: i64) -> Self {
        StripeCheckout {
            http: reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("static reqwest configuration is valid"),
            api_base: api_base.trim_end_matches('/').to_string(),
            secret_key: secret_key.to_string(),
            webhook_secret: webhook_secret.to_string(),
            tolerance_s: tolerance_s as i64,
            public_url: public_url.trim_end_matches('/').to_string(),
            expires_after_s: expires_after_s.clamp(EARLIEST_EXPIRY_S + 240, LATEST_EXPIRY_S),
        }
    }
}

/// The parts of a Checkout Session object we read.
#[derive(Debug, Deserialize)]
pub struct Session {
    /// Absent on objects of event types we do not act on (a Balance has none).
    pub id: Option<String>,
    pub url: Option<String>,
    pub client_reference_id: Option<String>,
    pub amount_total: Option<i64>,
    pub currency: Option<String>,
    pub payment_status: Option<String>,
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
    object: Session,
}

#[async_trait]
impl PaymentProvider for StripeCheckout {
    async fn create_payment(&self, req: &PaymentRequest) -> Result<HostedPayment, ProviderError> {
        // The deposit's digits equal Stripe's unit for its currency (checked at start-up).
        let minor = crate::deposit::service::to_minor(req.amount, stripe_digits(&req.currency))
            .filter(|m| (1..=MAX_AMOUNT).contains(m))
            .ok_or_else(|| ProviderError::Refused("amount outside what Stripe takes".into()))?;
        let back = format!("{}{}", self.public_url, req.return_url);
        let form = [
            ("mode", "payment".to_string()),
            ("client_reference_id", req.reference.to_string()),
            ("success_url", back.clone()),
            ("cancel_url", back),
            ("line_items[0][quantity]", "1".into()),
            ("line_items[0][price_data][currency]", req.currency.to_ascii_lowercase()),
            ("line_items[0][price_data][unit_amount]", minor.to_string()),
            ("line_items[0][price_data][product_data][name]", "Deposit".into()),
            ("metadata[deposit_id]", req.reference.to_string()),
            // Stripe stops taking the payment when we stop waiting for it.
            ("expires_at", session_expiry(req.created_at, crate::time::now_ms(), self.expires_after_s).to_string()),
        ];
        let res = self
            .http
            .post(format!("{}/v1/checkout/sessions", self.api_base))
            .bearer_auth(&self.secret_key)
            .header("idempotency-key", req.reference.as_str())
            .form(&form)
            .send()
            .await
            .map_err(|e| ProviderError::Unavailable(e.without_url().to_string()))?;
        let status = res.status();
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(ProviderError::Unavailable(format!("status {status}")));
        }
        if !status.is_success() {
            // Stripe's error object says why (`error.message`); never the key.
            return Err(ProviderError::Refused(format!("status {status}")));
        }
        let s: Session = res.json().await.map_err(|e| ProviderError::Unavailable(e.without_url().to_string()))?;
        let (Some(id), Some(url)) = (s.id, s.url) else { return Err(ProviderError::Unavailable("the session has no id or url".into())) };
        Ok(HostedPayment { id, redirect_url: url })
    }

    fn parse_webhook(&self, headers: &HeaderMap, body: &[u8], now_s: i64) -> Result<PaymentEvent, SignatureError> {
        let header = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
        signature::verify(&self.webhook_secret, header, body, now_s, self.tolerance_s)?;
        let e: Event = serde_json::from_slice(body).map_err(|e| SignatureError::BadBody(e.to_string()))?;
        let s = e.data.object;
        let bad = |what: &str| SignatureError::BadBody(what.to_string());
        let reference = s.client_reference_id.clone().unwrap_or_default();
        let paid = || -> Result<PaymentEvent, SignatureError> {
            let currency = s.currency.clone().ok_or_else(|| bad("currency missing"))?;
            let minor = s.amount_total.ok_or_else(|| bad("amount_total missing"))?;
            // Read in Stripe's unit for the currency; a currency the deposit
            // is not in is held for review by the deposit service.
            Ok(PaymentEvent::Succeeded {
                event_id: e.id.clone(),
                reference: reference.clone(),
                amount: Decimal::new(minor, stripe_digits(&currency)),
                currency,
            })
        };
        match e.kind.as_str() {
            "checkout.session.completed" if s.payment_status.as_deref() == Some("paid") => paid(),
            "checkout.session.async_payment_succeeded" => paid(),
            "checkout.session.async_payment_failed" => Ok(PaymentEvent::Failed { event_id: e.id, reference, reason: "the payment failed".into() }),
            "checkout.session.expired" => Ok(PaymentEvent::Expired { event_id: e.id, reference }),
            // Completed but unpaid (a bank debit on its way), or an event we do not act on.
            _ => Ok(PaymentEvent::Noted { event_id: e.id, reference }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_expires_from_the_deposit_and_within_what_stripe_accepts() {
        let created = 1_700_000_000_000;
        let hour = 3600;
        // Pressed again seconds or minutes later: the very same expiry.
        for later_ms in [0, 999, 1_000, 60_000, 20 * 60_000] {
            assert_eq!(session_expiry(created, created + later_ms, hour), created / 1000 + hour, "{later_ms} ms later");
        }
        // Pressed again so late that the planned expiry is under Stripe's 30
        // minutes: counted from now, with the margin.
        let late = created + 45 * 60_000;
        assert_eq!(session_expiry(created, late, hour), late / 1000 + 31 * 60);
        // The clamp leaves several minutes for a second press.
        let shortest = StripeCheckout::new("http://x", "sk", "whsec", 300, "https://inapp", 60).expires_after_s;
        assert_eq!(shortest, 35 * 60);
        assert_eq!(session_expiry(created, created + 3 * 60_000, shortest), created / 1000 + shortest);
    }
    use axum::http::HeaderValue;

    fn stripe() -> StripeCheckout {
        StripeCheckout::new("http://x", "sk", "whsec_test", 300, "https://inapp", 3600)
    }

    fn event(kind: &str, status: &str, amount: i64, currency: &str) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "id": "evt_1", "object": "event", "type": kind,
            "data": { "object": { "id": "cs_1", "object": "checkout.session", "client_reference_id": "dep_x",
                "amount_total": amount, "currency": currency, "payment_status": status } }
        }))
        .unwrap()
    }

    fn signed(body: &[u8], at: i64) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(SIGNATURE_HEADER, HeaderValue::from_str(&format!("{},v0=ignored", signature::sign("whsec_test", at, body))).unwrap());
        h
    }

    #[test]
    fn events_map_to_what_they_mean_for_the_deposit() {
        let s = stripe();
        let parse = |b: Vec<u8>| s.parse_webhook(&signed(&b, 1000), &b, 1000).unwrap();
        let paid = parse(event("checkout.session.completed", "paid", 25050, "usd"));
        assert_eq!(
            paid,
            PaymentEvent::Succeeded { event_id: "evt_1".into(), reference: "dep_x".into(), amount: Decimal::new(25050, 2), currency: "usd".into() }
        );
        let yen = parse(event("checkout.session.async_payment_succeeded", "paid", 5000, "jpy"));
        assert!(matches!(yen, PaymentEvent::Succeeded { amount, .. } if amount == Decimal::from(5000)));
        assert!(matches!(parse(event("checkout.session.completed", "unpaid", 100, "usd")), PaymentEvent::Noted { .. }));
        assert!(matches!(parse(event("checkout.session.async_payment_failed", "unpaid", 100, "usd")), PaymentEvent::Failed { .. }));
        assert!(matches!(parse(event("checkout.session.expired", "unpaid", 100, "usd")), PaymentEvent::Expired { .. }));
        assert!(matches!(parse(event("customer.created", "", 0, "usd")), PaymentEvent::Noted { .. }));
        // An event whose object has no id (a Balance) is taken, not refused.
        let balance =
            serde_json::to_vec(&serde_json::json!({ "id": "evt_2", "type": "balance.available", "data": { "object": { "object": "balance" } } })).unwrap();
        assert!(matches!(parse(balance), PaymentEvent::Noted { .. }));
    }

    #[test]
    fn stripes_own_units_not_iso_or_configuration() {
        assert_eq!((stripe_digits("usd"), stripe_digits("JPY"), stripe_digits("krw"), stripe_digits("KWD"), stripe_digits("ISK")), (2, 0, 0, 3, 2));
        let s = stripe();
        let b = event("checkout.session.completed", "paid", 500000, "isk");
        assert!(matches!(s.parse_webhook(&signed(&b, 1000), &b, 1000).unwrap(), PaymentEvent::Succeeded { amount, .. } if amount == Decimal::new(500000, 2)));
    }

    #[test]
    fn only_a_fresh_signature_with_the_endpoint_secret_is_accepted() {
        let s = stripe();
        let body = event("checkout.session.completed", "paid", 100, "usd");
        assert_eq!(s.parse_webhook(&HeaderMap::new(), &body, 1000), Err(SignatureError::Missing));
        assert_eq!(s.parse_webhook(&signed(&body, 1000), &body, 1000 + 301), Err(SignatureError::Stale));
        let mut other = HeaderMap::new();
        other.insert(SIGNATURE_HEADER, HeaderValue::from_str(&signature::sign("whsec_other", 1000, &body)).unwrap());
        assert_eq!(s.parse_webhook(&other, &body, 1000), Err(SignatureError::Mismatch));
        let mut tampered = body.clone();
        tampered.extend_from_slice(b" ");
        assert_eq!(s.parse_webhook(&signed(&body, 1000), &tampered, 1000), Err(SignatureError::Mismatch));
        let many = format!("t=1000,{}", (0..5).map(|_| format!("v1={}", "00".repeat(32))).collect::<Vec<_>>().join(","));
        let mut h = HeaderMap::new();
        h.insert(SIGNATURE_HEADER, HeaderValue::from_str(&many).unwrap());
        assert_eq!(s.parse_webhook(&h, &body, 1000), Err(SignatureError::Malformed), "several v1 are allowed, but bounded");
    }
}
