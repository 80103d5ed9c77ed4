//! Where indexes live and how they are written and read.
//!
//! Layout of a data dir:
//!
//! ```text
//! <data-dir>/catalog.sqlite     libraries, builds, documents, chunks (source of truth)
//! <data-dir>/builds/<id>/text/  tantivy BM25 index of build <id>
//! <data-dir>/builds/<id>/vectors.usearch   HNSW index of build <id>
//! <data-dir>/write.lock         held by the one writer
//! <data-dir>/import-*/          a snapshot being imported (staging)
//! <data-dir>/models/            installed embedding models
//! <data-dir>/keys.sqlite        API keys of the HTTP server (hashed)
//! <data-dir>/repos/<name>.git   bare clones of remote repositories
//! ```

mod catalog;
mod options;
mod readers;
mod text;
pub mod tokenizer;
mod vector;
mod writer;

use std::fs::File;
use std::path::{Path, PathBuf};

pub(crate) use catalog::unix_now;
pub use catalog::{
    BREADCRUMB_SEPARATOR, Catalog, ChunkRow, DocumentRow, Job, Library, Project, ReusedChunk,
    ReusedDocument, StoredChunk, Version,
};
pub use options::{
    DEFAULT_BATCH, DEFAULT_BATCH_MEMORY_MIB, DEFAULT_MAX_CHUNKS, DEFAULT_MAX_FILE_SIZE,
    DEFAULT_MAX_FILES, IndexOptions, OptionOverrides,
};
pub use readers::{CatalogReaders, Reader};
pub use text::TextIndex;
#[cfg(test)]
pub(crate) use text::TextIndexWriter;
pub use vector::{VECTOR_FILE, VectorIndex};
pub use writer::{BuildStats, IndexWriter, decode_vector, encode_vector};

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("catalog {path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("catalog: {0}")]
    Query(#[from] rusqlite::Error),
    #[error("text index {path}: {source}")]
    Text {
        path: PathBuf,
        source: tantivy::TantivyError,
    },
    #[error("vector index {path}: {message}")]
    Vector { path: PathBuf, message: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("another `twinmcp` process is writing to {0}; wait for it to finish")]
    Locked(PathBuf),
}

impl IndexError {
    fn sqlite(path: &Path, source: rusqlite::Error) -> IndexError {
        IndexError::Sqlite {
            path: path.to_owned(),
            source,
        }
    }

    fn io(path: &Path, source: std::io::Error) -> IndexError {
        IndexError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// The data directory: every file an index needs lives under it.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// Uses `root`, creating it if needed.
    pub fn open(root: &Path) -> Result<DataDir, IndexError> {
        std::fs::create_dir_all(root.join("builds")).map_err(|e| IndexError::io(root, e))?;
        Ok(DataDir {
            root: root.to_owned(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn catalog_path(&self) -> PathBuf {
        self.root.join("catalog.sqlite")
    }

    pub fn build_dir(&self, build_id: i64) -> PathBuf {
        self.root.join("builds").join(build_id.to_string())
    }

    /// Bare clones of the remote repositories indexed from URLs.
    pub fn repos_dir(&self) -> PathBuf {
        self.root.join("repos")
    }

    /// The API keys of the HTTP server (kept apart from the catalog so that
    /// copies of the index never carry them).
    pub fn keys_path(&self) -> PathBuf {
        self.root.join("keys.sqlite")
    }

    pub fn models_dir(&self) -> PathBuf {
        self.root.join("models")
    }

    pub fn catalog(&self) -> Result<Catalog, IndexError> {
        Catalog::open(&self.catalog_path())
    }

    /// Takes the writer lock without waiting; fails if another writer has it.
    pub fn lock_for_writing(&self) -> Result<File, IndexError> {
        let path = self.root.join("write.lock");
        let file = File::create(&path).map_err(|e| IndexError::io(&path, e))?;
        match file.try_lock() {
            Ok(()) => Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => Err(IndexError::Locked(self.root.clone())),
            Err(std::fs::TryLockError::Error(e)) => Err(IndexError::io(&path, e)),
        }
    }

    /// Takes the writer lock, opens the catalog and removes what an
    /// interrupted writer left (builds still `building`, and their files).
    pub fn open_for_writing(&self) -> Result<(File, Catalog), IndexError> {
        let lock = self.lock_for_writing()?;
        let mut catalog = self.catalog()?;
        let stale = catalog.remove_unfinished_builds()?;
        self.remove_build_files(&stale);
        Ok((lock, catalog))
    }

    /// Deletes the files of builds the catalog no longer knows, best effort.
    pub fn remove_build_files(&self, build_ids: &[i64]) {
        for id in build_ids {
            let dir = self.build_dir(*id);
            if let Err(e) = std::fs::remove_dir_all(&dir)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!("could not remove {}: {e}", dir.display());
            }
        }
    }

    /// Total size in bytes of a build's files.
    pub fn build_size(&self, build_id: i64) -> u64 {
        fn walk(dir: &Path) -> u64 {
            std::fs::read_dir(dir)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => walk(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        }
        walk(&self.build_dir(build_id))
    }
}
