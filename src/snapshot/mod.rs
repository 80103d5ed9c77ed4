//! Index snapshots: one file holding everything needed to answer queries
//! for some libraries, built once (in CI) and imported or served elsewhere.
//!
//! A snapshot is a zstd-compressed tar archive (`tar --zstd -tf` lists it):
//!
//! ```text
//! manifest.json                 format, TwinMCP version, model, builds, parts
//! builds/<n>/catalog.json       library row, build row, documents and chunks
//! builds/<n>/text/<file>        the build's tantivy files, as they are
//! builds/<n>/vectors.usearch    the build's HNSW index, as it is
//! ```
//!
//! The manifest comes first and lists every other part in archive order with
//! its size and SHA-256, so a reader knows before it writes anything how
//! much will come out and where, and checks every byte on the way.
//! Snapshots are untrusted input: names are checked against a fixed shape,
//! sizes against the manifest and a limit, and the decompressed stream is
//! cut off where the manifest says it ends (no decompression bombs).
//!
//! Chunk keys inside the tantivy and usearch files are the chunk ids of the
//! exporting catalog; an import shifts them past the ids already in use and
//! records the shift as the build's `id_offset`, so no file is rewritten
//! and nothing is embedded again.

mod export;
mod folder;
mod import;
mod read;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use export::{ExportOptions, export};
pub use folder::{FolderEvent, FolderState, SETTLE, SnapshotFolder};
pub use import::{ImportReport, import};
pub use read::{DEFAULT_MAX_BYTES, read_manifest, verify};

use crate::index::{ChunkRow, DocumentRow, IndexError, Library};

/// The snapshot format this binary writes and the newest it reads.
pub const FORMAT: u32 = 1;

/// The archive member that describes the rest.
const MANIFEST: &str = "manifest.json";

/// The manifest may not be larger than this.
const MAX_MANIFEST_BYTES: u64 = 4 << 20;

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a TwinMCP snapshot: {reason}")]
    NotASnapshot { path: PathBuf, reason: String },
    #[error("{path} is damaged: {reason}; nothing was imported")]
    Corrupt { path: PathBuf, reason: String },
    #[error(
        "{path} is snapshot format {found}, newer than this TwinMCP reads ({FORMAT}); upgrade TwinMCP"
    )]
    TooNew { path: PathBuf, found: u32 },
    #[error(
        "{path} would unpack to {declared} bytes, more than the limit of {limit} (raise it with --max-bytes)"
    )]
    TooLarge {
        path: PathBuf,
        declared: u64,
        limit: u64,
    },
    #[error(
        "{path} was built with embedding model `{snapshot}` but the installed model is `{installed}`; \
         install the snapshot's model or re-index the libraries here"
    )]
    ModelMismatch {
        path: PathBuf,
        snapshot: String,
        installed: String,
    },
    #[error("{0}")]
    Selection(String),
    #[error(transparent)]
    Index(#[from] IndexError),
}

impl From<rusqlite::Error> for SnapshotError {
    fn from(e: rusqlite::Error) -> SnapshotError {
        SnapshotError::Index(IndexError::Query(e))
    }
}

impl SnapshotError {
    fn io(path: &std::path::Path, source: std::io::Error) -> SnapshotError {
        SnapshotError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// What a snapshot holds; the first member of the archive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Snapshot format version ([`FORMAT`] when written by this binary).
    pub format: u32,
    /// Version of the TwinMCP that wrote it.
    pub twinmcp: String,
    /// Unix seconds; `--timestamp` or `SOURCE_DATE_EPOCH` fix it.
    pub created_at: i64,
    /// Fingerprint of the embedding model of the vectors (none: BM25 only).
    pub model: Option<String>,
    pub builds: Vec<BuildEntry>,
    /// Every other member, in archive order.
    pub parts: Vec<Part>,
}

/// One library version in a snapshot; its parts are under `builds/<index>/`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildEntry {
    pub library: String,
    /// Empty for the unversioned default.
    pub version: String,
    /// The git commit it was indexed from.
    pub commit: Option<String>,
    pub documents: u64,
    pub chunks: u64,
}

/// One archive member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Part {
    pub name: String,
    pub size: u64,
    pub sha256: String,
}

/// `builds/<n>/catalog.json`: the catalog rows of one build.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct BuildRows {
    library: Library,
    version: String,
    source_rev: Option<String>,
    model: Option<String>,
    created_at: i64,
    bytes: i64,
    documents: Vec<DocumentRow>,
    chunks: Vec<ChunkRow>,
}

/// Where a part's bytes go inside a build's directory, if `name` is a
/// well-formed part name: `builds/<n>/catalog.json`,
/// `builds/<n>/vectors.usearch` or `builds/<n>/text/<file>`, with `n` below
/// `builds` and `<file>` a plain file name. Anything else (absolute paths,
/// `..`, other folders, odd characters) is refused.
fn part_location(name: &str, builds: usize) -> Option<(usize, PartKind)> {
    let rest = name.strip_prefix("builds/")?;
    let (n, rest) = rest.split_once('/')?;
    if n.is_empty() || n.len() > 6 || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if n.len() > 1 && n.starts_with('0') {
        return None;
    }
    let n: usize = n.parse().ok()?;
    if n >= builds {
        return None;
    }
    let kind = match rest {
        "catalog.json" => PartKind::Catalog,
        "vectors.usearch" => PartKind::Vectors,
        _ => {
            let file = rest.strip_prefix("text/")?;
            let plain = !file.is_empty()
                && file.len() <= 128
                && file != "."
                && file != ".."
                && file
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
            if !plain {
                return None;
            }
            PartKind::Text(file.to_owned())
        }
    };
    Some((n, kind))
}

#[derive(Debug, Clone, PartialEq)]
enum PartKind {
    Catalog,
    Vectors,
    Text(String),
}

/// A damaged or hand-crafted snapshot, with what gave it away.
fn corrupt(path: &std::path::Path, reason: impl Into<String>) -> SnapshotError {
    SnapshotError::Corrupt {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

fn sha256_hex(digest: sha2::digest::Output<sha2::Sha256>) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_names_have_one_shape() {
        assert_eq!(
            part_location("builds/0/catalog.json", 1),
            Some((0, PartKind::Catalog))
        );
        assert_eq!(
            part_location("builds/1/text/meta.json", 2),
            Some((1, PartKind::Text("meta.json".into())))
        );
        assert_eq!(
            part_location("builds/0/vectors.usearch", 1),
            Some((0, PartKind::Vectors))
        );
        for bad in [
            "builds/1/catalog.json",
            "builds/00/catalog.json",
            "builds/0/../../etc/passwd",
            "builds/0/text/../../x",
            "builds/0/text/..",
            "builds/0/text/a/b",
            "/builds/0/catalog.json",
            "builds/0/text/",
            "builds/0/other",
            "builds//catalog.json",
            "builds/0/text/a\\b",
            "builds/-1/catalog.json",
            "manifest.json",
        ] {
            assert_eq!(part_location(bad, 1), None, "{bad}");
        }
    }
}
