//! The security baseline: headers, CSP nonce, cross-site refusal, body limits,
//! panics, user-not-found from a platform that answers without a user.

use crate::common;

use axum::routing::{get, post};
use common::{spawn, spawn_with};
use serde_json::json;

async fn signed_in(app: &common::TestApp) -> String {
    let (token, _) = app.token().await;
    app.open(&format!("/inapp/deposit?token={token}")).await.0
}

#[tokio::test]
async fn pages_carry_the_security_headers_and_a_matching_nonce() {
    let app = spawn().await;
    let cookie = signed_in(&app).await;
    let res = app.get_with_cookie("/inapp/deposit", &cookie).await;
    let h = res.headers().clone();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["cache-control"], "no-store");
    assert!(h.get("strict-transport-security").is_none(), "no HSTS over plain http");
    let csp = h["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("frame-ancestors 'self'"), "{csp}");
    assert!(csp.contains("object-src 'none'"), "{csp}");
    let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap().to_string();
    assert!(nonce.len() >= 16);
    let html = res.text().await.unwrap();
    let scripts = html.matches("<script").count();
    let with_nonce = html.matches(&format!(r#"nonce="{nonce}""#)).count();
    // Every executable script carries this response's nonce (the JSON data block needs none).
    assert!(with_nonce >= 1, "hydration scripts carry the nonce");
    assert_eq!(scripts - with_nonce, html.matches(r#"type="application/json""#).count(), "{html}");
    let second = app.get_with_cookie("/inapp/deposit", &cookie).await;
    assert!(!second.headers()["content-security-policy"].to_str().unwrap().contains(&nonce), "a new nonce per response");
}

/// Not only the deposit screen: every kind of page, its error answers
/// included, carries the headers and is never stored by a cache.
#[tokio::test]
async fn every_kind_of_page_and_error_carries_the_headers_and_no_store() {
    let app = spawn().await;
    let cookie = signed_in(&app).await;
    let (used, _) = app.token().await;
    app.open(&format!("/inapp/kyc?token={used}")).await;
    let pages: Vec<(&str, Option<&str>, u16)> = vec![
        ("/inapp/deposit", Some(cookie.as_str()), 200),
        ("/inapp/kyc", Some(cookie.as_str()), 200),
        ("/inapp/chat", Some(cookie.as_str()), 200),
        ("/inapp/action?actionType=withdraw", Some(cookie.as_str()), 200),
        ("/inapp/deposit", None, 401),                                        // no session
        ("/inapp/deposit?token=not-a-real-token-but-long-enough", None, 401), // invalid token
        ("/nothing/here", None, 404),
        ("/backoffice/sign-in", None, 200),
        ("/done/success", None, 200),
    ];
    let mut pages = pages;
    let used_path = format!("/inapp/kyc?token={used}");
    pages.push((used_path.as_str(), None, 410)); // used token
    for (path, cookie, status) in pages {
        let mut req = app.http.get(app.url(path));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), status, "{path}");
        let h = res.headers();
        assert_eq!(h["cache-control"], "no-store", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors") && csp.contains("object-src 'none'"), "{path}: {csp}");
    }
}

#[tokio::test]
async fn https_deployments_get_secure_cookies_and_hsts() {
    let app = spawn_with(|f| {
        let f = broker_inapp::config::Settings::with(f, "server.public_url", "https://broker.example");
        broker_inapp::config::Settings::with(f, "server.frame_ancestors", vec!["https://app.ctrader.com"])
    })
    .await;
    let (token, _) = app.token().await;
    let res = app.get(&format!("/inapp/deposit?token={token}")).await;
    assert!(res.headers()["set-cookie"].to_str().unwrap().contains("Secure"));
    assert!(res.headers()["strict-transport-security"].to_str().unwrap().contains("max-age="));
    assert!(res.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors https://app.ctrader.com"));
}

#[tokio::test]
async fn server_functions_refuse_cross_site_requests() {
    let app = spawn().await;
    let cookie = signed_in(&app).await;
    let call = |headers: Vec<(&'static str, String)>| {
        let mut req =
            app.http.post(app.url("/api/account/summary")).header("cookie", cookie.clone()).header("content-type", "application/x-www-form-urlencoded");
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req.send()
    };
    let evil = call(vec![("origin", "https://evil.example".into())]).await.unwrap();
    assert_eq!(evil.status(), 403);
    let body: serde_json::Value = evil.json().await.unwrap();
    assert_eq!(body["code"], "CROSS_SITE_REQUEST");
    let cross = call(vec![("sec-fetch-site", "cross-site".into())]).await.unwrap();
    assert_eq!(cross.status(), 403);
    let spoofed = call(vec![("origin", app.base.clone()), ("sec-fetch-site", "same-site".into())]).await.unwrap();
    assert_eq!(spoofed.status(), 403, "a sibling subdomain is not this site");
    // A same-origin form post under Referrer-Policy: no-referrer carries Origin: null.
    let null_origin = call(vec![("origin", "null".into()), ("sec-fetch-site", "same-origin".into())]).await.unwrap();
    assert_eq!(null_origin.status(), 200);
    let same = call(vec![("origin", app.base.clone()), ("sec-fetch-site", "same-origin".into())]).await.unwrap();
    assert_eq!(same.status(), 200);
    let info: serde_json::Value = same.json().await.unwrap();
    assert_eq!(info["balance"], "1000.00", "balance read from cTrader, exact");
}

#[tokio::test]
async fn server_functions_without_a_session_say_so() {
    let app = spawn().await;
    let res = app.http.post(app.url("/api/account/summary")).header("content-type", "application/x-www-form-urlencoded").send().await.unwrap();
    assert_eq!(res.status(), 401);
    let text = res.text().await.unwrap();
    assert!(text.contains("SessionExpired"), "{text}");
}

#[tokio::test]
async fn oversized_bodies_are_refused_and_panics_become_an_error_page() {
    let app = spawn().await;
    let cookie = signed_in(&app).await;
    let big = vec![b'a'; 2 * 1024 * 1024];
    let res = app
        .http
        .post(app.url("/api/account/summary"))
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);

    let panic = app.get("/__test/panic").await;
    assert_eq!(panic.status(), 500);
    assert!(panic.text().await.unwrap().contains("INTERNAL_ERROR"));
    assert_eq!(app.get("/healthz").await.status(), 200, "still serving");
}

#[tokio::test]
async fn unknown_pages_get_a_branded_404() {
    let app = spawn().await;
    let res = app.get("/nothing/here?lang=it").await;
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("Pagina non trovata"));
    let json = app.http.get(app.url("/nothing")).header("accept", "application/json").send().await.unwrap();
    assert_eq!(json.status(), 404);
    assert_eq!(json.json::<serde_json::Value>().await.unwrap()["code"], "NOT_FOUND");
}

#[tokio::test]
async fn done_pages_render_for_the_platform_to_see() {
    let app = spawn().await;
    for (kind, text) in [("success", "Hecho"), ("failure", "No completado"), ("close", "Puede cerrar esta ventana.")] {
        let res = app.get(&format!("/done/{kind}?lang=es")).await;
        assert_eq!(res.status(), 200);
        assert!(res.text().await.unwrap().contains(text), "{kind}");
    }
}

/// A platform that answers 200 but names nobody: the seed's USER_NOT_FOUND.
#[tokio::test]
async fn a_token_without_a_user_shows_user_not_found() {
    let stub = axum::Router::new()
        .route("/v2/webserv/managers/token", post(|| async { axum::Json(json!({ "webservToken": "m" })) }))
        .route("/ctid2/inAppOneTimeToken/data", get(|| async { axum::Json(json!({ "brokerName": "x" })) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, stub).await.unwrap() });
    let app = spawn_with(|f| common::real_ctrader(f, format!("http://{addr}"))).await;
    let res = app.get("/inapp/deposit?token=abcdefghijklmnop&lang=ja").await;
    assert_eq!(res.status(), 404);
    let html = res.text().await.unwrap();
    assert!(html.contains("USER_NOT_FOUND"));
    assert!(html.contains("お客様を特定できませんでした"));
    assert!(!html.contains("data-testid=\"simulator-badge\""), "a real platform shows no simulator badge");
}

/// Reads from `tcp` until the server closes it; how long that took, or `None`
/// if it was still open after `limit`.
async fn closed_within(tcp: &mut tokio::net::TcpStream, limit: std::time::Duration) -> Option<std::time::Duration> {
    use tokio::io::AsyncReadExt;
    let start = std::time::Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(tokio::time::Instant::from_std(start + limit), tcp.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(start.elapsed()),
            Ok(Ok(_)) => continue,
            Err(_) => return None,
        }
    }
}

async fn connect(app: &common::TestApp) -> tokio::net::TcpStream {
    tokio::net::TcpStream::connect(app.base.trim_start_matches("http://")).await.unwrap()
}

#[tokio::test]
async fn a_client_trickling_its_headers_or_sending_nothing_is_cut_off() {
    use tokio::io::AsyncWriteExt;
    let app = spawn_with(|f| broker_inapp::config::Settings::with(f, "server.header_read_timeout_ms", 1000)).await;
    // Half a request head, then nothing: closed, not held.
    let mut slow = connect(&app).await;
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
    assert!(closed_within(&mut slow, std::time::Duration::from_secs(20)).await.is_some(), "a trickled head is cut off");
    // A connection that never sends a byte.
    let mut silent = connect(&app).await;
    assert!(closed_within(&mut silent, std::time::Duration::from_secs(20)).await.is_some(), "a silent connection is closed");
    // Everyone else is served as usual.
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn an_idle_keep_alive_is_closed_but_a_quiet_live_stream_is_not() {
    use futures::StreamExt;
    use tokio::io::AsyncWriteExt;
    let app = spawn_with(|f| {
        let f = broker_inapp::config::Settings::with(f, "server.header_read_timeout_ms", 2000);
        broker_inapp::config::Settings::with(f, "server.write_timeout_ms", 5000)
    })
    .await;
    let mut tcp = connect(&app).await;
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    // The answer arrives; then the connection sits idle until the server ends it.
    assert!(closed_within(&mut tcp, std::time::Duration::from_secs(30)).await.is_some(), "an idle keep-alive is closed");
    // A live stream the client only listens to stays open past both limits
    // (its keep-alive comes every 20 s): quiet reading is not idleness.
    let cookie = signed_in(&app).await;
    let res = app.get_with_cookie("/inapp/chat/events", &cookie).await;
    assert_eq!(res.status(), 200);
    let mut body = res.bytes_stream();
    let until = tokio::time::Instant::now() + std::time::Duration::from_secs(25);
    let mut got_keep_alive = false;
    while let Ok(next) = tokio::time::timeout_at(until, body.next()).await {
        match next {
            Some(Ok(chunk)) => got_keep_alive |= chunk.starts_with(b":"),
            other => panic!("the stream ended: {other:?}"),
        }
    }
    assert!(got_keep_alive, "the stream was still delivering after 25 s");
}

#[tokio::test]
async fn one_address_cannot_hold_every_connection() {
    use tokio::io::AsyncWriteExt;
    let app = spawn_with(|f| broker_inapp::config::Settings::with(f, "server.max_connections_per_client", 4)).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(connect(&app).await);
    }
    // Accepted only to be closed: the address has its four.
    common::eventually("the fifth connection to be refused", || async {
        let mut fifth = connect(&app).await;
        let _ = fifth.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await;
        match closed_within(&mut fifth, std::time::Duration::from_millis(500)).await {
            Some(_) => Ok(()),
            None => Err("still open"),
        }
    })
    .await;
    // One given back, one more served.
    held.pop();
    common::eventually("a connection to be served again", || async {
        let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
        match client.get(app.url("/healthz")).send().await {
            Ok(r) if r.status() == 200 => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
}

#[tokio::test]
async fn a_session_holds_a_few_live_streams_not_thousands() {
    let app = spawn().await;
    let cookie = signed_in(&app).await;
    let mut open = Vec::new();
    // Chat and account streams count together.
    for i in 0..broker_inapp::live::slots::PER_SESSION {
        let res = app.get_with_cookie(if i % 2 == 0 { "/inapp/chat/events" } else { "/inapp/account/events" }, &cookie).await;
        assert_eq!(res.status(), 200);
        open.push(res);
    }
    for path in ["/inapp/chat/events", "/inapp/account/events"] {
        let refused = app.get_with_cookie(path, &cookie).await;
        assert_eq!(refused.status(), 429, "{path}");
        assert_eq!(refused.headers()["retry-after"], "5");
        assert!(refused.text().await.unwrap().contains("TOO_MANY_STREAMS"));
    }
    // A stream that ends gives its place back.
    drop(open.pop());
    common::eventually("a place to be free again", || async {
        let res = app.get_with_cookie("/inapp/chat/events", &cookie).await;
        if res.status() == 200 {
            Ok(())
        } else {
            Err(res.status())
        }
    })
    .await;
}

#[tokio::test]
async fn oversized_heads_and_deeply_nested_json_get_a_4xx_not_work() {
    let app = spawn().await;
    // A cookie of 100 KiB, or 150 headers: refused before anything reads them.
    let huge = format!("inapp_session={}", "a".repeat(100 * 1024));
    let res = app.http.get(app.url("/inapp/deposit")).header("cookie", huge).send().await.unwrap();
    assert_eq!(res.status(), 431);
    let mut many = app.http.get(app.url("/healthz"));
    for i in 0..150 {
        many = many.header(format!("x-h{i}"), "1");
    }
    assert_eq!(many.send().await.unwrap().status(), 431);
    // JSON nested ten thousand deep: a precise 4xx, not a stack overflow or a 500.
    let cookie = signed_in(&app).await;
    let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let res = app
        .http
        .post(app.url("/inapp/chat/messages"))
        .header("cookie", &cookie)
        .header("origin", app.base.clone())
        .header("content-type", "application/json")
        .body(nested)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
    assert_eq!(app.get("/healthz").await.status(), 200, "and the server is fine");
}
