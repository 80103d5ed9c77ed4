//! `twinmcp index`: the flags of one indexing run; the pipeline itself is
//! [`crate::pipeline`].

use clap::Args;

use super::Context;
use crate::index::{
    DEFAULT_BATCH, DEFAULT_BATCH_MEMORY_MIB, DEFAULT_MAX_CHUNKS, DEFAULT_MAX_FILE_SIZE,
    DEFAULT_MAX_FILES, OptionOverrides,
};
use crate::pipeline::{IndexRequest, index_library};

/// Flags left out keep the value stored with the library (from its last
/// `index`), or the default for a new library; flags given are stored.
/// `--ref` is the exception: without it a run reads the default branch.
#[derive(Args)]
pub struct IndexArgs {
    /// A git URL (https://, ssh://, git@host:org/repo, file://), a local git repository, or a folder
    source: String,
    /// Branch, tag or commit to index [default: the default branch, or `branch` from the library config]
    #[arg(long = "ref", value_name = "REF")]
    git_ref: Option<String>,
    /// Also index these tags as versions: a comma-separated list (v1.2.0,v1.3.0) or a rule (semver:>=1.0)
    #[arg(long, value_name = "TAGS")]
    versions: Option<String>,
    /// Read a local repository's working tree (uncommitted files too) instead of a commit
    #[arg(long, overrides_with = "no_worktree")]
    worktree: bool,
    /// Read the commit again, for a library indexed with --worktree
    #[arg(long, hide = true)]
    no_worktree: bool,
    /// Library ID (/org/project) [default: from the git remote, else /local/<folder>]
    #[arg(long)]
    id: Option<String>,
    /// Library title [default: the README's first heading]
    #[arg(long)]
    title: Option<String>,
    /// Library description [default: the README's first paragraph]
    #[arg(long)]
    description: Option<String>,
    #[arg(long, value_name = "BYTES", help = format!("Skip files larger than this many bytes [default: {DEFAULT_MAX_FILE_SIZE}]"))]
    max_file_size: Option<u64>,
    /// Also index tests (test folders and test files)
    #[arg(long, overrides_with = "exclude_tests")]
    include_tests: bool,
    /// Leave tests out again, for a library indexed with --include-tests
    #[arg(long)]
    exclude_tests: bool,
    /// Build only the BM25 index, without the embedding model
    #[arg(long, overrides_with = "vectors")]
    no_vectors: bool,
    /// Build vectors again, for a library indexed with --no-vectors
    #[arg(long)]
    vectors: bool,
    #[arg(long, value_name = "N", help = format!("Chunks embedded per call to the model [default: {DEFAULT_BATCH}]"))]
    batch: Option<usize>,
    #[arg(long, value_name = "N", help = format!("Index at most this many files per version (prose first, then code); the rest is reported [default: {DEFAULT_MAX_FILES}]"))]
    max_files: Option<usize>,
    #[arg(long, value_name = "N", help = format!("Index at most this many chunks per version (prose first, then code); the rest is reported [default: {DEFAULT_MAX_CHUNKS}]"))]
    max_chunks: Option<usize>,
    #[arg(long, value_name = "MIB", help = format!("Working memory of one embedding forward pass, in MiB (bounds the batch's padded tokens) [default: {DEFAULT_BATCH_MEMORY_MIB}]"))]
    batch_memory: Option<u64>,
    /// Report progress and results as JSON lines on stdout
    #[arg(long)]
    json: bool,
}

/// `Some(true)` for `--on`, `Some(false)` for `--off`, else `None`.
fn switch(on: bool, off: bool) -> Option<bool> {
    match (on, off) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    }
}

impl IndexArgs {
    fn overrides(&self) -> OptionOverrides {
        OptionOverrides {
            // The ref is per run: without --ref, the default branch.
            git_ref: Some(self.git_ref.clone()),
            version_rule: self.versions.clone(),
            worktree: switch(self.worktree, self.no_worktree),
            title: self.title.clone(),
            description: self.description.clone(),
            max_file_size: self.max_file_size,
            include_tests: switch(self.include_tests, self.exclude_tests),
            no_vectors: switch(self.no_vectors, self.vectors),
            batch: self.batch,
            max_files: self.max_files,
            max_chunks: self.max_chunks,
            batch_memory_mib: self.batch_memory,
            folders: None,
        }
    }
}

pub fn run(context: &Context, args: IndexArgs) -> anyhow::Result<()> {
    let request = IndexRequest {
        source: args.source.clone(),
        id: args.id.clone(),
        overrides: args.overrides(),
        skip_unchanged: false,
        ..IndexRequest::default()
    };
    let sink = super::report::sink(args.json);
    index_library(&context.workspace(), &request, sink.as_ref())?;
    Ok(())
}
