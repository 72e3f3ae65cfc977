//! The theme file: served as CSS tokens, its names and footer on every page,
//! picked up again after an edit without a restart, and a broken edit kept
//! out (the last good theme stays) with the key at fault reported.

use crate::common;

use broker_inapp::config::Settings;

const SHIPPED: &str = include_str!("../../theme.toml");

/// Writes a file and makes sure its modification time moves on, so the
/// change is seen even on file systems with coarse timestamps.
fn write(path: &std::path::Path, text: &str) {
    let before = std::fs::metadata(path).ok().and_then(|m| m.modified().ok());
    std::fs::write(path, text).unwrap();
    if let Some(before) = before {
        let f = std::fs::File::options().write(true).open(path).unwrap();
        f.set_modified(before + std::time::Duration::from_secs(1)).unwrap();
    }
}

#[tokio::test]
async fn an_edited_theme_applies_without_a_restart_and_a_broken_one_is_refused_by_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("theme.toml");
    write(&path, SHIPPED);
    let file = path.display().to_string();
    let app = common::spawn_with(move |f| Settings::with(f, "broker.theme_file", file)).await;

    let css = app.get("/theme.css").await;
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert_eq!(css.headers()["cache-control"], "no-cache");
    assert!(css.text().await.unwrap().contains("--color-brand:#1d4ed8;"));
    let (cookie, _) = app.sign_in(None).await;
    let page = app.get_with_cookie("/inapp/kyc", &cookie).await.text().await.unwrap();
    assert!(page.contains(r#"href="/theme.css""#));
    assert!(page.contains("Demo Broker Ltd. · Trading CFDs carries a high risk of losing money."), "the theme's footer");

    // A designer's edit: new brand colour, name and footer; no restart.
    let edited = SHIPPED
        .replacen("brand = \"#1d4ed8\"", "brand = \"#7c3aed\"", 1)
        .replace("broker_name = \"Demo Broker\"", "broker_name = \"Violet Markets\"")
        .replace("legal_entity = \"Demo Broker Ltd.\"", "legal_entity = \"Violet Markets (Cyprus) Ltd\"");
    write(&path, &edited);
    assert!(app.get("/theme.css").await.text().await.unwrap().contains("--color-brand:#7c3aed;"));
    let page = app.get_with_cookie("/inapp/kyc", &cookie).await.text().await.unwrap();
    assert!(page.contains("Violet Markets") && page.contains("Violet Markets (Cyprus) Ltd · Trading CFDs"));
    // A screen carrying its styles (a site was built) carries the edited theme.
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir(site.path().join("pkg")).unwrap();
    std::fs::write(site.path().join("pkg/broker-inapp.css"), "p{}").unwrap();
    let root = site.path().display().to_string();
    let file = path.display().to_string();
    let inlined = common::spawn_with(move |f| Settings::with(Settings::with(f, "broker.theme_file", file), "leptos.site_root", root)).await;
    let (inlined_cookie, _) = inlined.sign_in(None).await;
    let page = inlined.get_with_cookie("/inapp/kyc", &inlined_cookie).await.text().await.unwrap();
    assert!(page.contains("--color-brand:#7c3aed;") && !page.contains("/theme.css"), "{page}");
    // An edit while it runs shows in its next page too.
    write(&path, &edited.replacen("brand = \"#7c3aed\"", "brand = \"#0f766e\"", 1));
    let page = inlined.get_with_cookie("/inapp/kyc", &inlined_cookie).await.text().await.unwrap();
    assert!(page.contains("--color-brand:#0f766e;") && !page.contains("--color-brand:#7c3aed;"), "{page}");
    write(&path, &edited);

    // A broken edit: the last good theme stays, and the problem names the key.
    write(&path, &edited.replacen("radius = \"0.5rem\"", "radius = \"huge\"", 1));
    assert!(app.get("/theme.css").await.text().await.unwrap().contains("--color-brand:#7c3aed;"), "still the last good theme");
    let error = app.state.theme.error().expect("the broken file is reported");
    assert!(error.contains("radius"), "{error}");
    // Fixed again: the error goes away.
    write(&path, SHIPPED);
    assert!(app.get("/theme.css").await.text().await.unwrap().contains("--color-brand:#1d4ed8;"));
    assert_eq!(app.state.theme.error(), None);
}
