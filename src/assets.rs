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

use axum::http::{header, HeaderValue};
use axum::Router;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// Where the site's names come from.
#[derive(Debug, Clone)]
pub struct Assets {
    /// Whether the build hashed its names (and `/pkg` may be kept for good).
    pub hashed: bool,
    /// The stylesheet every page links.
    pub css_href: String,
}

impl Assets {
    /// The hashes cargo-leptos left next to the running binary, if any, and
    /// if the site being served is the one they name (a binary pointed at
    /// another site root serves that site's plain names).
    pub fn load(options: &leptos::config::LeptosOptions) -> Assets {
        let hashes = std::env::current_exe().ok().and_then(|exe| std::fs::read_to_string(exe.with_file_name(options.hash_file.as_ref())).ok());
        let hashed = Assets::from_hashes(options, hashes.as_deref());
        let on_disk = Path::new(options.site_root.as_ref()).join(hashed.css_href.trim_start_matches('/'));
        if hashed.hashed && !on_disk.is_file() {
            return Assets::from_hashes(options, None);
        }
        hashed
    }

    fn from_hashes(options: &leptos::config::LeptosOptions, hashes: Option<&str>) -> Assets {
        let css = hashes.and_then(|h| h.lines().find_map(|l| l.split_once(':').filter(|(k, _)| k.trim() == "css").map(|(_, v)| v.trim().to_string())));
        let name = match &css {
            Some(hash) => format!("{}.{hash}", options.output_name),
            None => options.output_name.to_string(),
        };
        Assets { hashed: css.is_some(), css_href: format!("/{}/{name}.css", options.site_pkg_dir) }
    }
}

/// `/pkg` and `public/`, each with its caching rule; `not_found` answers
/// what is in neither.
pub fn router(options: &leptos::config::LeptosOptions, assets: &Assets, not_found: axum::routing::MethodRouter) -> Router {
    let root = PathBuf::from(options.site_root.as_ref());
    let pkg = format!("/{}", options.site_pkg_dir);
    let pkg_files = ServeDir::new(root.join(options.site_pkg_dir.as_ref())).precompressed_br().precompressed_gzip().not_found_service(not_found.clone());
    let public_files = ServeDir::new(&root).precompressed_br().precompressed_gzip().not_found_service(not_found);
    let kept = if assets.hashed { "public, max-age=31536000, immutable" } else { "no-cache" };
    Router::new()
        .nest_service(&pkg, tower::ServiceBuilder::new().layer(cache_rules(kept)).layer(vary()).service(pkg_files))
        .fallback_service(tower::ServiceBuilder::new().layer(cache_rules("no-cache")).layer(vary()).service(public_files))
}

fn cache_rules(value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static(value))
}

/// Whichever copy went out, a cache must ask again for another encoding.
fn vary() -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(header::VARY, HeaderValue::from_static("accept-encoding"))
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
/// `dir`, each through a temporary name and a rename, so a server never
/// serves half a copy. Files already compressed and newer than their source
/// are left alone.
pub fn precompress(dir: &Path, effort: Effort) -> std::io::Result<Precompressed> {
    let mut done = Precompressed::default();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let size = path.metadata()?.len();
            if !compressible(&path) || size < 1024 {
                continue;
            }
            let source = std::fs::read(&path)?;
            // The two encoders side by side: the WASM is most of the work.
            let (br, gz) = std::thread::scope(|s| {
                let br = s.spawn(|| write_variant(&path, "br", |out| brotli_into(&source, out, effort)));
                let gz = write_variant(&path, "gz", |out| gzip_into(&source, out, effort));
                (br.join().unwrap_or_else(|_| Err(std::io::Error::other("brotli panicked"))), gz)
            });
            done.files += 1;
            done.bytes += size;
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

/// `<path>.<ext>`, unless one newer than `path` is there; its size.
fn write_variant(path: &Path, ext: &str, encode: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>) -> std::io::Result<u64> {
    let target = PathBuf::from(format!("{}.{ext}", path.display()));
    let fresh = |t: &Path| -> Option<u64> {
        let (src, dst) = (path.metadata().ok()?, t.metadata().ok()?);
        (dst.modified().ok()? >= src.modified().ok()?).then_some(dst.len())
    };
    if let Some(len) = fresh(&target) {
        return Ok(len);
    }
    let partial = PathBuf::from(format!("{}.{ext}.partial", path.display()));
    let mut out = std::fs::File::create(&partial)?;
    encode(&mut out)?;
    out.sync_all()?;
    std::fs::rename(&partial, &target)?;
    Ok(target.metadata()?.len())
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
        // A second run finds them fresh and writes nothing.
        let before = std::fs::metadata(dir.path().join("site.css.br")).unwrap().modified().unwrap();
        precompress(dir.path(), Effort::Fast).unwrap();
        assert_eq!(std::fs::metadata(dir.path().join("site.css.br")).unwrap().modified().unwrap(), before);
    }
}
