//! What one build reads: the files of a folder or of a git commit, the
//! files `include_str!` names, the README, and the limits on how many files
//! and chunks a version may hold.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use super::PipelineError;
use crate::chunk::Chunk;
use crate::parse::PARSER_VERSION;
use crate::source::{
    Crawl, CrawlOptions, GitSource, LibraryConfig, MAX_CONFIG_BYTES, MAX_README_BYTES, Revision,
    SkipReason, SourceFile, crawl_folder, load_config, load_config_with,
};

/// Largest file `include_str!` may inline into doc text.
const MAX_INCLUDE_BYTES: u64 = 256 << 10;

/// Where the files of one build come from. A repository handle is not
/// `Sync`; parsing threads share it behind a lock (only `include_str!`
/// lookups need it).
pub(super) enum Files {
    Folder(PathBuf),
    Git(Arc<Mutex<GitSource>>, Revision),
}

pub(super) fn lock(git: &Mutex<GitSource>) -> std::sync::MutexGuard<'_, GitSource> {
    git.lock().unwrap_or_else(|e| e.into_inner())
}

impl Files {
    /// Reads a file named by `include_str!` in `from`.
    pub(super) fn include(&self, from: &str, name: &str) -> Option<String> {
        match self {
            Files::Folder(root) => read_include(root, from, name),
            Files::Git(git, revision) => {
                if is_doc_file(name) {
                    return None;
                }
                let bytes =
                    lock(git).read(revision, &join_relative(from, name)?, MAX_INCLUDE_BYTES)?;
                String::from_utf8(bytes).ok()
            }
        }
    }

    pub(super) fn crawl(&self, options: &CrawlOptions) -> Result<Crawl, PipelineError> {
        Ok(match self {
            Files::Folder(root) => crawl_folder(root, options)?,
            Files::Git(git, revision) => lock(git).crawl(revision, options)?,
        })
    }

    pub(super) fn config(&self) -> (LibraryConfig, Vec<String>) {
        match self {
            Files::Folder(root) => load_config(root),
            Files::Git(git, revision) => {
                let git = lock(git);
                load_config_with(|name| git.read(revision, name, MAX_CONFIG_BYTES))
            }
        }
    }
}

/// Reads the file a doc attribute of `from` includes, if it stays inside
/// `root` and is not itself documentation (Markdown and RST files are
/// indexed on their own; inlining them would index them twice).
fn read_include(root: &Path, from: &str, name: &str) -> Option<String> {
    if is_doc_file(name) {
        return None;
    }
    let dir = root.join(from).parent()?.to_owned();
    let path = dir.join(name).canonicalize().ok()?;
    if !path.starts_with(root) || std::fs::metadata(&path).ok()?.len() > MAX_INCLUDE_BYTES {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

fn is_doc_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".md", ".mdx", ".markdown", ".rst"]
        .iter()
        .any(|e| lower.ends_with(e))
}

/// `name` relative to the folder of `from`, both repository paths; `None`
/// when it climbs out of the repository.
fn join_relative(from: &str, name: &str) -> Option<String> {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// The README at the root of `revision`: its file name and text.
pub(super) fn readme_of(git: &GitSource, revision: &Revision) -> Option<(String, String)> {
    let commit = git.repo.find_commit(revision.commit).ok()?;
    let tree = commit.tree().ok()?;
    let mut names: Vec<String> = tree
        .iter()
        .filter_map(|e| e.name().ok().map(str::to_owned))
        .filter(|n| n.to_ascii_lowercase().starts_with("readme"))
        .collect();
    names.sort();
    let name = names.into_iter().next()?;
    let text = String::from_utf8(git.read(revision, &name, MAX_README_BYTES)?).ok()?;
    Some((name, text))
}

/// Identifies what parsing a file yields: its content, its path (code
/// items are named after it), its format and the parser version.
pub(super) fn document_hash(file: &SourceFile) -> String {
    let mut hasher = Sha256::new();
    hasher.update(format!("{PARSER_VERSION}\0{:?}\0{}\0", file.format, file.path).as_bytes());
    hasher.update(file.text.as_bytes());
    hex(&hasher.finalize())
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Prose before code when a limit leaves files out: the guides explain
/// what the API reference lists.
fn limit_rank(path: &str) -> u8 {
    match crate::parse::Format::from_path(path) {
        Some(crate::parse::Format::Code(_)) => 1,
        _ => 0,
    }
}

/// Keeps at most `max` files, prose first, and reports the others.
pub(super) fn apply_file_limit(crawl: &mut Crawl, max: usize) {
    if crawl.files.len() <= max {
        return;
    }
    let mut files = std::mem::take(&mut crawl.files);
    files.sort_by_key(|f| limit_rank(&f.path));
    for file in files.split_off(max) {
        crawl.skipped.push((file.path, SkipReason::FileLimit));
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    crawl.files = files;
}

/// A parsed file ready to be written.
pub(super) struct Prepared {
    pub path: String,
    pub title: Option<String>,
    pub hash: String,
    pub chunks: Vec<Chunk>,
    /// Token counts of the chunks, when they come from an earlier build.
    pub known_tokens: Option<Vec<u32>>,
}

/// Least share of a build's API sections that must be internal (documented
/// items that are not public API) for them to be kept.
pub(super) const INTERNAL_SHARE: f64 = 0.5;

/// Keeps the internal sections only where they are most of the API
/// sections: an application or a tool (a linter's rules are internal
/// structs) rather than a library, whose public API is what its users
/// read and whose internals would only crowd it out. Returns how many were
/// dropped.
pub(super) fn drop_internal_of_libraries(prepared: &mut [Prepared]) -> usize {
    let internal: usize = prepared
        .iter()
        .map(|p| p.chunks.iter().filter(|c| c.internal).count())
        .sum();
    let api: usize = prepared
        .iter()
        .map(|p| p.chunks.iter().filter(|c| c.internal || is_api(c)).count())
        .sum();
    if internal == 0 || internal as f64 >= INTERNAL_SHARE * api as f64 {
        return 0;
    }
    for p in prepared.iter_mut() {
        let keep: Vec<bool> = p.chunks.iter().map(|c| !c.internal).collect();
        if keep.iter().all(|k| *k) {
            continue;
        }
        let mut flags = keep.iter();
        p.chunks.retain(|_| *flags.next().unwrap_or(&true));
        if let Some(tokens) = &mut p.known_tokens {
            let mut flags = keep.iter();
            tokens.retain(|_| *flags.next().unwrap_or(&true));
        }
    }
    internal
}

/// A public API item's chunk: its text opens with the item's signature.
fn is_api(chunk: &Chunk) -> bool {
    chunk.text.starts_with("```") && !chunk.code.is_empty() && chunk.breadcrumb.len() == 1
}

/// Keeps whole files while their chunks fit in `max`, prose first; returns
/// the files left out and their chunk count.
pub(super) fn apply_chunk_limit(prepared: &mut Vec<Prepared>, max: usize) -> (usize, usize) {
    let total: usize = prepared.iter().map(|p| p.chunks.len()).sum();
    if total <= max {
        return (0, 0);
    }
    let mut order: Vec<usize> = (0..prepared.len()).collect();
    order.sort_by_key(|&i| limit_rank(&prepared[i].path));
    let mut keep = vec![false; prepared.len()];
    let mut used = 0;
    for i in order {
        if used + prepared[i].chunks.len() <= max {
            used += prepared[i].chunks.len();
            keep[i] = true;
        }
    }
    let mut k = keep.iter();
    let before = prepared.len();
    prepared.retain(|_| *k.next().unwrap_or(&false));
    (before - prepared.len(), total - used)
}

/// Tags selected by `rule`: `semver:<requirement>` (tags read as versions,
/// a leading `v` allowed) or a comma-separated list of tag names.
pub(super) fn select_versions(rule: &str, tags: &[String]) -> Result<Vec<String>, PipelineError> {
    if let Some(req) = rule.strip_prefix("semver:") {
        let req = semver::VersionReq::parse(req.trim()).map_err(|e| {
            PipelineError::Invalid(format!("--versions {rule}: not a semver requirement: {e}"))
        })?;
        let mut matched: Vec<(semver::Version, String)> = tags
            .iter()
            .filter_map(|t| {
                let v = semver::Version::parse(t.trim_start_matches('v')).ok()?;
                req.matches(&v).then(|| (v, t.clone()))
            })
            .collect();
        matched.sort();
        return Ok(matched.into_iter().map(|(_, t)| t).collect());
    }
    let wanted: Vec<String> = rule
        .split(',')
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    let unknown: Vec<&str> = wanted
        .iter()
        .filter(|t| !tags.contains(t))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(PipelineError::Invalid(format!(
            "no tag named {}; tags: {}",
            unknown.join(", "),
            if tags.is_empty() {
                "(none)".to_owned()
            } else {
                tags.join(", ")
            }
        )));
    }
    Ok(wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(name: &str, internal: bool) -> Chunk {
        Chunk {
            breadcrumb: vec![name.to_owned()],
            text: format!("```rust\nfn {name}()\n```\n\nDocs."),
            code: format!("```rust\nfn {name}()\n```"),
            start_line: 1,
            end_line: 2,
            internal,
        }
    }

    fn file(chunks: Vec<Chunk>) -> Prepared {
        let n = chunks.len();
        Prepared {
            path: "src/lib.rs".into(),
            title: None,
            hash: String::new(),
            chunks,
            known_tokens: Some(vec![7; n]),
        }
    }

    #[test]
    fn internal_items_stay_only_where_they_are_most_of_the_api() {
        // A library: public API first, its internals dropped (tokens too).
        let mut library = vec![file(vec![
            chunk("a", false),
            chunk("b", true),
            chunk("c", false),
        ])];
        assert_eq!(drop_internal_of_libraries(&mut library), 1);
        let names: Vec<&str> = library[0]
            .chunks
            .iter()
            .map(|c| c.breadcrumb[0].as_str())
            .collect();
        assert_eq!(names, ["a", "c"]);
        assert_eq!(library[0].known_tokens.as_deref(), Some(&[7, 7][..]));
        // A tool whose documented items are mostly internal keeps them.
        let mut tool = vec![file(vec![
            chunk("a", false),
            chunk("b", true),
            chunk("c", true),
        ])];
        assert_eq!(drop_internal_of_libraries(&mut tool), 0);
        assert_eq!(tool[0].chunks.len(), 3);
    }
}
