//! Where document files live. Keys are server-made ids, never file names.
//! Local disk today (under `storage.data_dir/documents`, outside the public
//! site); an S3-compatible store is another implementation of the trait.

use std::io;
use std::path::{Path, PathBuf};

use async_trait::async_trait;

#[async_trait]
pub trait DocumentFiles: Send + Sync {
    /// Moves a checked spool file in under `key`.
    async fn put(&self, key: &str, spooled: &Path) -> io::Result<()>;
    /// The file's length and its bytes as a stream: served without holding
    /// the whole file in memory.
    async fn stream(&self, key: &str) -> io::Result<(u64, futures::stream::BoxStream<'static, io::Result<axum::body::Bytes>>)>;
    async fn delete(&self, key: &str) -> io::Result<()>;
    /// Where an upload is written while it is being checked (always local).
    fn spool_dir(&self) -> &Path;
}

pub struct LocalFiles {
    root: PathBuf,
    spool: PathBuf,
}

impl LocalFiles {
    pub fn open(data_dir: &Path) -> io::Result<Self> {
        let (root, spool) = (data_dir.join("documents"), data_dir.join("spool"));
        std::fs::create_dir_all(&root)?;
        std::fs::create_dir_all(&spool)?;
        // A crash mid-upload leaves a spool file; nothing refers to it.
        for entry in std::fs::read_dir(&spool)?.flatten() {
            let _ = std::fs::remove_file(entry.path());
        }
        Ok(LocalFiles { root, spool })
    }

    fn path(&self, key: &str) -> io::Result<PathBuf> {
        let safe = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.') && !key.contains("..");
        if !safe {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "bad document key"));
        }
        Ok(self.root.join(key))
    }
}

#[async_trait]
impl DocumentFiles for LocalFiles {
    async fn put(&self, key: &str, spooled: &Path) -> io::Result<()> {
        let target = self.path(key)?;
        tokio::fs::rename(spooled, &target).await
    }

    async fn stream(&self, key: &str) -> io::Result<(u64, futures::stream::BoxStream<'static, io::Result<axum::body::Bytes>>)> {
        use futures::StreamExt;
        let file = tokio::fs::File::open(self.path(key)?).await?;
        let len = file.metadata().await?.len();
        Ok((len, tokio_util::io::ReaderStream::new(file).boxed()))
    }

    async fn delete(&self, key: &str) -> io::Result<()> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    fn spool_dir(&self) -> &Path {
        &self.spool
    }
}
