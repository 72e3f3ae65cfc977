//! The server binary as an operator runs it, in its own process, so a test
//! can kill it (SIGKILL: no shutdown, no flush) and start it again.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;

/// A running server process; killed when dropped (a failed assert included).
pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    /// SIGTERM, as an orchestrator stops an instance; its exit status, or a
    /// panic if it is still running after `within`.
    pub fn terminate(&mut self, within: Duration) -> std::process::ExitStatus {
        assert!(Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap().success());
        let deadline = std::time::Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(std::time::Instant::now() < deadline, "still running {within:?} after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How to start one.
pub struct Launch<'a> {
    /// Its own files (the simulators' databases, the spool, local objects).
    pub dir: &'a Path,
    /// The platform to use (`None`: the built-in simulator, i.e. this process *is* cTrader).
    pub ctrader: Option<&'a str>,
    /// Its database (`None`: SQLite in `dir`).
    pub database_url: Option<&'a str>,
    /// More settings, as `INAPP_…` variables.
    pub env: &'a [(&'a str, String)],
}

impl<'a> Launch<'a> {
    pub fn new(dir: &'a Path) -> Self {
        Launch { dir, ctrader: None, database_url: None, env: &[] }
    }
}

/// Starts the binary and waits until it answers `/readyz`.
pub async fn start(launch: &Launch<'_>) -> Server {
    let dir = launch.dir;
    std::fs::create_dir_all(dir).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let db = |name: &str| format!("sqlite://{}/{name}", dir.display());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_broker-inapp"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("INAPP_LEPTOS__SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("INAPP_STORAGE__DATA_DIR", dir)
        .env("INAPP_STORAGE__DATABASE_URL", launch.database_url.map(str::to_string).unwrap_or_else(|| db("app.db")))
        .env("INAPP_SIMULATOR__DATABASE_URL", db("sim.db"))
        .env("INAPP_PAYMENTS__SANDBOX_DATABASE_URL", db("psp.db"))
        .env("INAPP_CTRADER__TIMEOUT_MS", "300")
        // Well beyond the 900 ms slowApply of the fault tests: the premise of
        // exactly-once is that cTrader finishes a change within settle_ms.
        .env("INAPP_PAYMENTS__SETTLE_MS", "2500")
        .env("INAPP_PAYMENTS__RETRY_BASE_MS", "20")
        .env("INAPP_PAYMENTS__RETRY_MAX_MS", "400")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(platform) = launch.ctrader {
        cmd.env("INAPP_CTRADER__BASE_URL", format!("{platform}/sim")).env("INAPP_SERVER__STAGING", "true");
    }
    for (k, v) in launch.env {
        cmd.env(k, v);
    }
    let server = Server { child: cmd.spawn().unwrap(), base: format!("http://127.0.0.1:{port}") };
    let http = reqwest::Client::new();
    super::eventually_within("the server to come up", Duration::from_secs(60), || async {
        match http.get(format!("{}/readyz", server.base)).send().await {
            Ok(res) if res.status() == 200 => Ok(()),
            other => Err(other.map(|r| r.status())),
        }
    })
    .await;
    server
}

/// Makes the platform's `changeBalance` fail or slow down 30% of the time.
pub async fn set_fault(http: &reqwest::Client, platform: &Server, kind: &str, delay_ms: u64) {
    let fault = json!({ "endpoint": "changeBalance", "kind": kind, "delayMs": delay_ms, "status": 503, "probability": 0.3 });
    let res = http.post(format!("{}/sim/faults", platform.base)).json(&fault).send().await.unwrap();
    assert_eq!(res.status(), 201);
}

/// Posts a signed sandbox webhook, as the provider does.
pub async fn deliver(http: &reqwest::Client, server: &Server, body: &str) {
    use super::deposits::{now_s, SECRET};
    use broker_inapp::deposit::signature;
    let res = http
        .post(format!("{}/payments/webhook/sandbox", server.base))
        .header("content-type", "application/json")
        .header(signature::HEADER, signature::sign(SECRET, now_s(), body.as_bytes()))
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}
