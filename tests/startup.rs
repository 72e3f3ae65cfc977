//! The binary refuses bad configuration before serving, naming the setting.

use std::process::Command;

fn run(envs: &[(&str, &str)]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_broker-inapp"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("INAPP_LEPTOS__SITE_ADDR", "127.0.0.1:0")
        .env("INAPP_STORAGE__DATA_DIR", dir.path())
        .env("INAPP_STORAGE__DATABASE_URL", format!("sqlite://{}/app.db", dir.path().display()));
    for (k, v) in envs {
        cmd.env(k, v);
    }
    finish(cmd)
}

/// The server on a free port with every file under `dir`.
fn server(dir: &std::path::Path) -> Command {
    let db = |name: &str| format!("sqlite://{}/{name}", dir.display());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_broker-inapp"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("INAPP_LEPTOS__SITE_ADDR", "127.0.0.1:0")
        .env("INAPP_STORAGE__DATA_DIR", dir)
        .env("INAPP_STORAGE__DATABASE_URL", db("app.db"))
        .env("INAPP_SIMULATOR__DATABASE_URL", db("sim.db"))
        .env("INAPP_PAYMENTS__SANDBOX_DATABASE_URL", db("psp.db"));
    cmd
}

/// Starts `cmd` (a [`server`]) with its log piped, read line by line on a
/// thread of its own; waits for the "listening" line and answers the child,
/// the rest of the log, and the server's base URL.
fn logged(mut cmd: Command) -> (std::process::Child, std::sync::mpsc::Receiver<String>, String) {
    use std::io::{BufRead, BufReader};
    let mut child = cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::null()).spawn().unwrap();
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let listening = lines.iter().find(|l| l.contains("broker-inapp listening")).expect("it starts");
    // Text or JSON: the port follows the loopback address either way.
    let port: String = listening.split("127.0.0.1:").nth(1).unwrap().chars().take_while(char::is_ascii_digit).collect();
    (child, lines, format!("http://127.0.0.1:{port}"))
}

/// Runs the command to its end; a server that starts instead of refusing is
/// killed and fails the test rather than hanging it.
fn finish(mut cmd: Command) -> (i32, String) {
    let mut child = cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the server started instead of refusing its configuration");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_bad_value_stops_start_up_naming_the_key() {
    let (code, err) = run(&[("INAPP_CTRADER__TIMEOUT_MS", "soon")]);
    assert_eq!(code, 2);
    assert!(err.to_lowercase().contains("ctrader.timeout_ms"), "{err}");
}

#[test]
fn production_without_a_real_ctrader_is_refused() {
    let (code, err) = run(&[("INAPP_SERVER__MODE", "production")]);
    assert_eq!(code, 2);
    assert!(err.contains("ctrader.base_url"), "{err}");
}

#[test]
fn development_values_are_refused_beside_a_real_ctrader_unless_it_is_declared_staging() {
    let (code, err) = run(&[("INAPP_CTRADER__BASE_URL", "https://ctrader.example")]);
    assert_eq!(code, 2, "test cards must not credit a real cTrader");
    assert!(err.contains("`deposit.methods[0].kind`") && err.contains("`payments.webhook_secret`"), "{err}");
    assert!(!err.contains("sandbox-webhook-secret"), "a secret is named, never printed: {err}");
}

/// Declared staging, the same settings start, and the log says so at start-up.
#[test]
fn a_staging_start_says_so_in_the_log() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut child = server(dir.path())
        .env("INAPP_PAYMENTS__WORKER", "false")
        .env("INAPP_CTRADER__BASE_URL", "https://ctrader.example")
        .env("INAPP_SERVER__STAGING", "true")
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        let listening = line.contains("broker-inapp listening");
        lines.push(line);
        if listening || lines.len() > 200 {
            break;
        }
    }
    child.kill().unwrap();
    let _ = child.wait();
    let log = lines.join("\n");
    assert!(log.contains("broker-inapp listening"), "it starts: {log}");
    assert!(log.contains("server.staging") && log.contains("WARN"), "the log says it runs as staging: {log}");
}

#[test]
fn a_missing_configuration_file_is_named() {
    let (code, err) = run(&[("INAPP_CONFIG", "/nonexistent/broker.toml")]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/broker.toml"), "{err}");
}

#[test]
fn a_missing_setting_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Leptos.toml")).unwrap();
    let without: String = text.lines().filter(|l| !l.starts_with("theme_file")).map(|l| format!("{l}\n")).collect();
    let path = dir.path().join("Leptos.toml");
    std::fs::write(&path, without).unwrap();
    let (code, err) = run(&[("INAPP_CONFIG", path.to_str().unwrap())]);
    assert_eq!(code, 2);
    assert!(err.contains("theme_file"), "{err}");
}

#[test]
fn a_bad_theme_stops_start_up_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/theme.toml")).unwrap();
    let path = dir.path().join("theme.toml");
    std::fs::write(&path, text.replacen("brand = \"#1d4ed8\"", "brand = \"blue\"", 1)).unwrap();
    let (code, err) = run(&[("INAPP_BROKER__THEME_FILE", path.to_str().unwrap())]);
    assert_eq!(code, 2);
    assert!(err.contains("colors.light.brand") && err.contains("broker.theme_file"), "{err}");
}

#[test]
fn create_admin_makes_the_first_admin_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/app.db", dir.path().display());
    let run = |password: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_broker-inapp"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["create-admin", "root@broker.example"])
            .env("INAPP_STORAGE__DATABASE_URL", &db)
            .env("INAPP_STORAGE__DATA_DIR", dir.path())
            .env("INAPP_ADMIN_PASSWORD", password)
            .output()
            .unwrap();
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
    };
    let (code, out) = run("short");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("at least 12"), "{out}");
    let (code, out) = run("a long enough admin password");
    assert_eq!(code, 0, "{out}");
    let (code, out) = run("a long enough admin password");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("already exists"), "{out}");
}

/// A shutdown (SIGTERM) ends the live chat streams at once, cleanly, so
/// their clients reconnect and resume; the server does not sit out its
/// grace period waiting for streams that never finish by themselves.
#[tokio::test]
async fn a_shutdown_ends_live_event_streams_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = server(dir.path());
    cmd.env("RUST_LOG", "info");
    let (mut child, lines, base) = logged(cmd);
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let minted: serde_json::Value = http.post(format!("{base}/sim/tokens")).json(&serde_json::json!({})).send().await.unwrap().json().await.unwrap();
    let opened = http.get(format!("{base}/inapp/chat?token={}", minted["token"].as_str().unwrap())).send().await.unwrap();
    let cookie = opened.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let mut events = http.get(format!("{base}/inapp/chat/events")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(events.status(), 200);
    assert!(events.chunk().await.unwrap().is_some(), "the stream is live");

    let stopped = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(stopped.success());
    // Read to the end: a clean end of the body, not a connection cut when
    // the process finally exits.
    let mut last = String::new();
    loop {
        match events.chunk().await {
            Ok(Some(chunk)) => last = String::from_utf8_lossy(&chunk).into_owned(),
            Ok(None) => break,
            Err(e) => panic!("the stream was cut instead of ended: {e}"),
        }
    }
    // The browser is told to reconnect soon (to another instance), resuming where it was.
    assert_eq!(last.trim(), "retry: 500", "the stream's last words");
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let rest: Vec<String> = lines.try_iter().collect();
    assert!(!rest.iter().any(|l| l.contains("still open")), "nothing left waiting: {rest:?}");
}

/// Several instances behind a load balancer: on SIGTERM an instance first
/// says it is not ready while it still answers, so the balancer stops
/// sending it traffic before it stops accepting connections.
#[tokio::test]
async fn a_draining_instance_is_alive_but_not_ready() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = server(dir.path());
    cmd.env("RUST_LOG", "info").env("INAPP_SERVER__DRAIN_MS", "60000");
    let (mut child, lines, base) = logged(cmd);
    let http = reqwest::Client::new();
    let status = |path: &'static str| {
        let (http, base) = (http.clone(), base.clone());
        async move { http.get(format!("{base}{path}")).send().await.unwrap().status().as_u16() }
    };
    assert_eq!((status("/livez").await, status("/readyz").await), (200, 200));

    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    lines.iter().find(|l| l.contains("draining")).expect("the log says it drains");
    let ready = http.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    assert_eq!(ready.json::<serde_json::Value>().await.unwrap()["reason"], "draining");
    assert_eq!(status("/livez").await, 200, "still alive and answering while it drains");
    child.kill().unwrap();
    child.wait().unwrap();
}

/// A deployment migrates once before rolling its instances.
#[tokio::test]
async fn migrate_brings_an_empty_database_to_this_versions_schema_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    let out = server(dir.path()).arg("migrate").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let latest = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/src/store/sqlite/migrations"))
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_str()?.split('_').next()?.parse::<i64>().ok())
        .max()
        .unwrap();
    assert!(stdout.contains(&format!("database migrated: at migration {latest}")), "{stdout}");
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}/app.db", dir.path().display())).await.unwrap();
    let deposits: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deposits").fetch_one(&db).await.expect("the schema is in place");
    assert_eq!(deposits, 0);
    assert!(!dir.path().join("sim.db").exists(), "nothing but the database was started");
}

/// `server.log_format = "json"`: one JSON object per line, each line of a
/// request carrying its request id: the load balancer's when it sends a plain
/// one (echoed on the response), a new one otherwise.
#[tokio::test]
async fn json_logs_carry_the_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = server(dir.path());
    // The test stands where the load balancer would.
    cmd.env("RUST_LOG", "info,tower_http=debug").env("INAPP_SERVER__LOG_FORMAT", "json").env("INAPP_SERVER__TRUSTED_PROXIES", r#"["127.0.0.1/32"]"#);
    let (mut child, lines, base) = logged(cmd);
    let http = reqwest::Client::new();

    let res = http.get(format!("{base}/inapp/deposit")).header("x-request-id", "lb-req-42").send().await.unwrap();
    assert_eq!(res.headers()["x-request-id"], "lb-req-42", "the balancer's id is kept and echoed");
    let mine = lines
        .iter()
        .map(|l| serde_json::from_str::<serde_json::Value>(&l).expect("every line is JSON"))
        .find(|v| v["spans"].as_array().is_some_and(|spans| spans.iter().any(|s| s["request_id"] == "lb-req-42")))
        .expect("a log line of that request carries its id");
    assert_eq!(mine["spans"][0]["path"], "/inapp/deposit");

    let res = http.get(format!("{base}/livez")).header("x-request-id", "not a plain id; {\"injected\": true}").send().await.unwrap();
    let made = res.headers()["x-request-id"].to_str().unwrap().to_string();
    assert!(made.len() == 32 && made.bytes().all(|b| b.is_ascii_hexdigit()), "a new id instead: {made}");
    child.kill().unwrap();
    child.wait().unwrap();
}
