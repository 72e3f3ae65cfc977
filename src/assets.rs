//! The site's static files (CSS, JS, WASM from cargo-leptos; `public/`) as a
//! phone on a slow network needs them: small on the wire and fetched once.
//!
//! - **Hashed names.** cargo-leptos names the JS, WASM and CSS after their
//!   content (`hash-files`) and writes which hashes it used to `hash.txt`
//!   next to the binary; Leptos reads it for the hydration scripts and
//!   [`Assets::load`] for the stylesheet link. A name never points at other
//!   bytes, so `/pkg` is cached for a year (`immutable`): a new build is new
//!   names. Without `hash.txt` (the tests' binaries) names are plain and
//!   `/pkg` is revalidated instead (`no-cache`), as `public/` always is.
//! - **Precompressed.** `broker-inapp precompress` writes a brotli and a
//!   gzip copy next to each compressible file once, at build time
//!   (`scripts/package.sh`), at the highest settings, where on-the-fly
//!   compression would spend the CPU on every request and settle for less.
//!   The server picks the copy the browser accepts (`Accept-Encoding`) and
//!   says it did (`Vary`), so a cache keeps them apart.
//! - Pages and JSON are compressed as they are sent (`startup::routes`);
//!   event streams never are (each event must leave at once).

use std::path::{Path, PathBuf};

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{from_fn, Next};
use axum::response::Response;
use axum::Router;
use tower_http::services::ServeDir;

/// Where the site's names come from.
#[derive(Debug, Clone)]
pub struct Assets {
    /// Whether the build hashed its names (and Leptos must use them too).
    pub hashed: bool,
    /// The stylesheet every page links.
    pub css_href: String,
    /// The hashes in the names (`js`, `wasm`, `css`): only a file whose name
    /// carries one is kept for good.
    hashes: Vec<String>,
    /// The stylesheet's text for pages that carry it inline, read once for a
    /// hashed build (`None` when the site has no readable, reasonably small
    /// stylesheet). See [`Assets::css_text`].
    css_text: Option<std::sync::Arc<str>>,
    css_path: std::path::PathBuf,
}

/// A stylesheet larger than this is linked, not copied into every page.
const MOST_INLINE_CSS: u64 = 64 * 1024;

/// A stylesheet a page can carry: readable, small, and with nothing that
/// could end the style element it goes into.
fn read_css(path: &Path) -> Option<std::sync::Arc<str>> {
    let small = std::fs::metadata(path).is_ok_and(|m| m.len() <= MOST_INLINE_CSS);
    let css = std::fs::read_to_string(path).ok().filter(|css| small && !css.to_ascii_lowercase().contains("</style"))?;
    Some(css.into())
}

impl Assets {
    /// The hashes cargo-leptos left next to the running binary, if any, and
    /// if the site being served has the files they name (a binary pointed at
    /// another site, or a site rebuilt without hashing since, serves plain
    /// names, revalidated).
    pub fn load(options: &leptos::config::LeptosOptions) -> Assets {
        let hashes = std::env::current_exe().ok().and_then(|exe| std::fs::read_to_string(exe.with_file_name(options.hash_file.as_ref())).ok());
        let assets = Assets::from_hashes(options, hashes.as_deref());
        let pkg = Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
        let missing: Vec<String> = assets.names(options).into_iter().filter(|name| !pkg.join(name).is_file()).collect();
        if assets.hashed && !missing.is_empty() {
            tracing::warn!(?missing, "hash.txt names files the site does not have; serving plain names");
            return Assets::from_hashes(options, None).with_css_text(options);
        }
        assets.with_css_text(options)
    }

    fn with_css_text(mut self, options: &leptos::config::LeptosOptions) -> Assets {
        self.css_path = Path::new(options.site_root.as_ref()).join(self.css_href.trim_start_matches('/'));
        self.css_text = read_css(&self.css_path);
        self
    }

    /// The stylesheet's text for a page to carry. A hashed build's file never
    /// changes under its name, so it was read once; a plain-named one is a
    /// development site that `cargo leptos watch` rebuilds under the running
    /// server, so it is read again (a small file, in the page cache).
    pub fn css_text(&self) -> Option<std::sync::Arc<str>> {
        if self.hashed {
            self.css_text.clone()
        } else {
            read_css(&self.css_path)
        }
    }

    fn from_hashes(options: &leptos::config::LeptosOptions, hashes: Option<&str>) -> Assets {
        let of =
            |kind: &str| hashes.and_then(|h| h.lines().find_map(|l| l.split_once(':').filter(|(k, _)| k.trim() == kind).map(|(_, v)| v.trim().to_string())));
        let found: Vec<String> = ["js", "wasm", "css"].iter().filter_map(|k| of(k)).filter(|h| !h.is_empty()).collect();
        let hashed = found.len() == 3;
        let css = if hashed { format!("{}.{}", options.output_name, found[2]) } else { options.output_name.to_string() };
        Assets {
            hashed,
            css_href: format!("/{}/{css}.css", options.site_pkg_dir),
            hashes: if hashed { found } else { Vec::new() },
            css_text: None,
            css_path: Default::default(),
        }
    }

    /// The JS, WASM and CSS names of a hashed build.
    fn names(&self, options: &leptos::config::LeptosOptions) -> Vec<String> {
        self.hashes.iter().zip(["js", "wasm", "css"]).map(|(h, ext)| format!("{}.{h}.{ext}", options.output_name)).collect()
    }
}

const FOR_GOOD: &str = "public, max-age=31536000, immutable";

/// `/pkg` and `public/`, each file with its caching rule; `not_found`
/// answers what is in neither.
pub fn router(options: &leptos::config::LeptosOptions, assets: &Assets, not_found: axum::routing::MethodRouter) -> Router {
    let root = PathBuf::from(options.site_root.as_ref());
    let files =
        |dir: PathBuf| ServeDir::new(dir).precompressed_br().precompressed_gzip().append_index_html_on_directories(false).not_found_service(not_found.clone());
    // As they appear in a file name, made once rather than per request.
    let hashes: Arc<[String]> = assets.hashes.iter().map(|h| format!(".{h}.")).collect();
    let pkg = Router::new()
        .fallback_service(files(root.join(options.site_pkg_dir.as_ref())))
        .layer(from_fn(move |req: Request, next: Next| rules(hashes.clone(), req, next)));
    let public = Router::new().fallback_service(files(root.clone())).layer(from_fn(|req: Request, next: Next| rules(Arc::from([]), req, next)));
    Router::new().nest(&format!("/{}", options.site_pkg_dir), pkg).fallback_service(public)
}

/// A file whose name carries one of the build's hashes is kept for a year;
/// any other file is revalidated; an error is not kept at all. Whichever
/// copy went out (brotli, gzip, plain), a cache must ask again for another
/// encoding.
async fn rules(hashes: Arc<[String]>, req: Request, next: Next) -> Response {
    // `hashes` as they appear in a name: `.<hash>.`
    let named = req.uri().path().rsplit('/').next().unwrap_or("").to_string();
    let hashed = hashes.iter().any(|h| named.contains(h.as_str()));
    let mut res = next.run(req).await;
    let kept = match res.status() {
        s if (s.is_success() || s == StatusCode::NOT_MODIFIED) && hashed => FOR_GOOD,
        s if s.is_success() || s == StatusCode::NOT_MODIFIED => "no-cache",
        _ => "no-store",
    };
    let h = res.headers_mut();
    h.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static(kept));
    h.entry(header::VARY).or_insert(HeaderValue::from_static("accept-encoding"));
    res
}

/// What precompressing a folder did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Precompressed {
    pub files: usize,
    pub bytes: u64,
    pub brotli_bytes: u64,
    pub gzip_bytes: u64,
}

/// Only text and WASM compress; images and fonts are compressed already, and
/// a file under 1 KiB gains less than a header costs.
fn compressible(path: &Path) -> bool {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    matches!(ext, "js" | "mjs" | "wasm" | "css" | "svg" | "html" | "json" | "txt" | "map" | "xml")
}

/// How hard to compress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effort {
    /// Brotli 11, gzip 9: for what ships (a release WASM takes seconds).
    Best,
    /// Brotli 5, gzip 6: for a development build, whose 16 MB WASM would
    /// take minutes at the best settings.
    Fast,
}

/// Writes `<file>.br` and `<file>.gz` next to every compressible file under
/// `dir` (links are not followed), each through a temporary name and a
/// rename, so a server never serves half a copy. Every run writes them anew:
/// it is a build step, and a copy judged fresh by its time could hold other
/// bytes than its source.
pub fn precompress(dir: &Path, effort: Effort) -> std::io::Result<Precompressed> {
    let mut done = Precompressed::default();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let (path, kind) = (entry.path(), entry.file_type()?);
            if kind.is_dir() {
                stack.push(path);
                continue;
            }
            if !kind.is_file() || !compressible(&path) {
                continue;
            }
            let source = std::fs::read(&path)?;
            if source.len() < 1024 {
                continue;
            }
            // The two encoders side by side: the WASM is most of the work.
            let (br, gz) = std::thread::scope(|s| {
                let br = s.spawn(|| write_variant(&path, "br", |out| brotli_into(&source, out, effort)));
                let gz = write_variant(&path, "gz", |out| gzip_into(&source, out, effort));
                (br.join().unwrap_or_else(|_| Err(std::io::Error::other("brotli panicked"))), gz)
            });
            done.files += 1;
            done.bytes += source.len() as u64;
            done.brotli_bytes += br?;
            done.gzip_bytes += gz?;
        }
    }
    Ok(done)
}

fn brotli_into(source: &[u8], out: &mut std::fs::File, effort: Effort) -> std::io::Result<()> {
    let quality = if effort == Effort::Best { 11 } else { 5 };
    let params = brotli::enc::BrotliEncoderParams { quality, lgwin: 24, ..Default::default() };
    brotli::BrotliCompress(&mut &source[..], out, &params).map(|_| ())
}

fn gzip_into(source: &[u8], out: &mut std::fs::File, effort: Effort) -> std::io::Result<()> {
    use std::io::Write;
    let level = if effort == Effort::Best { flate2::Compression::best() } else { flate2::Compression::default() };
    let mut gz = flate2::write::GzEncoder::new(out, level);
    gz.write_all(source)?;
    gz.finish().map(|_| ())
}

/// `<path>.<ext>`, written under a name of this process's and renamed into
/// place; its size. A failed write leaves nothing behind.
fn write_variant(path: &Path, ext: &str, encode: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>) -> std::io::Result<u64> {
    let named = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    let (target, partial) = (named(&format!(".{ext}")), named(&format!(".{ext}.{}.partial", std::process::id())));
    let written = (|| {
        let mut out = std::fs::File::create(&partial)?;
        encode(&mut out)?;
        out.sync_all()?;
        std::fs::rename(&partial, &target)?;
        Ok(target.metadata()?.len())
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> leptos::config::LeptosOptions {
        leptos::config::LeptosOptions::builder().output_name("broker-inapp").site_pkg_dir("pkg").build()
    }

    #[test]
    fn the_stylesheet_link_follows_the_builds_hashes() {
        let hashed = Assets::from_hashes(&options(), Some("js: aaa\nwasm: bbb\ncss: Ccc-1\n"));
        assert_eq!((hashed.hashed, hashed.css_href.as_str()), (true, "/pkg/broker-inapp.Ccc-1.css"));
        assert_eq!(hashed.names(&options()), ["broker-inapp.aaa.js", "broker-inapp.bbb.wasm", "broker-inapp.Ccc-1.css"]);
        let partial = Assets::from_hashes(&options(), Some("css: Ccc-1\n"));
        assert!(!partial.hashed, "all three or none: the hydration scripts need the JS and WASM names too");
        let plain = Assets::from_hashes(&options(), None);
        assert_eq!((plain.hashed, plain.css_href.as_str()), (false, "/pkg/broker-inapp.css"));
    }

    #[test]
    fn text_is_compressed_both_ways_and_read_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let text = "body { color: red }\n".repeat(500);
        std::fs::write(dir.path().join("site.css"), &text).unwrap();
        std::fs::write(dir.path().join("logo.png"), vec![7u8; 4096]).unwrap();
        std::fs::write(dir.path().join("tiny.js"), "x()").unwrap();
        let done = precompress(dir.path(), Effort::Best).unwrap();
        assert_eq!((done.files, done.bytes), (1, text.len() as u64), "only the stylesheet: not the image, not the tiny file");
        let mut unbrotli = Vec::new();
        brotli::BrotliDecompress(&mut &std::fs::read(dir.path().join("site.css.br")).unwrap()[..], &mut unbrotli).unwrap();
        let mut ungzip = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&std::fs::read(dir.path().join("site.css.gz")).unwrap()[..]), &mut ungzip).unwrap();
        assert_eq!((String::from_utf8(unbrotli).unwrap(), ungzip), (text.clone(), text));
        assert!(done.brotli_bytes < 200 && done.gzip_bytes < 200, "{done:?}");
        assert!(!dir.path().join("logo.png.br").exists() && !dir.path().join("tiny.js.gz").exists());
        // A changed source gets new copies, whatever the times say.
        std::fs::write(dir.path().join("site.css"), "p { margin: 0 }\n".repeat(500)).unwrap();
        precompress(dir.path(), Effort::Fast).unwrap();
        let mut again = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&std::fs::read(dir.path().join("site.css.gz")).unwrap()[..]), &mut again).unwrap();
        assert!(again.starts_with("p { margin"), "{again:.20}");
        let left: Vec<_> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).filter(|n| n.ends_with(".partial")).collect();
        assert!(left.is_empty(), "{left:?}");
    }
}
