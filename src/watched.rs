//! A file the server reads at start and again whenever it changes on disk
//! (the broker's theme, screening lists): operators edit or replace it and
//! the next look sees it, without a restart. A change is noticed by the
//! file's modification time and length. A file that no longer reads or
//! parses keeps the last good value in use and reports why, until it is
//! mended: a half-written or truncated file must never take away what worked.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

type Parse<T> = Box<dyn Fn(&str) -> Result<T, String> + Send + Sync>;

pub struct Watched<T> {
    path: PathBuf,
    max_bytes: u64,
    parse: Parse<T>,
    inner: RwLock<Loaded<T>>,
}

struct Loaded<T> {
    stamp: Stamp,
    value: Arc<T>,
    /// When the value in use was read (milliseconds since the epoch).
    loaded_at: i64,
    /// The last reload's problem, while the file stays broken.
    error: Option<String>,
}

type Stamp = (Option<SystemTime>, u64);

fn stamp(path: &Path) -> Stamp {
    match std::fs::metadata(path) {
        Ok(m) => (m.modified().ok(), m.len()),
        Err(_) => (None, 0),
    }
}

/// What a [`Watched::refresh`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    Unchanged,
    Reloaded,
    /// The file changed but does not read or parse: the last good value stays.
    Refused,
}

fn read(path: &Path, max_bytes: u64) -> Result<String, String> {
    let len = std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?.len();
    if len > max_bytes {
        return Err(format!("{} is {len} bytes, more than the {max_bytes} allowed", path.display()));
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

impl<T> Watched<T> {
    /// Reads and parses the file; a missing, oversized or bad file is an
    /// error with the reason (start-up stops on it).
    pub fn open(path: impl Into<PathBuf>, max_bytes: u64, parse: impl Fn(&str) -> Result<T, String> + Send + Sync + 'static) -> Result<Watched<T>, String> {
        let path = path.into();
        let stamp = stamp(&path);
        let value = parse(&read(&path, max_bytes)?)?;
        let inner = RwLock::new(Loaded { stamp, value: Arc::new(value), loaded_at: crate::time::now_ms(), error: None });
        Ok(Watched { path, max_bytes, parse: Box::new(parse), inner })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The value in use (not looking at the file: see [`Watched::refresh`]).
    pub fn get(&self) -> Arc<T> {
        self.inner.read().map(|l| l.value.clone()).unwrap_or_else(|p| p.into_inner().value.clone())
    }

    /// What is wrong with the file on disk, if anything.
    pub fn error(&self) -> Option<String> {
        self.inner.read().ok().and_then(|l| l.error.clone())
    }

    /// When the value in use was read.
    pub fn loaded_at(&self) -> i64 {
        self.inner.read().map(|l| l.loaded_at).unwrap_or_default()
    }

    /// Reads the file again if it changed since the last look.
    pub fn refresh(&self) -> Refresh {
        let now = stamp(&self.path);
        if self.inner.read().map(|l| l.stamp == now).unwrap_or(false) {
            return Refresh::Unchanged;
        }
        let parsed = read(&self.path, self.max_bytes).and_then(|text| (self.parse)(&text));
        let Ok(mut l) = self.inner.write() else { return Refresh::Unchanged };
        l.stamp = now;
        match parsed {
            Ok(value) => {
                tracing::info!(file = %self.path.display(), "file reloaded");
                l.value = Arc::new(value);
                l.loaded_at = crate::time::now_ms();
                l.error = None;
                Refresh::Reloaded
            }
            Err(e) => {
                tracing::warn!(file = %self.path.display(), error = %e, "changed file refused; keeping the last good one");
                l.error = Some(e);
                Refresh::Refused
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(text: &str) -> Result<Vec<u32>, String> {
        text.split_whitespace().map(|n| n.parse().map_err(|_| format!("`{n}` is not a number"))).collect()
    }

    #[test]
    fn a_change_is_read_and_a_bad_one_keeps_the_last_good_value() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("n.txt");
        std::fs::write(&path, "1 2").unwrap();
        let w = Watched::open(&path, 100, numbers).unwrap();
        assert_eq!(*w.get(), [1, 2]);
        assert_eq!(w.refresh(), Refresh::Unchanged);
        std::fs::write(&path, "1 2 3").unwrap();
        assert_eq!(w.refresh(), Refresh::Reloaded);
        assert_eq!(*w.get(), [1, 2, 3]);
        std::fs::write(&path, "1 2 two").unwrap();
        assert_eq!(w.refresh(), Refresh::Refused);
        assert_eq!(*w.get(), [1, 2, 3]);
        assert_eq!(w.error().as_deref(), Some("`two` is not a number"));
        // Refused once, not re-read at every look while it stays so.
        assert_eq!(w.refresh(), Refresh::Unchanged);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(w.refresh(), Refresh::Refused);
        assert_eq!(*w.get(), [1, 2, 3]);
        std::fs::write(&path, "7").unwrap();
        assert_eq!(w.refresh(), Refresh::Reloaded);
        assert_eq!((w.get().to_vec(), w.error()), (vec![7], None));
    }

    #[test]
    fn a_missing_oversized_or_bad_file_does_not_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("n.txt");
        assert!(Watched::open(&path, 100, numbers).err().unwrap().contains("cannot read"));
        std::fs::write(&path, "1 2 3 4").unwrap();
        assert!(Watched::open(&path, 4, numbers).err().unwrap().contains("more than the 4 allowed"));
        std::fs::write(&path, "x").unwrap();
        assert_eq!(Watched::open(&path, 100, numbers).err().unwrap(), "`x` is not a number");
    }
}
