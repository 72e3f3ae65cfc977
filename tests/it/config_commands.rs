//! Configuration and commands: production-mode refusals and the gallery
//! switch, cargo-leptos's `LEPTOS_*` variables, the `create-user` and
//! `hash-password` commands, and which field of cTrader's token answer is the
//! trading login.
#![allow(unused_imports)]

use crate::common;
use broker_inapp::server_fns::deposit::LoadDepositForm;

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, Query};
use axum::routing::{get, post};
use broker_inapp::config::{Mode, Settings};
use broker_inapp::startup::Application;
use common::deposits::*;
use common::{eventually as until, spawn, spawn_with, TestApp};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_broker-inapp");

// ---------------------------------------------------------------------------
// 5. Production-mode configuration refusals and the gallery switch.
// ---------------------------------------------------------------------------

/// What a broker changes from the shipped file to go live: a real cTrader
/// over https, its own secrets and bank account, no sandbox method.
fn production() -> figment::Figment {
    let f = Settings::with(Settings::defaults(), "server.mode", "production");
    let f = Settings::with(f, "server.public_url", "https://inapp.broker.test");
    let f = Settings::with(f, "ctrader.base_url", "https://ctrader.broker.test");
    let f = Settings::with(f, "ctrader.manager_password", "the real manager password");
    let f = Settings::with(f, "payments.api_key", "unused-but-not-the-shipped-one");
    let f = Settings::with(f, "payments.webhook_secret", "unused-but-not-the-shipped-one");
    let f = Settings::with(f, "actions.handoff_secret", "a-real-handoff-secret-of-at-least-32-chars");
    let f = Settings::with(f, "actions.types.client_area.url", "https://clients.broker.test/inapp-sso");
    let f = Settings::with(f, "identity.crm_password_hash", broker_inapp::security::password::hash_password("a real production password"));
    let f = Settings::with(f, "deposit.methods", json!([{ "name": "bank_transfer", "kind": "bank_transfer", "currencies": { "EUR": {} } }]));
    let f = Settings::with(f, "payments.bank_transfer.accounts.EUR.beneficiary", "Real Broker Ltd");
    let f = Settings::with(f, "kyc.screening.lists", json!([{ "name": "UN", "kind": "sanctions", "format": "un_xml", "path": "/srv/lists/consolidated.xml" }]));
    Settings::with(f, "payments.bank_transfer.accounts.EUR.iban", "GB82 WEST 1234 5698 7654 32")
}

fn refusal(f: figment::Figment) -> String {
    Settings::from_figment(f).expect_err("the configuration must be refused").to_string()
}

/// The keys production refuses in the shipped `Leptos.toml`.
const SHIPPED_REFUSALS: [&str; 12] = [
    "ctrader.base_url",
    "server.public_url",
    "ctrader.manager_password",
    "payments.api_key",
    "payments.webhook_secret",
    "actions.handoff_secret",
    "deposit.methods[0].kind",
    "payments.bank_transfer.accounts.EUR",
    "payments.bank_transfer.accounts.USD",
    "actions.types.client_area.url",
    "kyc.screening.lists[0].path",
    "kyc.screening.lists[1].path",
];

#[test]
fn with_screening_lists_every_kyc_type_asks_for_a_name_and_a_date_of_birth() {
    let err = refusal(Settings::with(Settings::defaults(), "kyc.types.standard.details", json!(["address", "country"])));
    assert!(err.contains("kyc.types.standard.details") && err.contains("full_name and date_of_birth"), "{err}");
    // Without lists, a type may ask for documents only.
    let no_lists = Settings::with(Settings::defaults(), "kyc.screening.lists", json!([]));
    Settings::from_figment(Settings::with(no_lists, "kyc.types.standard.details", json!([]))).expect("no screening, no need");
}

#[test]
fn a_complete_production_configuration_starts() {
    let s = Settings::from_figment(production()).expect("a complete production configuration loads");
    assert!(s.enforces_production_rules() && s.production_refusals().is_empty());
}

#[test]
fn production_refuses_the_shipped_file_naming_every_key_at_once() {
    let err = refusal(Settings::with(Settings::defaults(), "server.mode", "production"));
    for key in SHIPPED_REFUSALS {
        assert!(err.contains(&format!("`{key}`")), "{key} not named in: {err}");
    }
    assert!(err.contains("12 problems"), "{err}");
    // Each value the complete configuration fixes is refused on its own.
    for (key, value, problems) in [
        ("server.public_url", json!("http://inapp.broker.test"), 1),
        ("ctrader.base_url", json!("http://ctrader.broker.test"), 1),
        ("server.test_routes", json!(true), 1),
        ("server.staging", json!(true), 1),
        ("actions.handoff_secret", json!("development-handoff-secret-change-me-0123456789"), 1),
        ("payments.bank_transfer.accounts.EUR.beneficiary", json!("Example Broker Ltd"), 1),
        // The sandbox method itself, and no method left that takes money.
        ("deposit.methods", json!([{ "name": "card", "kind": "sandbox" }]), 2),
        // No sanctions list at all (a PEP list alone does not do).
        ("kyc.screening.lists", json!([{ "name": "PEPs", "kind": "pep", "format": "simple_csv", "path": "/srv/lists/peps.csv" }]), 1),
    ] {
        let err = refusal(Settings::with(production(), key, value));
        let named = key.strip_suffix(".beneficiary").unwrap_or(key);
        assert!(err.contains(&format!("`{named}")) && err.contains(&format!("({problems} problems")), "{key}: {err}");
    }
    // The CRM password's hash counts in Full SSO mode, where cTrader presents it.
    let sso = Settings::with(production(), "identity.mode", "full_sso");
    let dev_hash = Settings::defaults().extract_inner::<String>("identity.crm_password_hash").unwrap();
    let err = refusal(Settings::with(sso, "identity.crm_password_hash", dev_hash));
    assert!(err.contains("`identity.crm_password_hash`") && err.contains("(1 problems"), "{err}");
}

#[test]
fn production_takes_stripe_only_live_and_never_the_simulator() {
    let with_stripe = Settings::with(production(), "deposit.methods", json!([{ "name": "stripe", "kind": "stripe_checkout" }]));
    let err = refusal(with_stripe.clone());
    for key in ["payments.stripe.api_base", "payments.stripe.secret_key", "payments.stripe.webhook_secret"] {
        assert!(err.contains(&format!("`{key}`")), "{key}: {err}");
    }
    let test_key = Settings::with(with_stripe.clone(), "payments.stripe.api_base", "https://api.stripe.com");
    let test_key = Settings::with(test_key, "payments.stripe.webhook_secret", "whsec_the_endpoints_own");
    let err = refusal(Settings::with(test_key.clone(), "payments.stripe.secret_key", "sk_test_51AbC"));
    assert!(err.contains("`payments.stripe.secret_key`") && err.contains("(1 problems") && !err.contains("sk_test_51AbC"), "{err}");
    let live = Settings::from_figment(Settings::with(test_key.clone(), "payments.stripe.secret_key", "sk_live_51AbC")).expect("live Stripe starts");
    assert!(!format!("{live:?}").contains("sk_live_51AbC"), "the key stays out of Debug");
    // Stripe charges JPY in whole yen: a broker's JPY with 2 digits beside Stripe would charge 100×.
    let yen = Settings::with(Settings::defaults(), "deposit.methods", json!([{ "name": "stripe", "kind": "stripe_checkout" }]));
    let err = refusal(Settings::with(yen, "deposit.currencies.JPY.digits", 2));
    assert!(err.contains("deposit.currencies.JPY.digits") && err.contains("Stripe takes JPY with 0 digits"), "{err}");
}

#[test]
fn a_real_ctrader_in_development_gets_the_same_refusals_unless_declared_staging() {
    let real = Settings::with(Settings::defaults(), "ctrader.base_url", "https://ctrader.broker.test");
    let real = Settings::with(real, "ctrader.manager_password", "the real manager password");
    let err = refusal(real.clone());
    assert!(err.contains("`deposit.methods[0].kind`") && err.contains("`payments.webhook_secret`"), "{err}");
    let staging = Settings::from_figment(Settings::with(real, "server.staging", true)).expect("staging sets the refusals aside");
    assert!(staging.is_staging() && !staging.enforces_production_rules());
    // With the simulator, development is development: nothing is refused.
    let dev = Settings::from_figment(Settings::defaults()).unwrap();
    assert!(!dev.enforces_production_rules() && !dev.is_staging());
}

/// `[storage.objects]` for an S3 bucket over https, as production would have it.
fn s3(f: figment::Figment) -> figment::Figment {
    let f = Settings::with(f, "storage.objects.backend", "s3");
    let f = Settings::with(f, "storage.objects.endpoint", "https://s3.broker.test");
    let f = Settings::with(f, "storage.objects.bucket", "kyc-documents");
    let f = Settings::with(f, "storage.objects.access_key_id", "AKIAEXAMPLE");
    Settings::with(f, "storage.objects.secret_access_key", "the-s3-secret-key")
}

#[test]
fn object_storage_on_s3_needs_a_bucket_and_credentials_and_production_refuses_plain_http() {
    let s = Settings::from_figment(s3(production())).expect("S3 over https starts in production");
    assert_eq!(s.storage.objects.backend, broker_inapp::config::ObjectBackend::S3);
    assert!(!format!("{s:?}").contains("the-s3-secret-key"), "the secret stays out of Debug");
    // Each missing piece is refused by its key, in any mode.
    for base in [production(), Settings::defaults()] {
        for (key, value, named) in [
            ("storage.objects.bucket", "", "storage.objects.bucket"),
            ("storage.objects.access_key_id", "", "storage.objects.access_key_id"),
            ("storage.objects.secret_access_key", "", "storage.objects.secret_access_key"),
            ("storage.objects.endpoint", "ftp://s3.broker.test", "storage.objects.endpoint"),
            ("storage.objects.endpoint", "http://s3.broker.test", "storage.objects.endpoint"),
            ("storage.objects.prefix", "../other", "storage.objects.prefix"),
            ("storage.objects.prefix", "trailing/", "storage.objects.prefix"),
        ] {
            let err = refusal(Settings::with(s3(base.clone()), key, value));
            assert!(err.contains(&format!("`{named}`")) && !err.contains("the-s3-secret-key"), "{key} = {value:?}: {err}");
        }
        let err = refusal(Settings::with(base.clone(), "storage.objects.orphan_grace_minutes", 0));
        assert!(err.contains("`storage.objects.orphan_grace_minutes`"), "{err}");
    }
    // A test server over http: development takes it with allow_http, production refuses it.
    let http = |f| Settings::with(Settings::with(s3(f), "storage.objects.endpoint", "http://127.0.0.1:55433"), "storage.objects.allow_http", true);
    let dev = Settings::from_figment(http(Settings::defaults())).expect("development talks to a local test server");
    assert!(dev.storage.objects.allow_http);
    let err = refusal(http(production()));
    assert!(err.contains("`storage.objects.allow_http`") && err.contains("(1 problems"), "{err}");
    // The local backend needs none of it.
    let local = Settings::from_figment(Settings::with(production(), "storage.objects.prefix", "prod/kyc")).unwrap();
    assert_eq!(local.storage.objects.backend, broker_inapp::config::ObjectBackend::Local);
}

#[test]
fn production_refuses_the_test_routes() {
    let err = refusal(Settings::with(production(), "server.test_routes", true));
    assert!(err.contains("server.test_routes"), "{err}");
    // Development allows them (the black-box tests run with them).
    assert!(Settings::from_figment(Settings::with(Settings::defaults(), "server.test_routes", true)).unwrap().server.test_routes);
}

#[test]
fn same_site_none_is_refused_without_an_https_public_url() {
    let none = |f| Settings::with(f, "session.same_site", "none");
    for base in [production(), Settings::defaults()] {
        let err = refusal(Settings::with(none(base.clone()), "server.public_url", "http://inapp.broker.example"));
        assert!(err.contains("session.same_site") && err.contains("https"), "{err}");
        let err = refusal(Settings::with(none(base.clone()), "server.public_url", "http://127.0.0.1:3000"));
        assert!(err.contains("session.same_site"), "{err}");
    }
    // With https both start.
    let s = Settings::from_figment(Settings::with(none(production()), "server.public_url", "https://inapp.broker.example")).unwrap();
    assert_eq!(s.session.same_site, broker_inapp::config::SameSite::None);
    let s = Settings::from_figment(Settings::with(none(Settings::defaults()), "server.public_url", "https://inapp.broker.example")).unwrap();
    assert_eq!(s.session.same_site, broker_inapp::config::SameSite::None);
}

/// `check-config` lists what production refuses, by key, and says so in its exit code.
#[tokio::test]
async fn check_config_lists_every_refusal_and_exits_non_zero_until_there_are_none() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = command(dir.path(), &["check-config"], &[], None).await;
    assert_eq!(code, 1, "{out}{err}");
    for key in SHIPPED_REFUSALS {
        assert!(out.contains(&format!("`{key}`")), "{key} not listed: {out}");
    }
    assert!(out.contains("development mode, where these are allowed"), "{out}");
    // The same in production mode, where the server itself would not start.
    let (code, out, _) = command(dir.path(), &["check-config"], &[("INAPP_SERVER__MODE", "production")], None).await;
    assert_eq!(code, 1);
    assert!(out.contains("production would refuse 12 settings") && !out.contains("development mode"), "{out}");
    let (code, _, err) = command(dir.path(), &[], &[("INAPP_SERVER__MODE", "production")], None).await;
    assert_eq!(code, 2, "the server refuses to start");
    assert!(err.contains("`payments.webhook_secret`") && !err.contains("sandbox-webhook-secret"), "named, never printed: {err}");

    // Fixed through the environment (a secret through a file): nothing left.
    let secret = dir.path().join("handoff-secret");
    std::fs::write(&secret, "a-handoff-secret-from-a-file-of-32-chars-or-more\n").unwrap();
    let methods = r#"[{ name = "bank_transfer", kind = "bank_transfer", currencies = { EUR = {} } }]"#;
    let lists = r#"[{ name = "UN", kind = "sanctions", format = "un_xml", path = "/srv/lists/consolidated.xml" }]"#;
    let fixed = [
        ("INAPP_SERVER__MODE", "production"),
        ("INAPP_SERVER__PUBLIC_URL", "https://inapp.broker.test"),
        ("INAPP_CTRADER__BASE_URL", "https://ctrader.broker.test"),
        ("INAPP_CTRADER__MANAGER_PASSWORD", "the real manager password"),
        ("INAPP_ACTIONS__HANDOFF_SECRET_FILE", secret.to_str().unwrap()),
        ("INAPP_ACTIONS__TYPES__CLIENT_AREA__URL", "https://clients.broker.test/inapp-sso"),
        ("INAPP_DEPOSIT__METHODS", methods),
        ("INAPP_KYC__SCREENING__LISTS", lists),
        ("INAPP_PAYMENTS__BANK_TRANSFER__ACCOUNTS__EUR__IBAN", "GB82WEST12345698765432"),
    ];
    let (code, out, err) = command(dir.path(), &["check-config"], &fixed, None).await;
    assert_eq!(code, 1, "{out}{err}");
    // Only the sample account's beneficiary is left, and an empty IBAN takes the sample IBAN away.
    assert!(out.contains("refuse 1 settings") && out.contains("`payments.bank_transfer.accounts.EUR`"), "{out}");
    let mut own = fixed.to_vec();
    own.push(("INAPP_PAYMENTS__BANK_TRANSFER__ACCOUNTS__EUR__BENEFICIARY", "Real Broker Ltd"));
    let (code, out, err) = command(dir.path(), &["check-config"], &own, None).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ready for production"), "{out}");
    own.push(("INAPP_PAYMENTS__BANK_TRANSFER__ACCOUNTS__EUR__IBAN", ""));
    own.push(("INAPP_PAYMENTS__BANK_TRANSFER__ACCOUNTS__EUR__ACCOUNT_NUMBER", "12345678"));
    let (code, out, err) = command(dir.path(), &["check-config"], &own, None).await;
    assert_eq!(code, 0, "an account without an IBAN: {out}{err}");
}

/// An app built from `settings` on a free port with its own files.
async fn app_from(dir: &tempfile::TempDir, edit: impl FnOnce(&mut Settings)) -> String {
    let mut settings = Settings::from_figment(common::settings_in(dir.path())).unwrap();
    edit(&mut settings);
    let app = Application::build(settings).await.expect("application builds");
    let base = format!("http://{}", app.addr());
    tokio::spawn(app.run_until_stopped());
    base
}

/// The gallery is for designers: served in development, a 404 in production.
/// (The production app here is development settings switched to production
/// mode after loading, so it still runs on the built-in simulator.)
#[tokio::test]
async fn the_gallery_is_served_in_development_and_not_in_production() {
    let http = common::client();
    let dev_dir = tempfile::tempdir().unwrap();
    let dev = app_from(&dev_dir, |_| {}).await;
    let prod_dir = tempfile::tempdir().unwrap();
    let prod = app_from(&prod_dir, |s| s.server.mode = Mode::Production).await;

    let res = http.get(format!("{dev}/gallery")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("data-testid=\"gallery-cell\""));
    let res = http.get(format!("{dev}/gallery/view?screen=deposit&state=filled&theme=light&lang=en")).send().await.unwrap();
    assert_eq!(res.status(), 200);

    for path in ["/gallery", "/gallery?lang=de&width=1280", "/gallery/view?screen=deposit&state=filled&theme=light&lang=en"] {
        let res = http.get(format!("{prod}{path}")).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path} in production");
        let html = res.text().await.unwrap();
        assert!(!html.contains("gallery-cell"), "{path}: no gallery content");
    }
    assert_eq!(http.get(format!("{prod}/healthz")).send().await.unwrap().status(), 200, "the production app itself serves");
}

// ---------------------------------------------------------------------------
// 6. cargo-leptos's LEPTOS_* variables.
// ---------------------------------------------------------------------------

/// The binary with its files under `dir`; no `INAPP_LEPTOS__*` so that only
/// the `LEPTOS_*` variables given place it.
fn binary(dir: &std::path::Path) -> Command {
    let db = |name: &str| format!("sqlite://{}/{name}", dir.display());
    let mut cmd = Command::new(BIN);
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("INAPP_CONFIG")
        .env_remove("INAPP_LEPTOS__SITE_ADDR")
        .env_remove("INAPP_LEPTOS__SITE_ROOT")
        .env_remove("INAPP_LEPTOS__SITE_PKG_DIR")
        .env_remove("INAPP_LEPTOS__OUTPUT_NAME")
        .env_remove("INAPP_LEPTOS__RELOAD_PORT")
        .env("INAPP_STORAGE__DATA_DIR", dir)
        .env("INAPP_STORAGE__DATABASE_URL", db("app.db"))
        .env("INAPP_SIMULATOR__DATABASE_URL", db("sim.db"))
        .env("INAPP_PAYMENTS__SANDBOX_DATABASE_URL", db("psp.db"))
        .env("RUST_LOG", "error");
    cmd
}

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn cargo_leptos_variables_place_the_server_and_its_site() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site-from-leptos-env");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(site.join("probe.txt"), "served from LEPTOS_SITE_ROOT").unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cmd = binary(dir.path());
    cmd.env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("LEPTOS_SITE_ROOT", &site)
        .env("LEPTOS_SITE_PKG_DIR", "assets-x")
        .env("LEPTOS_OUTPUT_NAME", "brand-x")
        .env("LEPTOS_RELOAD_PORT", "3999")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let _server = Child(cmd.spawn().unwrap());
    let base = format!("http://127.0.0.1:{port}");
    let http = common::client();
    until("the server on LEPTOS_SITE_ADDR", || async {
        match http.get(format!("{base}/healthz")).send().await {
            Ok(r) if r.status() == 200 => Ok(()),
            other => Err(other.map(|r| r.status())),
        }
    })
    .await;

    let res = http.get(format!("{base}/probe.txt")).send().await.unwrap();
    assert_eq!(res.status(), 200, "static files come from LEPTOS_SITE_ROOT");
    assert_eq!(res.text().await.unwrap(), "served from LEPTOS_SITE_ROOT");
    let html = http.get(format!("{base}/done/success")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("/assets-x/brand-x.css"), "the stylesheet is named by LEPTOS_SITE_PKG_DIR and LEPTOS_OUTPUT_NAME: {html}");
    assert!(!html.contains("/pkg/broker-inapp.css"), "not the file's defaults");
}

#[test]
fn a_bad_leptos_variable_stops_start_up_naming_the_setting() {
    for (var, value, key) in [("LEPTOS_RELOAD_PORT", "not-a-port", "leptos.reload_port"), ("LEPTOS_SITE_ADDR", "nowhere", "leptos.site_addr")] {
        let dir = tempfile::tempdir().unwrap();
        let mut child = binary(dir.path()).env(var, value).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                child.kill().unwrap();
                panic!("{var}={value}: the server started instead of refusing it");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{var}: {err}");
        assert!(err.to_lowercase().contains(key), "{var}: the refusal names {key}: {err}");
    }
}

// ---------------------------------------------------------------------------
// 7. The create-user and hash-password commands.
// ---------------------------------------------------------------------------

/// Runs the binary with `args`, `envs` and `stdin` to its end, off the test's
/// runtime (the app under test runs there and must keep serving); returns
/// (exit code, stdout, stderr).
async fn command(dir: &std::path::Path, args: &[&str], envs: &[(&str, &str)], stdin: Option<&str>) -> (i32, String, String) {
    let mut cmd = binary(dir);
    cmd.args(args).env_remove("INAPP_PASSWORD").env_remove("INAPP_USER_PASSWORD");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let stdin = stdin.map(str::to_string);
    tokio::task::spawn_blocking(move || {
        let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        {
            let mut input = child.stdin.take().unwrap();
            if let Some(text) = stdin {
                input.write_all(text.as_bytes()).unwrap();
            }
        }
        let out = child.wait_with_output().unwrap();
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    })
    .await
    .unwrap()
}

async fn crm_api_token(app: &TestApp, password: &str) -> u16 {
    app.http.post(app.url("/oauth2/crmApiToken")).json(&json!({ "password": password })).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn hash_password_prints_a_hash_the_crm_password_setting_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = command(dir.path(), &["hash-password"], &[("INAPP_PASSWORD", "the broker's crm password")], None).await;
    assert_eq!(code, 0, "{err}");
    let hash = out.trim().to_string();
    assert_eq!(out.lines().count(), 1, "one line: {out}");
    assert!(hash.starts_with("$argon2"), "an argon2 hash: {hash}");
    assert!(!out.contains("the broker's crm password"), "the password itself is not printed");

    // From stdin (the way that keeps it out of the process list), a fresh salt.
    let (code, out2, err) = command(dir.path(), &["hash-password"], &[], Some("the broker's crm password\n")).await;
    assert_eq!(code, 0, "{err}");
    assert!(out2.trim().starts_with("$argon2"));
    assert_ne!(out2.trim(), hash, "salted");

    // The printed hash is what identity.crm_password_hash takes: cTrader's
    // password call (4.1) then accepts that password and no other.
    for h in [hash.clone(), out2.trim().to_string()] {
        let app = spawn_with(|f| Settings::with(Settings::with(f, "identity.mode", "full_sso"), "identity.crm_password_hash", h)).await;
        assert_eq!(crm_api_token(&app, "the broker's crm password").await, 200);
        assert_eq!(crm_api_token(&app, broker_inapp::config::DEV_CRM_PASSWORD).await, 401, "the development password no longer works");
    }

    // Too short: refused, nothing printed.
    let (code, out, err) = command(dir.path(), &["hash-password"], &[("INAPP_PASSWORD", "short")], None).await;
    assert_eq!(code, 1);
    assert!(out.trim().is_empty(), "{out}");
    assert!(err.contains("at least 12"), "{err}");
}

#[tokio::test]
async fn create_user_stores_a_crm_user_who_can_sign_in_and_open_screens() {
    let app = spawn_with(|f| Settings::with(f, "identity.mode", "full_sso")).await;
    app.mint(json!({ "login": 300_123, "name": "Ines Duarte" })).await;
    let dir = app.dir.path();
    let password = "ines's long password";

    let envs = [("INAPP_USER_PASSWORD", password), ("INAPP_STORAGE__DATABASE_URL", &app.database_url)];
    let (code, out, err) = command(dir, &["create-user", "Ines@Trader.example", "300123"], &envs, None).await;
    assert_eq!(code, 0, "{out}{err}");
    let user_id: i64 = out
        .trim()
        .strip_prefix("user Ines@Trader.example created: userId ")
        .and_then(|rest| rest.strip_suffix(", login 300123"))
        .unwrap_or_else(|| panic!("unexpected output: {out}"))
        .parse()
        .unwrap();
    let db = app.db().await;
    let (email, login, stored): (String, i64, String) =
        sqlx::query_as("SELECT email, login, password_hash FROM sso_users WHERE user_id = $1").bind(user_id).fetch_one(&db).await.unwrap();
    assert_eq!((email.as_str(), login), ("ines@trader.example", 300_123));
    assert!(stored.starts_with("$argon2") && !stored.contains(password), "only an argon2 hash is stored");

    // The user signs in (Flow 2, the simulator playing cTrader) and the screen
    // opens for their trading account.
    let res = app
        .http
        .post(app.url("/sim/sso/first-login"))
        .json(&json!({ "email": "ines@trader.example", "password": password, "screen": "/inapp/deposit" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["userId"], user_id);
    let (cookie, _) = app.open(v["screenUrl"].as_str().unwrap()).await;
    let page = app.get_with_cookie("/inapp/deposit", &cookie).await.text().await.unwrap();
    assert!(page.contains("300123") && page.contains("Ines"), "the screen shows the user's account");
    let res =
        app.http.post(app.url("/sim/sso/first-login")).json(&json!({ "email": "ines@trader.example", "password": "not her password" })).send().await.unwrap();
    assert_eq!(res.status(), 502, "a wrong password is refused at sign-in");

    // The password may come from stdin; the same email twice is refused.
    let (code, out, err) = command(dir, &["create-user", "second@trader.example", "300124"], &envs[1..], Some("second user's password\n")).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("user second@trader.example created: userId ") && out.contains("login 300124"), "{out}");
    let (code, _, err) = command(dir, &["create-user", "ines@trader.example", "300125"], &envs, None).await;
    assert_eq!(code, 1);
    assert!(err.contains("already exists"), "{err}");
    let (code, _, err) = command(dir, &["create-user", "third@trader.example", "300126"], &[("INAPP_USER_PASSWORD", "short"), envs[1]], None).await;
    assert_eq!(code, 1);
    assert!(err.contains("at least 12"), "{err}");
    let (code, _, err) = command(dir, &["create-user", "fourth@trader.example"], &envs, None).await;
    assert_eq!(code, 2, "no login");
    assert!(err.contains("usage: broker-inapp create-user <email> <login>"), "{err}");
    assert_eq!(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM sso_users").fetch_one(&db).await.unwrap(), 2, "refused commands store nothing");
}

// ---------------------------------------------------------------------------
// 8. tradingLogin / login win over accountId in cTrader's token answer.
// ---------------------------------------------------------------------------

/// A cTrader whose one-time-token answer carries `accountId` 111111 and, per
/// token, `tradingLogin` and/or `login` too; every trader it knows is named
/// after its login. Returns its base URL and the logins it was asked for.
async fn platform() -> (String, Arc<Mutex<Vec<i64>>>) {
    let asked = Arc::new(Mutex::new(Vec::new()));
    let seen = asked.clone();
    let stub = axum::Router::new()
        .route("/v2/webserv/managers/token", post(|| async { axum::Json(json!({ "webservToken": "manager" })) }))
        .route(
            "/ctid2/inAppOneTimeToken/data",
            get(|Query(q): Query<std::collections::HashMap<String, String>>| async move {
                let mut answer = json!({ "userId": 7001, "traderId": 9001, "brokerName": "Stub Broker", "accountId": 111_111 });
                match q.get("inAppOneTimeToken").map(String::as_str) {
                    Some("token-trading-login-1") => answer["tradingLogin"] = json!(222_222),
                    Some("token-login-field-001") => answer["login"] = json!(333_333),
                    Some("token-both-fields-001") => {
                        answer["tradingLogin"] = json!(222_222);
                        answer["login"] = json!(333_333);
                    }
                    _ => {}
                }
                axum::Json(answer)
            }),
        )
        .route(
            "/v2/webserv/traders/{login}",
            get(move |Path(login): Path<i64>| {
                let seen = seen.clone();
                async move {
                    seen.lock().unwrap().push(login);
                    axum::Json(json!({ "login": login, "name": format!("Holder{login}"), "balance": 100_000, "moneyDigits": 2, "depositCurrency": "USD" }))
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, stub).await.unwrap() });
    (format!("http://{addr}"), asked)
}

#[tokio::test]
async fn trading_login_or_login_in_ctraders_answer_win_over_account_id() {
    let (ctrader, asked) = platform().await;
    let app = spawn_with(|f| common::real_ctrader(f, ctrader)).await;
    for (token, login) in
        [("token-trading-login-1", 222_222), ("token-login-field-001", 333_333), ("token-both-fields-001", 222_222), ("token-account-only-01", 111_111)]
    {
        asked.lock().unwrap().clear();
        let (cookie, _) = app.open(&format!("/inapp/deposit?token={token}")).await;
        let html = app.get_with_cookie("/inapp/deposit", &cookie).await.text().await.unwrap();
        assert!(html.contains(&format!("Holder{login}")), "{token}: the screen names trader {login}");
        for other in [111_111, 222_222, 333_333].into_iter().filter(|o| *o != login) {
            assert!(!html.contains(&format!("Holder{other}")), "{token}: not trader {other}");
        }
        assert!(asked.lock().unwrap().iter().all(|l| *l == login), "{token}: cTrader was asked only about {login}: {:?}", asked.lock().unwrap());
        // The session's account is that login: the deposit form opens for it
        // and refuses the other numbers as someone else's account.
        let own = app.call(&cookie, LoadDepositForm { account: Some(login.to_string()) }).await;
        assert_eq!(own.status(), 200, "{token}");
        assert_eq!(own.json::<Value>().await.unwrap()["login"], login, "{token}");
        if login != 111_111 {
            let res = app.call(&cookie, LoadDepositForm { account: Some("111111".into()) }).await;
            assert_eq!(res.status(), 403, "{token}: accountId 111111 is not the trading login");
        }
    }
}
