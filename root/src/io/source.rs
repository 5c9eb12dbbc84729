//! Where a file's bytes come from. Everything goes through `object_store`, so a local path,
//! an `http(s)://` URL and an `s3://` object are read the same way: by byte ranges.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};

use crate::error::{Result, RootError};

/// A ROOT file's bytes, addressed by range.
#[derive(Clone, Debug)]
pub struct Source {
    store: Arc<dyn ObjectStore>,
    path: Path,
    size: u64,
    /// How the user named the file, for error messages.
    name: String,
}

impl Source {
    pub fn new(store: Arc<dyn ObjectStore>, path: Path, size: u64, name: impl Into<String>) -> Self {
        Source { store, path, size, name: name.into() }
    }

    /// A local file, for tools and tests that do not go through DataFusion.
    pub async fn local(path: impl AsRef<std::path::Path>) -> Result<Self> {
        let p = path.as_ref();
        let name = p.display().to_string();
        let abs = std::fs::canonicalize(p).map_err(|e| RootError::io(e.to_string()).in_file(&name))?;
        let store: Arc<dyn ObjectStore> = Arc::new(object_store::local::LocalFileSystem::new());
        let path = Path::from_absolute_path(&abs).map_err(|e| RootError::io(e.to_string()).in_file(&name))?;
        let meta = store.head(&path).await.map_err(|e| RootError::io(e.to_string()).in_file(&name))?;
        Ok(Source::new(store, path, meta.size, name))
    }

    /// A file held in memory (fuzzing, tests).
    pub async fn from_bytes(bytes: Vec<u8>, name: impl Into<String>) -> Result<Self> {
        let store: Arc<dyn ObjectStore> = Arc::new(object_store::memory::InMemory::new());
        let path = Path::from("file.root");
        let size = bytes.len() as u64;
        store.put(&path, bytes.into()).await.map_err(|e| RootError::io(e.to_string()))?;
        Ok(Source::new(store, path, size, name))
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn size(&self) -> u64 {
        self.size
    }

    pub async fn read(&self, range: Range<u64>) -> Result<Bytes> {
        self.check(&range)?;
        self.store
            .get_range(&self.path, range)
            .await
            .map_err(|e| RootError::io(e.to_string()).in_file(&self.name))
    }

    /// A range inside the file, or the error a truncated or corrupt file gets.
    fn check(&self, range: &Range<u64>) -> Result<()> {
        if range.end > self.size || range.start > range.end {
            return Err(RootError::format(format!(
                "record at bytes {}..{} lies beyond the end of the file ({} bytes): the file is truncated or corrupt",
                range.start, range.end, self.size
            ))
            .in_file(&self.name));
        }
        Ok(())
    }

    /// Fetches several ranges at once; the store coalesces nearby ones into few requests.
    pub async fn read_many(&self, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        ranges.iter().try_for_each(|r| self.check(r))?;
        self.store
            .get_ranges(&self.path, ranges)
            .await
            .map_err(|e| RootError::io(e.to_string()).in_file(&self.name))
    }
}
