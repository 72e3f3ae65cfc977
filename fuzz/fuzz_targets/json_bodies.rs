//! The JSON bodies of the public endpoints, any bytes, sent through the
//! whole router in-process (extractors, validation and the services behind
//! them, on a real SQLite database): never a panic, never a 5xx. The first
//! byte picks the endpoint, the rest is the body. Webhook bodies are signed
//! with the configured secret, so the event parsing behind the signature
//! check is reached; chat calls carry a trader's session, the Full SSO calls
//! a CRM API token. Left out: 4.1 `crmApiToken`, whose wrong passwords wait
//! a second each by design (its body goes through the same extractor).
#![no_main]
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::Request;
use broker_inapp::config::Settings;
use broker_inapp::startup::Application;
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

const WEBHOOK_SECRET: &str = "fuzz-sandbox-webhook-secret";
const STRIPE_SECRET: &str = "whsec_fuzz";

struct Setup {
    rt: tokio::runtime::Runtime,
    plain: axum::Router,
    sso: axum::Router,
    cookie: String,
    crm_token: String,
}

/// An application on its own folder and port, serving in the background
/// (the token exchange calls the built-in cTrader simulator over HTTP).
async fn start(name: &str, full_sso: bool) -> axum::Router {
    let dir = std::env::temp_dir().join(format!("fuzz-json-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.display().to_string();
    let mut f = Settings::defaults();
    for (key, value) in [
        ("leptos.site_addr", "127.0.0.1:0".to_string()),
        ("storage.data_dir", path.clone()),
        ("storage.database_url", format!("sqlite://{path}/app.db")),
        ("simulator.database_url", format!("sqlite://{path}/sim.db")),
        ("payments.sandbox_database_url", format!("sqlite://{path}/psp.db")),
        ("payments.webhook_secret", WEBHOOK_SECRET.to_string()),
        ("payments.stripe.webhook_secret", STRIPE_SECRET.to_string()),
    ] {
        f = Settings::with(f, key, value);
    }
    let f = Settings::with(f, "deposit.methods", serde_json::json!([{ "name": "card", "kind": "sandbox" }, { "name": "stripe", "kind": "stripe_checkout" }]));
    let f = if full_sso { Settings::with(f, "identity.mode", "full_sso") } else { f };
    let app = Application::build(Settings::from_figment(f).expect("fuzz settings are valid")).await.expect("application builds");
    let router = app.router();
    tokio::spawn(app.run_until_stopped());
    router
}

async fn call(router: &axum::Router, req: Request<Body>) -> (u16, String, axum::http::HeaderMap) {
    let res = router.clone().oneshot(req).await.unwrap();
    let (parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
    (parts.status.as_u16(), String::from_utf8_lossy(&bytes).into_owned(), parts.headers)
}

fn json(path: &str) -> axum::http::request::Builder {
    Request::builder().method("POST").uri(path).header("content-type", "application/json").header("origin", "http://127.0.0.1:3000")
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let (plain, sso, cookie, crm_token) = rt.block_on(async {
            let plain = start("plain", false).await;
            let sso = start("sso", true).await;
            // A trader's session, as cTrader opens the chat screen.
            let (_, minted, _) = call(&plain, json("/sim/tokens").body(Body::from("{}")).unwrap()).await;
            let token = serde_json::from_str::<serde_json::Value>(&minted).unwrap()["token"].as_str().unwrap().to_string();
            let (_, _, headers) = call(&plain, Request::get(format!("/inapp/chat?token={token}")).body(Body::empty()).unwrap()).await;
            let cookie = headers["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
            // cTrader's CRM API token (4.1).
            let password = serde_json::json!({ "password": broker_inapp::config::DEV_CRM_PASSWORD }).to_string();
            let (_, answer, _) = call(&sso, json("/oauth2/crmApiToken").body(Body::from(password)).unwrap()).await;
            let crm_token = serde_json::from_str::<serde_json::Value>(&answer).unwrap()["crmApiToken"].as_str().unwrap().to_string();
            (plain, sso, cookie, crm_token)
        });
        Setup { rt, plain, sso, cookie, crm_token }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else { return };
    let s = setup();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let signed = broker_inapp::deposit::signature::sign;
    let (router, req) = match pick % 8 {
        0 => (&s.plain, json("/inapp/chat/messages").header("cookie", &s.cookie)),
        1 => (&s.plain, json("/inapp/chat/receipts").header("cookie", &s.cookie)),
        2 => (&s.plain, json("/payments/webhook/sandbox").header(broker_inapp::deposit::signature::HEADER, signed(WEBHOOK_SECRET, now, body))),
        3 => (&s.plain, json("/payments/webhook/stripe").header("stripe-signature", signed(STRIPE_SECRET, now, body))),
        4 => (&s.sso, json("/oauth2/onetime/authorize").header("authorization", format!("Bearer {}", s.crm_token))),
        5 => (&s.sso, json("/oauth2/authorize").header("authorization", format!("Bearer {}", s.crm_token))),
        6 => (&s.sso, json("/oauth2/onetime/generate").header("authorization", format!("Bearer {}", s.crm_token))),
        // A signature that does not match: refused before the body is read.
        _ => (&s.plain, json("/payments/webhook/sandbox").header(broker_inapp::deposit::signature::HEADER, format!("t={now},v1=00"))),
    };
    let req = req.body(Body::from(body.to_vec())).unwrap();
    let (status, answer, _) = s.rt.block_on(call(router, req));
    assert!(status < 500, "{status} from endpoint {}: {answer}", pick % 8);
});
