//! The site's files and pages as they travel: the precompressed copy the
//! browser accepts, marked so caches keep encodings apart; pages and JSON
//! compressed as they are sent; event streams never.

use broker_inapp::config::Settings;

use crate::common::spawn_with;

/// A site root with a stylesheet and its brotli and gzip copies (bytes that
/// say which copy went out).
fn site() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let pkg = root.path().join("pkg");
    std::fs::create_dir(&pkg).unwrap();
    std::fs::write(pkg.join("broker-inapp.css"), "body { color: red } ul > li { margin: 0 }").unwrap();
    std::fs::write(pkg.join("broker-inapp.css.br"), "the brotli copy").unwrap();
    std::fs::write(pkg.join("broker-inapp.css.gz"), "the gzip copy").unwrap();
    std::fs::write(root.path().join("favicon.svg"), "<svg/>").unwrap();
    root
}

#[tokio::test]
async fn a_file_goes_as_the_precompressed_copy_the_browser_accepts() {
    let root = site();
    let app = spawn_with(|f| Settings::with(f, "leptos.site_root", root.path().display().to_string())).await;
    let get = |encodings: &'static str| app.http.get(app.url("/pkg/broker-inapp.css")).header("accept-encoding", encodings).send();
    for (accepts, encoding, body) in [
        ("gzip, deflate, br", Some("br"), "the brotli copy"),
        ("gzip", Some("gzip"), "the gzip copy"),
        ("identity", None, "body { color: red } ul > li { margin: 0 }"),
    ] {
        let res = get(accepts).await.unwrap();
        assert_eq!(res.status(), 200, "{accepts}");
        assert_eq!(res.headers().get("content-encoding").map(|v| v.to_str().unwrap()), encoding, "{accepts}");
        assert_eq!(res.headers()["vary"], "accept-encoding", "{accepts}: a cache keeps the copies apart");
        // The test binary has no hash.txt beside it: plain names, revalidated.
        assert_eq!(res.headers()["cache-control"], "no-cache", "{accepts}");
        assert_eq!(res.text().await.unwrap(), body, "{accepts}");
    }
    let public = app.http.get(app.url("/favicon.svg")).send().await.unwrap();
    assert_eq!((public.status().as_u16(), public.headers()["cache-control"].to_str().unwrap()), (200, "no-cache"));
    let missing = app.http.get(app.url("/pkg/nothing.js")).send().await.unwrap();
    assert_eq!(missing.status(), 404, "what is not there is the branded 404");
    assert_eq!(missing.headers()["cache-control"], "no-store", "an error is never kept");
}

#[tokio::test]
async fn pages_are_compressed_as_they_go_and_event_streams_are_not() {
    let app = spawn_with(|f| f).await;
    let page = app.http.get(app.url("/done/success")).header("accept-encoding", "br").send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-encoding"], "br");
    assert!(page.headers()["vary"].to_str().unwrap().contains("accept-encoding"));
    let mut html = Vec::new();
    brotli::BrotliDecompress(&mut &page.bytes().await.unwrap()[..], &mut html).unwrap();
    assert!(String::from_utf8(html).unwrap().contains("<html"), "a page, once decoded");

    let (cookie, _) = app.sign_in(None).await;
    let stream = app.http.get(app.url("/inapp/account/events")).header("cookie", &cookie).header("accept-encoding", "gzip, br").send().await.unwrap();
    assert_eq!(stream.status(), 200);
    assert!(stream.headers().get("content-encoding").is_none(), "each event must leave at once, not wait in an encoder");
}

/// The `style-src` nonce of a response's CSP.
fn style_nonce(res: &reqwest::Response) -> String {
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    let style = csp.split(';').find(|d| d.trim().starts_with("style-src")).expect("a style-src");
    style.split_whitespace().find_map(|s| s.strip_prefix("'nonce-")).and_then(|n| n.strip_suffix('\'')).expect("a nonce").to_string()
}

#[tokio::test]
async fn a_screen_carries_its_styles_so_it_paints_without_another_round_trip() {
    let root = site();
    let app = spawn_with(|f| Settings::with(f, "leptos.site_root", root.path().display().to_string())).await;
    let (cookie, _) = app.sign_in(None).await;
    let res = app.get_with_cookie("/inapp/kyc", &cookie).await;
    assert_eq!(res.status(), 200);
    let nonce = style_nonce(&res);
    let html = res.text().await.unwrap();
    // The site's stylesheet as built (not escaped: `>` is a selector) and the
    // broker's theme, each under this response's nonce, and nothing linked.
    let site_css = format!(r#"<style nonce="{nonce}">body {{ color: red }} ul > li {{ margin: 0 }}</style>"#);
    assert!(html.contains(&site_css), "{html}");
    assert!(html.contains(&format!(r#"<style nonce="{nonce}">:root{{--color-"#)), "the theme's tokens: {html}");
    assert!(!html.contains(r#"rel="stylesheet""#), "{html}");
    // A second response has its own nonce, and its styles carry it.
    let again = app.get_with_cookie("/inapp/kyc", &cookie).await;
    let other = style_nonce(&again);
    assert_ne!(other, nonce);
    assert!(again.text().await.unwrap().contains(&format!(r#"<style nonce="{other}">body"#)));

    // A development site rebuilt under the running server (plain names, as
    // `cargo leptos watch` makes them): the next page carries the new CSS.
    std::fs::write(root.path().join("pkg/broker-inapp.css"), "p { color: blue }").unwrap();
    let html = app.get_with_cookie("/inapp/kyc", &cookie).await.text().await.unwrap();
    assert!(html.contains(">p { color: blue }</style>") && !html.contains("color: red"), "{html}");

    // Pages rendered outside the screens (no nonce of their own) link them.
    let done = app.get("/done/success").await.text().await.unwrap();
    assert!(done.contains(r#"<link rel="stylesheet" href="/pkg/broker-inapp.css">"#) && done.contains(r#"href="/theme.css""#), "{done}");
}

#[tokio::test]
async fn without_a_readable_stylesheet_a_screen_links_it() {
    // The harness's site root has no files.
    let app = spawn_with(|f| f).await;
    let (cookie, _) = app.sign_in(None).await;
    let html = app.get_with_cookie("/inapp/kyc", &cookie).await.text().await.unwrap();
    assert!(html.contains(r#"<link rel="stylesheet" href="/pkg/broker-inapp.css">"#) && html.contains(r#"href="/theme.css""#), "{html}");
    assert!(!html.contains("<style"), "{html}");
}
