//! How a library is indexed: the options of `twinmcp index`, stored with the
//! library in the catalog so that every rebuild (`update`, `sync`, `serve
//! --refresh`, a re-run of `index`) repeats them.

use serde::{Deserialize, Serialize};

/// Default `max_files`: far above any documentation set seen, low enough
/// that a generated or vendored tree cannot run the machine out of memory.
pub const DEFAULT_MAX_FILES: usize = 50_000;

/// Default `max_chunks` (about four hours of embedding on two cores).
pub const DEFAULT_MAX_CHUNKS: usize = 200_000;

/// Default `max_file_size`, in bytes.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 2 << 20;

/// Default `batch`: chunks embedded per call to the model.
pub const DEFAULT_BATCH: usize = 64;

/// Default `batch_memory_mib` (the embedder's own default).
pub const DEFAULT_BATCH_MEMORY_MIB: u64 = crate::embed::DEFAULT_BATCH_MEMORY >> 20;

/// Everything that decides what an index of a library holds. Stored as JSON;
/// a field an older TwinMCP did not write takes its default, and fields a
/// newer one wrote are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IndexOptions {
    /// Branch, tag or commit (`--ref`).
    pub git_ref: Option<String>,
    /// Tags indexed as versions (`--versions`): a list or `semver:<req>`.
    pub version_rule: Option<String>,
    /// Read a repository's working tree instead of a commit (`--worktree`).
    pub worktree: bool,
    /// Title given with `--title` (else the config file's, else the README's).
    #[serde(rename = "title_flag")]
    pub title: Option<String>,
    /// Description given with `--description`.
    #[serde(rename = "description_flag")]
    pub description: Option<String>,
    /// Files larger than this many bytes are skipped.
    pub max_file_size: u64,
    /// Index test folders and test files too.
    pub include_tests: bool,
    /// Build only the BM25 index.
    pub no_vectors: bool,
    /// Chunks embedded per call to the model.
    pub batch: usize,
    /// Files per version, prose first.
    pub max_files: usize,
    /// Chunks per version, prose first.
    pub max_chunks: usize,
    /// Working memory of one forward pass, in MiB.
    pub batch_memory_mib: u64,
    /// Only these folders (globs), besides what the library's config file
    /// allows; empty: all. A package in a shared folder (a virtualenv's
    /// `site-packages`) is indexed through it.
    pub folders: Vec<String>,
}

impl Default for IndexOptions {
    fn default() -> IndexOptions {
        IndexOptions {
            git_ref: None,
            version_rule: None,
            worktree: false,
            title: None,
            description: None,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            include_tests: false,
            no_vectors: false,
            batch: DEFAULT_BATCH,
            max_files: DEFAULT_MAX_FILES,
            max_chunks: DEFAULT_MAX_CHUNKS,
            batch_memory_mib: DEFAULT_BATCH_MEMORY_MIB,
            folders: Vec::new(),
        }
    }
}

/// Options given again (on the command line, in a manifest): each one set
/// replaces the stored value, the rest keep theirs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionOverrides {
    /// `Some(None)` goes back to the default branch: `index` and `sync`
    /// name the ref of each run (none given: the default branch), while
    /// `update` keeps the stored one.
    pub git_ref: Option<Option<String>>,
    pub version_rule: Option<String>,
    pub worktree: Option<bool>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub max_file_size: Option<u64>,
    pub include_tests: Option<bool>,
    pub no_vectors: Option<bool>,
    pub batch: Option<usize>,
    pub max_files: Option<usize>,
    pub max_chunks: Option<usize>,
    pub batch_memory_mib: Option<u64>,
    pub folders: Option<Vec<String>>,
}

impl OptionOverrides {
    /// `base` with every option set here replaced.
    pub fn apply(&self, base: &IndexOptions) -> IndexOptions {
        fn pick<T: Clone>(given: &Option<T>, stored: &T) -> T {
            given.clone().unwrap_or_else(|| stored.clone())
        }
        fn pick_some<T: Clone>(given: &Option<T>, stored: &Option<T>) -> Option<T> {
            given.clone().or_else(|| stored.clone())
        }
        IndexOptions {
            git_ref: pick(&self.git_ref, &base.git_ref),
            version_rule: pick_some(&self.version_rule, &base.version_rule),
            worktree: pick(&self.worktree, &base.worktree),
            title: pick_some(&self.title, &base.title),
            description: pick_some(&self.description, &base.description),
            max_file_size: pick(&self.max_file_size, &base.max_file_size),
            include_tests: pick(&self.include_tests, &base.include_tests),
            no_vectors: pick(&self.no_vectors, &base.no_vectors),
            batch: pick(&self.batch, &base.batch),
            max_files: pick(&self.max_files, &base.max_files),
            max_chunks: pick(&self.max_chunks, &base.max_chunks),
            batch_memory_mib: pick(&self.batch_memory_mib, &base.batch_memory_mib),
            folders: pick(&self.folders, &base.folders),
        }
    }
}

/// Reads stored options; `Err` says why they could not be read (they then
/// take their defaults).
pub(crate) fn parse_options(json: &str) -> Result<IndexOptions, String> {
    serde_json::from_str(json).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_replace_only_what_they_set() {
        let stored = IndexOptions {
            no_vectors: true,
            title: Some("Old".into()),
            version_rule: Some("semver:>=1".into()),
            ..IndexOptions::default()
        };
        let given = OptionOverrides {
            title: Some("New".into()),
            max_files: Some(10),
            ..OptionOverrides::default()
        };
        let merged = given.apply(&stored);
        assert!(merged.no_vectors);
        assert_eq!(merged.title.as_deref(), Some("New"));
        assert_eq!(merged.version_rule.as_deref(), Some("semver:>=1"));
        assert_eq!(merged.max_files, 10);
        assert_eq!(OptionOverrides::default().apply(&stored), stored);
    }

    #[test]
    fn missing_fields_default_and_unknown_fields_are_ignored() {
        let old = parse_options(r#"{"no_vectors": true, "from_the_future": 3}"#).unwrap();
        assert_eq!(
            old,
            IndexOptions {
                no_vectors: true,
                ..IndexOptions::default()
            }
        );
        assert!(parse_options(r#"{"max_files": "many"}"#).is_err());
        let all = IndexOptions {
            title: Some("T".into()),
            ..IndexOptions::default()
        };
        let json = serde_json::to_string(&all).unwrap();
        assert!(json.contains("\"title_flag\":\"T\""), "{json}");
        assert_eq!(parse_options(&json).unwrap(), all);
    }
}
