//! Black-box harness: builds the real application (server + built-in cTrader
//! simulator) on a free port with its own temporary database and files, and
//! talks to it over HTTP like a browser or cTrader would.
#![allow(dead_code)]

pub mod chat;
pub mod deposits;
pub mod kyc;
pub mod ledger;
pub mod process;

use broker_inapp::config::Settings;
use broker_inapp::startup::Application;
use figment::Figment;
use leptos::server_fn::ServerFn;
use serde_json::Value;

pub struct TestApp {
    pub base: String,
    pub state: broker_inapp::state::AppState,
    pub http: reqwest::Client,
    pub dir: tempfile::TempDir,
    /// The app's own database (SQLite in `dir`, or PostgreSQL: see [`app_database`]).
    pub database_url: String,
    /// The admin listener (`server.admin_addr`), when the test asked for one.
    pub admin: Option<String>,
}

/// The database a test app runs on: SQLite in its folder by default; with
/// `TEST_DATABASE=postgres`, a fresh database on the `INAPP_TEST_DATABASE_URL`
/// server, so the same black-box tests prove the PostgreSQL backend too.
pub async fn app_database(dir: &std::path::Path) -> String {
    match std::env::var("TEST_DATABASE").as_deref() {
        Ok("postgres") => fresh_postgres("it").await,
        Ok("sqlite") | Err(_) => format!("sqlite://{}/app.db", dir.display()),
        Ok(other) => panic!("TEST_DATABASE={other}: sqlite or postgres"),
    }
}

/// Where a test app keeps uploaded files: `storage.data_dir/documents` by
/// default; with `TEST_OBJECTS=s3`, the bucket `broker-inapp-test` on the S3
/// server at `TEST_S3_ENDPOINT` (`scripts/s3.sh` starts one), under a key
/// prefix of its own so apps never see each other's objects.
pub fn app_objects(f: Figment) -> Figment {
    match std::env::var("TEST_OBJECTS").as_deref() {
        Ok("s3") => {
            static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
            let endpoint = std::env::var("TEST_S3_ENDPOINT").unwrap_or_else(|_| "http://127.0.0.1:55433".into());
            let prefix = format!(
                "it-{}-{}-{}",
                std::process::id(),
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis(),
                NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            );
            let f = Settings::with(f, "storage.objects.backend", "s3");
            let f = Settings::with(f, "storage.objects.endpoint", endpoint);
            let f = Settings::with(f, "storage.objects.bucket", "broker-inapp-test");
            let f = Settings::with(f, "storage.objects.access_key_id", "test");
            let f = Settings::with(f, "storage.objects.secret_access_key", "test");
            let f = Settings::with(f, "storage.objects.allow_http", true);
            Settings::with(f, "storage.objects.prefix", prefix)
        }
        Ok("local") | Err(_) => f,
        Ok(other) => panic!("TEST_OBJECTS={other}: local or s3"),
    }
}

/// A new, empty database on the `INAPP_TEST_DATABASE_URL` server; its URL.
pub async fn fresh_postgres(prefix: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let admin = std::env::var("INAPP_TEST_DATABASE_URL")
        .expect("INAPP_TEST_DATABASE_URL names a PostgreSQL server the tests may create databases on (`make test` starts one with scripts/postgres.sh)");
    let name = format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let pool = sqlx::PgPool::connect(&admin).await.expect("the test PostgreSQL server answers");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await.unwrap();
    pool.close().await;
    let (server, _) = admin.rsplit_once('/').expect("a postgres:// URL with a database");
    format!("{server}/{name}")
}

/// A client that, like a test should, sees redirects and cookies itself.
/// A login as the product types it (tests get plain numbers from the simulator).
/// What a page shows: its HTML without its script elements. A screen
/// carries its language's texts and its resources' data as JSON in scripts,
/// so a text found there says nothing about what is on screen.
pub fn shown(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        out.push_str(&rest[..start]);
        rest = rest[start..].find("</script>").map_or("", |end| &rest[start + end + "</script>".len()..]);
    }
    out.push_str(rest);
    out
}

pub fn login(n: i64) -> broker_inapp::domain::Login {
    broker_inapp::domain::Login::new(n).expect("a positive login")
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

pub async fn spawn() -> TestApp {
    spawn_with(|f| f).await
}

/// The defaults on a free port, with every file under `dir`.
pub fn settings_in(dir: &std::path::Path) -> Figment {
    let path = dir.display().to_string();
    let f = Settings::defaults();
    let f = Settings::with(f, "leptos.site_addr", "127.0.0.1:0");
    let f = Settings::with(f, "storage.data_dir", &path);
    // No site unless a test brings one: pages link their stylesheet whatever
    // `target/site` holds on this machine (a built site would be inlined).
    let f = Settings::with(f, "leptos.site_root", format!("{path}/site"));
    let f = Settings::with(f, "storage.database_url", format!("sqlite://{path}/app.db"));
    let f = Settings::with(f, "simulator.database_url", format!("sqlite://{path}/sim.db"));
    Settings::with(f, "payments.sandbox_database_url", format!("sqlite://{path}/psp.db"))
}

pub async fn spawn_with(overrides: impl FnOnce(Figment) -> Figment) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let f = Settings::with(settings_in(dir.path()), "server.test_routes", true);
    let f = Settings::with(f, "storage.database_url", app_database(dir.path()).await);
    let f = app_objects(f);
    // See `TestApp::drain`.
    let f = Settings::with(f, "payments.worker", false);
    let settings = Settings::from_figment(overrides(f)).expect("test settings are valid");
    let database_url = settings.storage.database_url.clone();
    let app = Application::build(settings).await.expect("application builds");
    let base = format!("http://{}", app.addr());
    let admin = app.admin_addr().map(|a| format!("http://{a}"));
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp { base, state, http: client(), dir, database_url, admin }
}

impl TestApp {
    /// Runs the outbox workers' rounds (credits, debits, their audits, accessRights)
    /// until none has anything due. Ordinary tests run without the background
    /// workers and drain them on purpose, so what a test sees never depends on
    /// when a worker happened to wake; the tests of the workers themselves
    /// turn them on.
    pub async fn drain(&self) {
        use broker_inapp::deposit::credit;
        use broker_inapp::withdrawal::debit;
        for _ in 0..100 {
            let credits = credit::run_once(&self.state).await.expect("a credit round");
            let audits = credit::audit_once(&self.state).await.expect("an audit round");
            let debits = debit::run_once(&self.state).await.expect("a debit round");
            let debit_audits = debit::audit_once(&self.state).await.expect("a debit audit round");
            let access = broker_inapp::kyc::access::run_once(&self.state).await.expect("an accessRights round");
            let notices = broker_inapp::notify::run_once(&self.state).await.expect("a CRM notice round");
            if credits + audits + debits + debit_audits + access + notices == 0 {
                return;
            }
        }
        panic!("the workers still had work after 100 rounds");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `POST /sim/tokens`; returns the simulator's answer.
    pub async fn mint(&self, body: Value) -> Value {
        let res = self.http.post(self.url("/sim/tokens")).json(&body).send().await.unwrap();
        assert_eq!(res.status(), 201, "minting a token");
        res.json().await.unwrap()
    }

    pub async fn token(&self) -> (String, i64) {
        let v = self.mint(serde_json::json!({})).await;
        (v["token"].as_str().unwrap().to_string(), v["login"].as_i64().unwrap())
    }

    pub async fn resolve_calls(&self) -> i64 {
        let v: Value = self.http.get(self.url("/sim/stats")).send().await.unwrap().json().await.unwrap();
        v["calls"]["resolve"].as_i64().unwrap()
    }

    /// Calls of a simulator endpoint that have not finished yet.
    pub async fn in_flight(&self, endpoint: &str) -> i64 {
        let v: Value = self.http.get(self.url("/sim/stats")).send().await.unwrap().json().await.unwrap();
        v["inFlight"][endpoint].as_i64().expect("the simulator reports calls in flight")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    pub async fn get_with_cookie(&self, path: &str, cookie: &str) -> reqwest::Response {
        self.http.get(self.url(path)).header("cookie", cookie).send().await.unwrap()
    }

    /// Opens `path` (which carries `token=`) and returns the `name=value` cookie
    /// and the redirect target.
    pub async fn open(&self, path: &str) -> (String, String) {
        let res = self.get(path).await;
        assert_eq!(res.status(), 303, "token exchange answers 303");
        (cookie_pair(&res), res.headers()["location"].to_str().unwrap().to_string())
    }

    /// The keys of every object the app stored (documents, attachments,
    /// previews), sorted, read from its object store (local or S3) directly.
    pub async fn object_keys(&self) -> Vec<String> {
        use futures::TryStreamExt;
        let (store, prefix) = broker_inapp::kyc::files::object_store(&self.state.settings.storage).unwrap();
        let under = prefix.as_ref().map(|p| format!("{}/", p.as_ref())).unwrap_or_default();
        let listed: Vec<object_store::ObjectMeta> = store.list(prefix.as_ref()).try_collect().await.unwrap();
        let mut keys: Vec<String> = listed.iter().map(|m| m.location.as_ref().strip_prefix(under.as_str()).unwrap().to_string()).collect();
        keys.sort();
        keys
    }

    /// Whether the app's object store holds `key`.
    pub async fn has_object(&self, key: &str) -> bool {
        self.object_keys().await.iter().any(|k| k == key)
    }

    pub async fn session_count(&self) -> i64 {
        self.count("app.db", "SELECT COUNT(*) FROM sessions").await
    }
}

/// The `name=value` part of the response's Set-Cookie.
pub fn cookie_pair(res: &reqwest::Response) -> String {
    let raw = res.headers()["set-cookie"].to_str().unwrap();
    raw.split(';').next().unwrap().to_string()
}

impl TestApp {
    /// Calls a server function as the hydrated page does (same origin,
    /// form-encoded), through the argument type `#[server]` generates: a
    /// renamed argument or endpoint breaks this build, not a test at runtime.
    pub async fn call<F: ServerFn + serde::Serialize>(&self, cookie: &str, args: F) -> reqwest::Response {
        let body = serde_qs::to_string(&args).unwrap();
        self.http
            .post(self.url(F::PATH))
            .header("cookie", cookie)
            .header("origin", self.base.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// A server function sent a body no generated type would make (missing
    /// or mistyped arguments), to see it refused.
    pub async fn server_fn(&self, cookie: &str, endpoint: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http.post(self.url(&format!("/api/{endpoint}"))).header("cookie", cookie).header("origin", self.base.clone()).form(form).send().await.unwrap()
    }

    /// A session for a new trader (or `login`) and its cookie.
    pub async fn sign_in(&self, login: Option<i64>) -> (String, i64) {
        let v = self.mint(serde_json::json!({ "login": login })).await;
        let token = v["token"].as_str().unwrap();
        let (cookie, _) = self.open(&format!("/inapp/deposit?token={token}")).await;
        (cookie, v["login"].as_i64().unwrap())
    }

    pub async fn sim_trader(&self, login: i64) -> Value {
        self.http.get(self.url(&format!("/sim/traders/{login}"))).send().await.unwrap().json().await.unwrap()
    }

    /// The one text value `sql` selects (`app.db` is the app's database on either backend).
    pub async fn text(&self, db: &str, sql: &str) -> String {
        if db == "app.db" {
            let pool = self.db().await;
            let v: String = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
            pool.close().await;
            return v;
        }
        let pool = self.pool(db).await;
        let v: String = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
        pool.close().await;
        v
    }

    /// The count `sql` selects (`app.db` is the app's database on either backend).
    pub async fn count(&self, db: &str, sql: &str) -> i64 {
        if db == "app.db" {
            let pool = self.db().await;
            let n: i64 = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
            pool.close().await;
            return n;
        }
        let pool = self.pool(db).await;
        let n: i64 = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
        pool.close().await;
        n
    }

    /// A connection to the app's own database, whichever the backend: tests
    /// write portable SQL (`$1` parameters, TRUE/FALSE).
    pub async fn db(&self) -> sqlx::AnyPool {
        sqlx::any::install_default_drivers();
        sqlx::AnyPool::connect(&self.database_url).await.unwrap()
    }
}

/// Points the app at a cTrader stand-in instead of the built-in simulator,
/// declared a test one (`server.staging`) so development values still start.
pub fn real_ctrader(f: Figment, base_url: impl Into<String>) -> Figment {
    let f = Settings::with(f, "ctrader.base_url", base_url.into());
    Settings::with(f, "server.staging", true)
}

/// Creates a staff member with `role` and signs them in; returns the cookie.
pub async fn staff_cookie(app: &TestApp, email: &str, role: broker_inapp::backoffice::Role) -> String {
    broker_inapp::backoffice::create_staff(&app.state.store, email, "a long staff password", role).await.unwrap();
    let res = app
        .http
        .post(app.url("/backoffice/sign-in"))
        .header("origin", app.base.clone())
        .form(&[("email", email), ("password", "a long staff password")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "staff sign-in");
    cookie_pair(&res)
}

/// Polls `check` until it answers `Ok`, failing with `what` and the last
/// `Err` it saw after 20 s: the one way tests wait for something to happen
/// (never a fixed sleep).
pub async fn eventually<T, E, F, Fut>(what: &str, check: F) -> T
where
    E: std::fmt::Debug,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    eventually_within(what, std::time::Duration::from_secs(20), check).await
}

/// [`eventually`] for what takes longer by design (a run under injected faults).
pub async fn eventually_within<T, E, F, Fut>(what: &str, limit: std::time::Duration, mut check: F) -> T
where
    E: std::fmt::Debug,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let deadline = std::time::Instant::now() + limit;
    loop {
        match check().await {
            Ok(v) => return v,
            Err(last) => assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}; last seen: {last:?}"),
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// `Ok(())` when `done`, else the observation to report on timeout.
pub fn done_or<E>(done: bool, seen: E) -> Result<(), E> {
    if done {
        Ok(())
    } else {
        Err(seen)
    }
}

impl TestApp {
    /// A connection to one of the simulators' SQLite files (`sim.db`, `psp.db`).
    pub async fn pool(&self, db: &str) -> sqlx::SqlitePool {
        assert_ne!(db, "app.db", "the app's database may be PostgreSQL: use `db()`");
        sqlx::SqlitePool::connect(&format!("sqlite://{}/{db}", self.dir.path().display())).await.unwrap()
    }
}
