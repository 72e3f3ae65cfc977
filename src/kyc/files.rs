//! Where document files live: an object store (the `object_store` crate),
//! the local disk by default (`storage.data_dir/documents`, outside the
//! public site) or an S3 bucket shared by several instances
//! (`[storage.objects]`). Keys are server-made ids, never file names.
//! Uploads are checked in a local spool file first; only a file that passed
//! is streamed to the store, in parts, so it is never whole in memory.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::stream::BoxStream;
use futures::StreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use tokio::io::AsyncReadExt;

use crate::config::{ObjectBackend, StorageSection};

/// One stored object, as [`DocumentFiles::list`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    /// The key it was stored under (`doc_…`, `att_…`, `….preview`).
    pub key: String,
    /// When it was written, milliseconds since the epoch (the store's clock).
    pub modified_ms: i64,
}

#[async_trait]
pub trait DocumentFiles: Send + Sync {
    /// Stores a checked spool file under `key`, then removes the spool file.
    async fn put(&self, key: &str, spooled: &Path) -> io::Result<()>;
    /// The file's length and its bytes as a stream: served without holding
    /// the whole file in memory. A missing key is `io::ErrorKind::NotFound`.
    async fn stream(&self, key: &str) -> io::Result<(u64, BoxStream<'static, io::Result<axum::body::Bytes>>)>;
    /// Deletes `key`; one that is not there counts as deleted.
    async fn delete(&self, key: &str) -> io::Result<()>;
    /// Every object under this deployment's prefix whose key this server
    /// could have made (anything else there is left alone).
    fn list(&self) -> BoxStream<'static, io::Result<StoredObject>>;
    /// Where an upload is written while it is being checked (always local).
    fn spool_dir(&self) -> &Path;
}

/// A part of a multipart upload: S3's smallest (all but the last part).
pub const PART_BYTES: usize = 5 * 1024 * 1024;
/// Parts of one upload on their way at once: with the one being read, at most
/// three parts of an upload are in memory.
const PARTS_IN_FLIGHT: usize = 2;

/// Documents and attachments in an [`ObjectStore`], under an optional key prefix.
pub struct ObjectFiles {
    store: Arc<dyn ObjectStore>,
    prefix: Option<ObjectPath>,
    spool: PathBuf,
    /// The local backend's folder: a checked spool file is moved in with a
    /// rename (the same disk), not copied part by part.
    local_root: Option<PathBuf>,
}

/// The object store `[storage.objects]` describes, and the prefix of every
/// key in it. Tests use this to look at what the server stored.
pub fn object_store(storage: &StorageSection) -> io::Result<(Arc<dyn ObjectStore>, Option<ObjectPath>)> {
    use secrecy::ExposeSecret;
    let o = &storage.objects;
    let store: Arc<dyn ObjectStore> = match o.backend {
        ObjectBackend::Local => {
            let root = storage.data_dir.join("documents");
            std::fs::create_dir_all(&root)?;
            Arc::new(object_store::local::LocalFileSystem::new_with_prefix(&root).map_err(io::Error::other)?)
        }
        ObjectBackend::S3 => {
            let retry = object_store::RetryConfig { max_retries: 3, retry_timeout: Duration::from_secs(60), ..Default::default() };
            let mut builder = object_store::aws::AmazonS3Builder::new()
                .with_bucket_name(&o.bucket)
                .with_region(&o.region)
                .with_access_key_id(&o.access_key_id)
                .with_secret_access_key(o.secret_access_key.expose_secret())
                .with_allow_http(o.allow_http)
                .with_retry(retry);
            if !o.endpoint.is_empty() {
                builder = builder.with_endpoint(&o.endpoint);
            }
            // The builder's error names the setting, never the secret.
            Arc::new(builder.build().map_err(io::Error::other)?)
        }
    };
    let prefix = (!o.prefix.is_empty()).then(|| ObjectPath::from(o.prefix.as_str()));
    Ok((store, prefix))
}

/// Whether `key` is one the server makes: letters, digits, `_` and `.`, no `..`.
fn key_ok(key: &str) -> bool {
    !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.') && !key.contains("..")
}

/// object_store's error as an `io::Error`: NotFound stays NotFound (a 404
/// when served), the rest keeps its message (which names the object, not credentials).
fn io_error(e: object_store::Error) -> io::Error {
    match e {
        object_store::Error::NotFound { .. } => io::Error::new(io::ErrorKind::NotFound, e.to_string()),
        e => io::Error::other(e.to_string()),
    }
}

impl ObjectFiles {
    /// The store `[storage.objects]` describes, with the spool under
    /// `storage.data_dir/spool` (emptied: a spool file outlives no process).
    pub fn open(storage: &StorageSection) -> io::Result<Self> {
        let (store, prefix) = object_store(storage)?;
        let mut files = Self::new(store, prefix, storage.data_dir.join("spool"))?;
        if storage.objects.backend == ObjectBackend::Local {
            files.local_root = Some(storage.data_dir.join("documents"));
        }
        Ok(files)
    }

    pub fn new(store: Arc<dyn ObjectStore>, prefix: Option<ObjectPath>, spool: PathBuf) -> io::Result<Self> {
        std::fs::create_dir_all(&spool)?;
        // A crash mid-upload leaves a spool file; nothing refers to it.
        for entry in std::fs::read_dir(&spool)?.flatten() {
            let _ = std::fs::remove_file(entry.path());
        }
        Ok(ObjectFiles { store, prefix, spool, local_root: None })
    }

    fn location(&self, key: &str) -> io::Result<ObjectPath> {
        if !key_ok(key) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "bad document key"));
        }
        Ok(match &self.prefix {
            Some(p) => p.clone().join(key),
            None => ObjectPath::from(key),
        })
    }

    /// Streams `spooled` into `upload` part by part.
    async fn copy(spooled: &Path, upload: &mut WriteMultipart) -> io::Result<()> {
        let mut file = tokio::fs::File::open(spooled).await?;
        loop {
            upload.wait_for_capacity(PARTS_IN_FLIGHT).await.map_err(io_error)?;
            let mut part = Vec::with_capacity(PART_BYTES);
            (&mut file).take(PART_BYTES as u64).read_to_end(&mut part).await?;
            if part.is_empty() {
                return Ok(());
            }
            let last = part.len() < PART_BYTES;
            upload.put(part.into());
            if last {
                return Ok(());
            }
        }
    }
}

#[async_trait]
impl DocumentFiles for ObjectFiles {
    async fn put(&self, key: &str, spooled: &Path) -> io::Result<()> {
        let location = self.location(key)?;
        if let Some(root) = &self.local_root {
            // Where LocalFileSystem keeps `location`; a rename is atomic, so
            // a reader never sees half a file.
            let target = root.join(location.as_ref());
            if let Some(parent) = target.parent() {
                tokio::fs::create_dir_all(parent).await?;
            }
            match tokio::fs::rename(spooled, &target).await {
                Ok(()) => return Ok(()),
                // Another disk (a data_dir/documents mount): copy in parts below.
                Err(e) if e.kind() == io::ErrorKind::CrossesDevices => {}
                Err(e) => {
                    let _ = tokio::fs::remove_file(spooled).await;
                    return Err(e);
                }
            }
        }
        let mut upload = WriteMultipart::new_with_chunk_size(self.store.put_multipart(&location).await.map_err(io_error)?, PART_BYTES);
        let stored = match Self::copy(spooled, &mut upload).await {
            // `finish` aborts the upload itself when it fails.
            Ok(()) => upload.finish().await.map(|_| ()).map_err(io_error),
            Err(e) => {
                let _ = upload.abort().await;
                Err(e)
            }
        };
        let _ = tokio::fs::remove_file(spooled).await;
        stored
    }

    async fn stream(&self, key: &str) -> io::Result<(u64, BoxStream<'static, io::Result<axum::body::Bytes>>)> {
        let got = self.store.get(&self.location(key)?).await.map_err(io_error)?;
        let len = got.meta.size;
        Ok((len, got.into_stream().map(|chunk| chunk.map_err(io_error)).boxed()))
    }

    async fn delete(&self, key: &str) -> io::Result<()> {
        match self.store.delete(&self.location(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(io_error(e)),
        }
    }

    fn list(&self) -> BoxStream<'static, io::Result<StoredObject>> {
        let prefix = self.prefix.clone();
        let under = prefix.as_ref().map(|p| format!("{}/", p.as_ref())).unwrap_or_default();
        self.store
            .list(prefix.as_ref())
            .filter_map(move |item| {
                let found = match item {
                    Ok(meta) => {
                        let key = meta.location.as_ref().strip_prefix(under.as_str()).unwrap_or_default();
                        key_ok(key).then(|| Ok(StoredObject { key: key.to_string(), modified_ms: meta.last_modified.timestamp_millis() }))
                    }
                    Err(e) => Some(Err(io_error(e))),
                };
                std::future::ready(found)
            })
            .boxed()
    }

    fn spool_dir(&self) -> &Path {
        &self.spool
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(dir: &Path) -> ObjectFiles {
        let root = dir.join("documents");
        std::fs::create_dir_all(&root).unwrap();
        let store = Arc::new(object_store::local::LocalFileSystem::new_with_prefix(&root).unwrap());
        ObjectFiles::new(store, None, dir.join("spool")).unwrap()
    }

    async fn read_all(files: &ObjectFiles, key: &str) -> (u64, Vec<u8>) {
        let (len, mut stream) = files.stream(key).await.unwrap();
        let mut out = Vec::new();
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk.unwrap());
        }
        (len, out)
    }

    #[tokio::test]
    async fn a_file_of_several_parts_round_trips_byte_for_byte_under_its_old_file_name() {
        let dir = tempfile::tempdir().unwrap();
        let files = local(dir.path());
        // 12 MiB and a bit: two full parts and a short last one, every byte telling its place.
        let bytes: Vec<u8> = (0..12 * 1024 * 1024 + 12_345u32).map(|i| (i % 251) as u8 ^ (i >> 16) as u8).collect();
        let spooled = files.spool_dir().join("upload.part");
        std::fs::write(&spooled, &bytes).unwrap();
        files.put("doc_0123abcd", &spooled).await.unwrap();
        assert!(!spooled.exists(), "the spool file is gone once stored");
        // Where the local store always kept it: existing data keeps working.
        assert_eq!(std::fs::read(dir.path().join("documents/doc_0123abcd")).unwrap(), bytes);
        let (len, back) = read_all(&files, "doc_0123abcd").await;
        assert_eq!(len, bytes.len() as u64);
        assert!(back == bytes, "the stream gives back the same bytes");
        let listed: Vec<StoredObject> = files.list().map(|o| o.unwrap()).collect().await;
        assert_eq!(listed.iter().map(|o| o.key.as_str()).collect::<Vec<_>>(), ["doc_0123abcd"]);
        assert!((listed[0].modified_ms - crate::time::now_ms()).abs() < 60_000);

        files.delete("doc_0123abcd").await.unwrap();
        files.delete("doc_0123abcd").await.expect("deleting what is gone is no error");
        let missing = files.stream("doc_0123abcd").await.err().expect("gone");
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
    }

    #[tokio::test]
    async fn keys_are_server_made_ids_only() {
        let dir = tempfile::tempdir().unwrap();
        let files = local(dir.path());
        let spooled = files.spool_dir().join("x.part");
        for bad in ["", "../etc/passwd", "a/b", "doc..x", "doc x"] {
            std::fs::write(&spooled, b"x").unwrap();
            assert_eq!(files.put(bad, &spooled).await.unwrap_err().kind(), io::ErrorKind::InvalidInput, "{bad:?}");
            assert_eq!(files.stream(bad).await.err().unwrap().kind(), io::ErrorKind::InvalidInput, "{bad:?}");
        }
    }
}
