//! The hosted payment page: the provider's own screen, not the broker's, so it
//! is plain server-rendered HTML with no WASM.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Form;
use sqlx::Row;

use super::deliver::enqueue;
use super::{SandboxPsp, CARD_ASYNC, CARD_DECLINE, CARD_SUCCESS};

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

struct Payment {
    amount: String,
    currency: String,
    return_url: String,
    status: String,
}

async fn load(psp: &SandboxPsp, id: &str) -> Option<Payment> {
    let r = sqlx::query("SELECT amount, currency, return_url, status FROM psp_payments WHERE id = ?").bind(id).fetch_optional(&psp.pool).await.ok()??;
    Some(Payment {
        amount: r.try_get("amount").ok()?,
        currency: r.try_get("currency").ok()?,
        return_url: r.try_get("return_url").ok()?,
        status: r.try_get("status").ok()?,
    })
}

fn page(psp: &SandboxPsp, id: &str, p: &Payment, error: Option<&str>) -> String {
    let error = error.map(|e| format!(r#"<p role="alert" id="card-error" class="text-danger font-medium">{}</p>"#, escape(e))).unwrap_or_default();
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sandbox payment</title><link rel="stylesheet" href="{css}"></head>
<body><main class="max-w-md mx-auto p-4 space-y-4">
<h1 class="text-xl font-bold">Sandbox payment provider</h1>
<p>Pay <strong data-testid="psp-amount">{amount} {currency}</strong></p>
<form method="post" action="/psp/sandbox/pay/{id}" class="space-y-3 rounded-xl border border-border bg-surface p-4">
<label for="card" class="block font-medium">Card number</label>
<input id="card" name="card" inputmode="numeric" autocomplete="cc-number" aria-describedby="card-help{described}"
  class="w-full rounded-lg border border-border bg-bg p-3 text-lg">
{error}
<p id="card-help" class="text-sm text-muted">Test cards: 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined, 4000 0000 0000 3220 confirms later.</p>
<div class="flex gap-3">
<button name="action" value="pay" class="flex-1 rounded-lg bg-brand text-brand-contrast min-h-11 px-4 font-semibold">Pay {amount} {currency}</button>
<button name="action" value="cancel" class="rounded-lg border border-border min-h-11 px-4">Cancel</button>
</div></form></main></body></html>"#,
        css = escape(&psp.css_href),
        amount = escape(&p.amount),
        currency = escape(&p.currency),
        id = escape(id),
        described = if error.is_empty() { "" } else { " card-error" },
    )
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Html("<!DOCTYPE html><title>Not found</title><p>No such payment.</p>")).into_response()
}

fn back_to(url: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, url.to_string())]).into_response()
}

pub async fn show(State(psp): State<SandboxPsp>, Path(id): Path<String>) -> Response {
    match load(&psp, &id).await {
        Some(p) if p.status == "created" => Html(page(&psp, &id, &p, None)).into_response(),
        Some(p) => back_to(&p.return_url),
        None => not_found(),
    }
}

pub async fn submit(State(psp): State<SandboxPsp>, Path(id): Path<String>, Form(form): Form<HashMap<String, String>>) -> Response {
    let Some(p) = load(&psp, &id).await else { return not_found() };
    if p.status != "created" {
        return back_to(&p.return_url);
    }
    let card: String = form.get("card").map(|c| c.chars().filter(char::is_ascii_digit).collect()).unwrap_or_default();
    let (status, event, reason, delay) = match (form.get("action").map(String::as_str), card.as_str()) {
        (Some("cancel"), _) => ("cancelled", "payment.cancelled", None, 0),
        (_, CARD_SUCCESS) => ("succeeded", "payment.succeeded", None, 0),
        (_, CARD_DECLINE) => ("declined", "payment.failed", Some("card_declined"), 0),
        (_, CARD_ASYNC) => ("processing", "payment.succeeded", None, psp.async_delay_ms),
        _ => {
            let html = page(&psp, &id, &p, Some("Use one of the test cards below."));
            return (StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response();
        }
    };
    // Only the first submit moves the payment: a double click sends one webhook.
    let result: Result<(), sqlx::Error> = async {
        let mut tx = crate::store::sqlite::write_tx(&psp.pool).await?;
        let moved = sqlx::query("UPDATE psp_payments SET status = ? WHERE id = ? AND status = 'created'").bind(status).bind(&id).execute(&mut *tx).await?;
        if moved.rows_affected() == 1 {
            enqueue(&mut tx, event, &id, reason, delay).await?;
        }
        tx.commit().await
    }
    .await;
    if let Err(e) = result {
        tracing::error!(error = %e, "sandbox payment update failed");
        return (StatusCode::SERVICE_UNAVAILABLE, Html("<!DOCTYPE html><title>Try again</title><p>Please try again.</p>")).into_response();
    }
    back_to(&p.return_url)
}
