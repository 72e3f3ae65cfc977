//! The broker's brand from a theme file (`broker.theme_file`, TOML): colour
//! tokens for the light and dark palettes, logo, font, corner radius, names
//! and footer text. Served as `/theme.css` (CSS variables that the tailwind
//! utilities read) and into every page's frame. The file is re-read when it
//! changes, so a designer's edit shows on the next page load without a
//! restart; a bad edit keeps the last good theme and is reported naming the key.

mod file;

pub use file::{parse, Palette, Theme, ThemeError, TOKENS};

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

/// The theme in use and the state of its file.
pub struct ThemeSource {
    path: PathBuf,
    inner: RwLock<Loaded>,
}

struct Loaded {
    modified: Option<SystemTime>,
    len: u64,
    theme: Arc<Theme>,
    /// The last reload's problem, while the file stays broken.
    error: Option<String>,
}

fn stamp(path: &PathBuf) -> (Option<SystemTime>, u64) {
    match std::fs::metadata(path) {
        Ok(m) => (m.modified().ok(), m.len()),
        Err(_) => (None, 0),
    }
}

impl ThemeSource {
    /// Reads the theme file; a missing or bad file stops start-up with the reason.
    pub fn open(path: impl Into<PathBuf>) -> Result<ThemeSource, ThemeError> {
        let path = path.into();
        let (modified, len) = stamp(&path);
        let text = std::fs::read_to_string(&path).map_err(|e| ThemeError::new("", format!("cannot read {}: {e}", path.display())))?;
        let theme = parse(&text)?;
        Ok(ThemeSource { path, inner: RwLock::new(Loaded { modified, len, theme: Arc::new(theme), error: None }) })
    }

    /// The current theme, re-read first if the file changed since the last look.
    pub fn current(&self) -> Arc<Theme> {
        self.refresh();
        self.inner.read().map(|l| l.theme.clone()).unwrap_or_else(|p| p.into_inner().theme.clone())
    }

    /// What is wrong with the file on disk, if anything (the last good theme stays in use).
    pub fn error(&self) -> Option<String> {
        self.refresh();
        self.inner.read().ok().and_then(|l| l.error.clone())
    }

    fn refresh(&self) {
        let (modified, len) = stamp(&self.path);
        let unchanged = self.inner.read().map(|l| l.modified == modified && l.len == len).unwrap_or(false);
        if unchanged {
            return;
        }
        let parsed = std::fs::read_to_string(&self.path)
            .map_err(|e| ThemeError::new("", format!("cannot read {}: {e}", self.path.display())))
            .and_then(|text| parse(&text));
        if let Ok(mut l) = self.inner.write() {
            l.modified = modified;
            l.len = len;
            match parsed {
                Ok(theme) => {
                    tracing::info!(file = %self.path.display(), "theme reloaded");
                    l.theme = Arc::new(theme);
                    l.error = None;
                }
                Err(e) => {
                    tracing::warn!(file = %self.path.display(), error = %e, "theme file refused; keeping the last good theme");
                    l.error = Some(e.to_string());
                }
            }
        }
    }
}
