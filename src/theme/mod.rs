//! The broker's brand from a theme file (`broker.theme_file`, TOML): colour
//! tokens for the light and dark palettes, logo, font, corner radius, names
//! and footer text. Served as `/theme.css` (CSS variables that the tailwind
//! utilities read) and into every page's frame. The file is re-read when it
//! changes, so a designer's edit shows on the next page load without a
//! restart; a bad edit keeps the last good theme and is reported naming the key.

mod file;

pub use file::{parse, Palette, Theme, ThemeError, TOKENS};

use std::path::PathBuf;
use std::sync::Arc;

use crate::watched::Watched;

/// The most a theme file may hold.
const MAX_THEME_BYTES: u64 = 1024 * 1024;

/// The theme in use and the state of its file.
pub struct ThemeSource(Watched<Theme>);

impl ThemeSource {
    /// Reads the theme file; a missing or bad file stops start-up with the reason.
    pub fn open(path: impl Into<PathBuf>) -> Result<ThemeSource, ThemeError> {
        // The file's problem reads as a theme error's, naming the key.
        Watched::open(path, MAX_THEME_BYTES, |text| parse(text).map_err(|e| e.to_string()))
            .map(ThemeSource)
            .map_err(|e| ThemeError::new("", e.trim_start_matches("theme ")))
    }

    /// The current theme, re-read first if the file changed since the last look.
    pub fn current(&self) -> Arc<Theme> {
        self.0.refresh();
        self.0.get()
    }

    /// What is wrong with the file on disk, if anything (the last good theme stays in use).
    pub fn error(&self) -> Option<String> {
        self.0.refresh();
        self.0.error()
    }
}
