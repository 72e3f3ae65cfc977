//! Three instances behind one (imagined) load balancer: processes of the real
//! binary on loopback, each with its own folder, sharing one PostgreSQL
//! database and one S3 bucket, with cTrader (the simulator) in a fourth
//! process. Traffic goes through all three: a session opened on one is used
//! on the others, a document uploaded through one is served by all, a
//! trader on one chats with an agent on another, and 300
//! deposits are credited while one instance is killed (SIGKILL) and started
//! again. Every deposit is credited exactly once, every chat message arrives
//! once and in order on both sides. Runs only on PostgreSQL and S3 (the
//! second pass of `make test`, with `--include-ignored`): SQLite and the
//! local disk are one instance's.

use crate::common;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use broker_inapp::backoffice::Role;
use common::chat::{events_at, next};
use common::deposits::event;
use common::ledger::{slow_pending, wait_until_landed};
use common::process::{deliver, set_fault, start, Launch, Server};
use serde_json::{json, Value};

const DEPOSITS: usize = 300;
const TRADERS: i64 = 10;

struct Cluster {
    _dir: tempfile::TempDir,
    platform: Server,
    instances: Vec<Option<Server>>,
    database_url: String,
    prefix: String,
    http: reqwest::Client,
}

impl Cluster {
    fn at(&self, i: usize) -> &Server {
        self.instances[i].as_ref().expect("instance running")
    }

    /// Starts instance `i` (again), on its own folder and the shared database.
    async fn start(&mut self, i: usize) {
        let dir = self._dir.path().join(format!("instance-{i}"));
        let s3 = std::env::var("TEST_S3_ENDPOINT").unwrap_or_else(|_| "http://127.0.0.1:55433".into());
        let env = [
            ("INAPP_CHAT__RATE_LIMIT_MESSAGES", "1000".to_string()),
            ("INAPP_STORAGE__OBJECTS__BACKEND", "s3".to_string()),
            ("INAPP_STORAGE__OBJECTS__ENDPOINT", s3),
            ("INAPP_STORAGE__OBJECTS__BUCKET", "broker-inapp-test".to_string()),
            ("INAPP_STORAGE__OBJECTS__ACCESS_KEY_ID", "test".to_string()),
            ("INAPP_STORAGE__OBJECTS__SECRET_ACCESS_KEY", "test".to_string()),
            ("INAPP_STORAGE__OBJECTS__ALLOW_HTTP", "true".to_string()),
            // One deployment: one prefix, shared by its instances.
            ("INAPP_STORAGE__OBJECTS__PREFIX", self.prefix.clone()),
        ];
        let launch = Launch { ctrader: Some(&self.platform.base), database_url: Some(&self.database_url), env: &env, ..Launch::new(&dir) };
        self.instances[i] = Some(start(&launch).await);
    }
}

/// Three instances on PostgreSQL and S3: the test is `#[ignore]`d in the
/// first pass and run with `--include-ignored` in the second, which sets both.
async fn cluster() -> Cluster {
    assert!(
        std::env::var("TEST_DATABASE").as_deref() == Ok("postgres") && std::env::var("TEST_OBJECTS").as_deref() == Ok("s3"),
        "run with TEST_DATABASE=postgres TEST_OBJECTS=s3 (make test's second pass)"
    );
    let dir = tempfile::tempdir().unwrap();
    let platform = start(&Launch::new(&dir.path().join("platform"))).await;
    let database_url = common::fresh_postgres("cluster").await;
    let prefix = database_url.rsplit('/').next().unwrap().to_string();
    let mut cluster = Cluster { _dir: dir, platform, instances: vec![None, None, None], database_url, prefix, http: reqwest::Client::new() };
    // The first start migrates; the others find the schema in place.
    for i in 0..3 {
        cluster.start(i).await;
    }
    cluster
}

/// A trader's session, opened from a fresh token on instance `on`.
async fn sign_in(c: &Cluster, on: usize, login: i64) -> String {
    let minted: Value = c.http.post(format!("{}/sim/tokens", c.platform.base)).json(&json!({ "login": login })).send().await.unwrap().json().await.unwrap();
    let http = common::client();
    let res = http.get(format!("{}/inapp/chat?token={}", c.at(on).base, minted["token"].as_str().unwrap())).send().await.unwrap();
    assert_eq!(res.status(), 303);
    common::cookie_pair(&res)
}

async fn post_json(c: &Cluster, on: usize, path: &str, cookie: &str, body: Value) -> reqwest::Response {
    let base = &c.at(on).base;
    c.http.post(format!("{base}{path}")).header("cookie", cookie).header("origin", base.clone()).json(&body).send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL and S3: make test's second pass runs it"]
async fn three_instances_share_sessions_chat_and_credit_each_deposit_once_through_a_crash() {
    let mut c = cluster().await;

    // A session opened on one instance works on every other.
    let trader = sign_in(&c, 0, 700_001).await;
    for i in 0..3 {
        let page = common::client().get(format!("{}/inapp/deposit", c.at(i).base)).header("cookie", &trader).send().await.unwrap();
        assert_eq!(page.status(), 200, "instance {i}");
        assert!(page.text().await.unwrap().contains("700001"), "instance {i} knows the trader");
    }

    // The trader's screens on instance 0 follow their account live.
    let mut account_seen = events_at(&c.http, &format!("{}/inapp/account/events", c.at(0).base), &trader, None).await;
    next(&mut account_seen, "change").await;

    // A document uploaded through one instance is served by every other.
    // Above the default `kyc.min_upload_bytes` (32 KiB): blank space in the catalog.
    let pdf = common::kyc::pdf(&" ".repeat(40_000));
    let base = &c.at(2).base;
    let part = reqwest::multipart::Part::bytes(pdf.clone()).file_name("statement.pdf").mime_str("application/pdf").unwrap();
    let uploaded = c
        .http
        .post(format!("{base}/inapp/kyc/documents?documentType=address"))
        .header("cookie", &trader)
        .header("origin", base.clone())
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), 201, "{}", uploaded.text().await.unwrap());
    let doc = uploaded.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    // ... and the screen on instance 0 hears of it (PostgreSQL's NOTIFY).
    next(&mut account_seen, "change").await;
    for i in 0..3 {
        let res = c.http.get(format!("{}/inapp/kyc/documents/{doc}", c.at(i).base)).header("cookie", &trader).send().await.unwrap();
        assert_eq!(res.status(), 200, "instance {i}");
        assert_eq!(res.bytes().await.unwrap().to_vec(), pdf, "instance {i} serves the stored bytes");
    }

    // A trader on instance 0 chats with an agent on instance 1.
    let store = broker_inapp::store::connect(&c.database_url).await.unwrap();
    broker_inapp::backoffice::create_staff(&store, "agent@broker.example", "a long staff password", Role::Support).await.unwrap();
    let signed = common::client()
        .post(format!("{}/backoffice/sign-in", c.at(1).base))
        .header("origin", c.at(1).base.clone())
        .form(&[("email", "agent@broker.example"), ("password", "a long staff password")])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 303);
    let agent = common::cookie_pair(&signed);
    assert_eq!(post_json(&c, 0, "/inapp/chat/messages", &trader, json!({ "clientId": "trader-000", "body": "hello" })).await.status(), 201);
    let conversation = store.chat.open_conversation(common::login(700_001), 0, None, 0, "test").await.unwrap().id;
    let mut trader_sees = events_at(&c.http, &format!("{}/inapp/chat/events", c.at(0).base), &trader, None).await;
    let mut agent_sees = events_at(&c.http, &format!("{}/backoffice/chat/{conversation}/events", c.at(1).base), &agent, None).await;
    assert_eq!(next(&mut trader_sees, "message").await["body"], "hello");
    assert_eq!(next(&mut agent_sees, "message").await["body"], "hello");
    for n in 1..=10 {
        let (from, on, path, cookie) = if n % 2 == 0 {
            ("trader", 2, "/inapp/chat/messages".to_string(), &trader)
        } else {
            ("agent", 1, format!("/backoffice/chat/{conversation}/messages"), &agent)
        };
        let res = post_json(&c, on, &path, cookie, json!({ "clientId": format!("{from}-msg-{n:03}"), "body": format!("{from} {n}") })).await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    }
    // Each side hears every message once, in order, whichever instance stored it.
    for (side, rx) in [("trader", &mut trader_sees), ("agent", &mut agent_sees)] {
        let mut bodies = Vec::new();
        for _ in 1..=10 {
            let m = next(rx, "message").await;
            bodies.push(format!("{} {}", m["seq"], m["body"].as_str().unwrap()));
        }
        let expected: Vec<String> = (1..=10).map(|n| format!("{} {} {n}", n + 1, if n % 2 == 0 { "trader" } else { "agent" })).collect();
        assert_eq!(bodies, expected, "what the {side} saw");
    }

    // 300 deposits, their payments arriving at all three instances, while
    // cTrader is slow and instance 1 dies mid-credit and comes back.
    let logins: Vec<i64> = (0..TRADERS).map(|i| 710_000 + i).collect();
    for login in &logins {
        let res = c.http.post(format!("{}/sim/tokens", c.platform.base)).json(&json!({ "login": login, "balance": "0" })).send().await.unwrap();
        assert_eq!(res.status(), 201);
    }
    let now = broker_inapp::time::now_ms();
    let (mut confirmed, mut unconfirmed, mut events) = (HashMap::new(), HashSet::new(), vec![]);
    for i in 0..DEPOSITS {
        let (id, login, minor) = (format!("dep_e{i:031x}"), logins[i % TRADERS as usize], 3_000 + i as i64);
        store.deposits.create_or_get(&common::deposits::pending_record(&id, login, minor, format!("cluster-key-{i:04}-0123456789"), now)).await.unwrap();
        let amount = format!("{}.{:02}", minor / 100, minor % 100);
        if i % 20 == 0 {
            events.push(event(&format!("evt_d_{i}"), "payment.failed", &id, &amount));
            unconfirmed.insert(id);
        } else {
            events.push(event(&format!("evt_s_{i}"), "payment.succeeded", &id, &amount));
            confirmed.insert(id, (login, minor));
        }
    }
    let credited = || async {
        let n = broker_inapp::store::DepositStore::count(&*store.deposits, Some(broker_inapp::domain::DepositState::Credited)).await.unwrap();
        n as usize
    };
    set_fault(&c.http, &c.platform, "slowApply", 900).await;
    let half = events.len() / 2;
    for (n, body) in events[..half].iter().enumerate() {
        deliver(&c.http, c.at(n % 3), body).await;
    }
    common::eventually_within("credits done and a change still landing", Duration::from_secs(60), || async {
        let (done, landing) = (credited().await, slow_pending(&c.http, &c.platform.base).await);
        common::done_or(done >= confirmed.len() / 6 && landing > 0, (done, landing))
    })
    .await;
    c.instances[1] = None; // SIGKILL
    assert!(credited().await < confirmed.len(), "killed with credits still to do");
    // The balancer sends the next payments to the two that are left.
    for (n, body) in events[half..half + 60].iter().enumerate() {
        deliver(&c.http, c.at(if n % 2 == 0 { 0 } else { 2 }), body).await;
    }
    c.start(1).await;
    set_fault(&c.http, &c.platform, "lostReply", 0).await;
    // The rest, and some duplicates, through all three again.
    for (n, body) in events[half + 60..].iter().chain(events[..30].iter()).enumerate() {
        deliver(&c.http, c.at(n % 3), body).await;
    }
    common::eventually_within("every deposit credited", Duration::from_secs(180), || async {
        let done = credited().await;
        common::done_or(done == confirmed.len(), format!("{done} of {}", confirmed.len()))
    })
    .await;
    assert_eq!(c.http.delete(format!("{}/sim/faults", c.platform.base)).send().await.unwrap().status(), 204);
    wait_until_landed(&c.http, &c.platform.base).await;
    common::ledger::assert_exactly_once(&c.http, &c.platform.base, &c.database_url, &logins, &confirmed, &unconfirmed).await;
}
