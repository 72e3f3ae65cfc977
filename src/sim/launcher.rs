//! A developer's way into the screens without cTrader: `/sim` lists them, and
//! `/sim/launch?screen=…` mints a fresh one-time token and opens the screen
//! with it, exactly as the platform would.

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::control::{mint, MintRequest};
use super::json::{error, Reply};
use super::SimState;

/// `(name, path)` of every screen cTrader can open.
pub const SCREENS: [(&str, &str); 6] = [
    ("deposit", "/inapp/deposit"),
    ("kyc", "/inapp/kyc"),
    ("kyc-upload", "/inapp/kyc/upload"),
    ("kyc-status", "/inapp/kyc/status"),
    ("chat", "/inapp/chat"),
    ("action", "/inapp/action"),
];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Launch {
    screen: Option<String>,
    login: Option<String>,
    lang: Option<String>,
    theme: Option<String>,
    source: Option<String>,
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub async fn launch(State(s): State<SimState>, Query(q): Query<Launch>) -> Reply {
    let screen = q.screen.as_deref().unwrap_or("deposit");
    let Some((_, path)) = SCREENS.iter().find(|(name, _)| *name == screen) else {
        return Err(error(StatusCode::BAD_REQUEST, "INVALID_SCREEN", "screen must be one of deposit, kyc, kyc-upload, kyc-status, chat, action"));
    };
    let login = match q.login.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        None => None,
        Some(l) => match l.parse() {
            Ok(l) => Some(l),
            Err(_) => return Err(error(StatusCode::BAD_REQUEST, "INVALID_LOGIN", "login must be a number")),
        },
    };
    let (token, trader, _) = mint(&s, MintRequest { login, ..Default::default() }).await?;
    let mut url = format!("{path}?token={}", enc(&token));
    if screen == "deposit" {
        url.push_str(&format!("&account={}", trader.login));
    }
    for (k, v) in [("lang", &q.lang), ("theme", &q.theme), ("source", &q.source)] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            url.push_str(&format!("&{k}={}", enc(v)));
        }
    }
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, url)]).into_response())
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The fault controls: what is injected now, and a form to change it.
fn fault_panel(active: &[super::faults::Fault]) -> String {
    let now: String = if active.is_empty() {
        "<li>none: every call is answered normally</li>".into()
    } else {
        active
            .iter()
            .map(|f| {
                let kind = serde_json::to_value(f.kind).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
                format!(
                    "<li data-testid=\"sim-fault\"><code>{}</code>: {kind}, delay {} ms, status {}, probability {}</li>",
                    html_escape(&f.endpoint),
                    f.delay_ms,
                    f.status,
                    f.probability
                )
            })
            .collect()
    };
    let endpoints: String = std::iter::once("*").chain(super::faults::ENDPOINTS).map(|e| format!(r#"<option value="{e}">{e}</option>"#)).collect();
    let kinds: String = ["delay", "error", "reset", "lostReply", "slowApply"].iter().map(|k| format!(r#"<option value="{k}">{k}</option>"#)).collect();
    format!(
        r#"<section class="space-y-2 rounded-xl border border-border bg-surface p-4">
<h2 class="font-semibold">Faults</h2>
<ul class="list-disc ps-6">{now}</ul>
<form action="/sim/faults/form" method="post" class="space-y-2">
<label class="block">Endpoint <select name="endpoint" class="border border-border rounded p-1">{endpoints}</select></label>
<label class="block">Kind <select name="kind" class="border border-border rounded p-1">{kinds}</select></label>
<label class="block">Delay (ms) <input name="delayMs" inputmode="numeric" value="8000" class="border border-border rounded p-1"></label>
<label class="block">Status <input name="status" inputmode="numeric" value="503" class="border border-border rounded p-1"></label>
<label class="block">Probability <input name="probability" inputmode="decimal" value="1" class="border border-border rounded p-1"></label>
<button class="rounded bg-brand text-brand-contrast px-4 py-2">Inject</button>
</form>
<form action="/sim/faults/clear" method="post"><button class="rounded border border-border px-4 py-2">Clear all faults</button></form>
</section>"#
    )
}

pub async fn index(State(s): State<SimState>) -> Response {
    let faults = super::faults::list(&s).await.unwrap_or_default();
    let panel = fault_panel(&faults);
    let links: String = SCREENS.iter().map(|(name, path)| format!(r#"<li><a href="/sim/launch?screen={name}">{path}</a></li>"#)).collect();
    let options: String = SCREENS.iter().map(|(name, path)| format!(r#"<option value="{name}">{path}</option>"#)).collect();
    let css = &s.css_href;
    Html(format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>cTrader simulator</title><link rel="stylesheet" href="{css}"></head>
<body class="bg-bg text-text"><main class="max-w-xl mx-auto p-6 space-y-4">
<h1 class="text-2xl font-bold">cTrader simulator</h1>
<p>Each link mints a fresh one-time token for a new demo trader and opens the screen with it, as the platform would.</p>
<ul class="list-disc ps-6 space-y-1">{links}</ul>
<form action="/sim/launch" method="get" class="space-y-2 rounded-xl border border-border bg-surface p-4">
<h2 class="font-semibold">Open a screen as a chosen trader</h2>
<label class="block">Screen <select name="screen" class="border border-border rounded p-1">{options}</select></label>
<label class="block">Login <input name="login" inputmode="numeric" placeholder="100001" class="border border-border rounded p-1"></label>
<label class="block">Language <input name="lang" placeholder="en" class="border border-border rounded p-1"></label>
<label class="block">Theme <select name="theme" class="border border-border rounded p-1"><option>light</option><option>dark</option></select></label>
<button class="rounded bg-brand text-brand-contrast px-4 py-2">Open</button>
</form>
{panel}
<p class="text-sm text-muted">Control API: POST /sim/tokens, GET /sim/traders/{{login}}, GET /sim/stats, POST|DELETE /sim/faults (see README).</p>
</main></body></html>"#
    ))
    .into_response()
}
