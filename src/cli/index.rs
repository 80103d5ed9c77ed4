//! `twinmcp index`: crawl, parse, chunk, embed and write one library.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::Context;
use crate::chunk::{Chunk, ChunkLimits, chunk_document};
use crate::embed::{BertEmbedder, DEFAULT_BATCH_MEMORY, Embedder, locate_model};
use crate::index::{BREADCRUMB_SEPARATOR, IndexWriter, LibraryMeta};
use crate::parse::{PARSER_VERSION, parse_document};
use crate::source::{
    Crawl, CrawlOptions, GitSource, LibraryConfig, LibraryIdentity, Location, PathFilter, Revision,
    SkipReason, SourceFile, crawl_folder, identify_from_git, identify_library, load_config,
    load_config_with, locate, normalize_library_id,
};

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
    #[arg(long)]
    worktree: bool,
    /// Library ID (/org/project) [default: from the git remote, else /local/<folder>]
    #[arg(long)]
    id: Option<String>,
    /// Library title [default: the README's first heading]
    #[arg(long)]
    title: Option<String>,
    /// Library description [default: the README's first paragraph]
    #[arg(long)]
    description: Option<String>,
    /// Skip files larger than this many bytes
    #[arg(long, default_value_t = 2 << 20)]
    max_file_size: u64,
    /// Also index tests (test folders and test files)
    #[arg(long)]
    include_tests: bool,
    /// Build only the BM25 index, without the embedding model
    #[arg(long)]
    no_vectors: bool,
    /// Chunks embedded per call to the model
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// Index at most this many files per version (prose first, then code); the rest is reported
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_FILES)]
    max_files: usize,
    /// Index at most this many chunks per version (prose first, then code); the rest is reported
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CHUNKS)]
    max_chunks: usize,
    /// Working memory of one embedding forward pass, in MiB (bounds the batch's padded tokens)
    #[arg(long, value_name = "MIB", default_value_t = DEFAULT_BATCH_MEMORY >> 20)]
    batch_memory: u64,
    /// Leave a version alone when its commit is already indexed (`update`)
    #[arg(skip)]
    skip_unchanged: bool,
}

impl IndexArgs {
    /// What `update` runs for a library indexed from `source`.
    pub fn for_update(
        source: String,
        id: String,
        git_ref: Option<String>,
        versions: Option<String>,
    ) -> IndexArgs {
        IndexArgs {
            source,
            git_ref,
            versions,
            worktree: false,
            id: Some(id),
            title: None,
            description: None,
            max_file_size: 2 << 20,
            include_tests: false,
            no_vectors: false,
            batch: 64,
            max_files: DEFAULT_MAX_FILES,
            max_chunks: DEFAULT_MAX_CHUNKS,
            batch_memory: DEFAULT_BATCH_MEMORY >> 20,
            skip_unchanged: true,
        }
    }
}

/// Default `--max-files`: far above any documentation set seen, low enough
/// that a generated or vendored tree cannot run the machine out of memory.
const DEFAULT_MAX_FILES: usize = 50_000;

/// Default `--max-chunks` (about four hours of embedding on two cores).
const DEFAULT_MAX_CHUNKS: usize = 200_000;

/// Prose before code when a limit leaves files out: the guides explain
/// what the API reference lists.
fn limit_rank(path: &str) -> u8 {
    match crate::parse::Format::from_path(path) {
        Some(crate::parse::Format::Code(_)) => 1,
        _ => 0,
    }
}

/// Keeps at most `max` files, prose first, and reports the others.
fn apply_file_limit(crawl: &mut Crawl, max: usize) {
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

/// Keeps whole files while their chunks fit in `max`, prose first; returns
/// the files left out and their chunk count.
fn apply_chunk_limit(prepared: &mut Vec<Prepared>, max: usize) -> (usize, usize) {
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

/// What one run did, for `update`'s report.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Versions written ("" for the branch), with their commit.
    pub built: Vec<(String, String)>,
    /// Versions whose commit was already indexed.
    pub unchanged: usize,
}

/// A parsed file ready to be written.
struct Prepared {
    path: String,
    title: Option<String>,
    hash: String,
    chunks: Vec<Chunk>,
    /// Token counts of the chunks, when they come from an earlier build.
    known_tokens: Option<Vec<u32>>,
}

/// Identifies what parsing a file yields: its content, its path (code
/// items are named after it), its format and the parser version.
fn document_hash(file: &SourceFile) -> String {
    let mut hasher = Sha256::new();
    hasher.update(format!("{PARSER_VERSION}\0{:?}\0{}\0", file.format, file.path).as_bytes());
    hasher.update(file.text.as_bytes());
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Largest file `include_str!` may inline into doc text.
const MAX_INCLUDE_BYTES: u64 = 256 << 10;

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

/// The text the model sees for a chunk: its breadcrumb, then its text.
fn embedding_text(chunk: &Chunk) -> String {
    format!(
        "{}\n{}",
        chunk.breadcrumb.join(BREADCRUMB_SEPARATOR),
        chunk.text
    )
}

/// Where the files of one build come from. A repository handle is not
/// `Sync`; parsing threads share it behind a lock (only `include_str!`
/// lookups need it).
enum Files {
    Folder(PathBuf),
    Git(Arc<Mutex<GitSource>>, Revision),
}

fn lock(git: &Mutex<GitSource>) -> std::sync::MutexGuard<'_, GitSource> {
    git.lock().unwrap_or_else(|e| e.into_inner())
}

impl Files {
    /// Reads a file named by `include_str!` in `from`.
    fn include(&self, from: &str, name: &str) -> Option<String> {
        match self {
            Files::Folder(root) => read_include(root, from, name),
            Files::Git(git, revision) => {
                if is_doc_file(name) {
                    return None;
                }
                let bytes = lock(git).read(revision, &join_relative(from, name)?)?;
                if bytes.len() as u64 > MAX_INCLUDE_BYTES {
                    return None;
                }
                String::from_utf8(bytes).ok()
            }
        }
    }

    fn crawl(&self, options: &CrawlOptions) -> anyhow::Result<Crawl> {
        Ok(match self {
            Files::Folder(root) => crawl_folder(root, options)?,
            Files::Git(git, revision) => lock(git).crawl(revision, options)?,
        })
    }

    fn config(&self) -> (LibraryConfig, Vec<String>) {
        match self {
            Files::Folder(root) => load_config(root),
            Files::Git(git, revision) => {
                let git = lock(git);
                load_config_with(|name| git.read(revision, name))
            }
        }
    }
}

pub fn run(context: &Context, args: IndexArgs) -> anyhow::Result<()> {
    index(context, args).map(|_| ())
}

/// Indexes what `args` says; reports which versions were written.
pub fn index(context: &Context, args: IndexArgs) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::default();
    let location = if args.worktree {
        Location::Folder(PathBuf::from(&args.source))
    } else {
        locate(&args.source)
    };
    let git = match &location {
        Location::Folder(_) => None,
        Location::Repository(path) => Some(GitSource::open_local(path)?),
        Location::Remote(url) => {
            // A commit id can only be reached with full history.
            let full = args
                .git_ref
                .as_deref()
                .is_some_and(|r| r.len() >= 7 && r.chars().all(|c| c.is_ascii_hexdigit()));
            Some(GitSource::fetch(url, &context.data.repos_dir(), full)?)
        }
    };
    let Some(git) = git else {
        let Location::Folder(path) = location else {
            unreachable!("only folders have no repository")
        };
        if args.versions.is_some() || args.git_ref.is_some() {
            anyhow::bail!(
                "{}: --ref and --versions need a git repository; this is a plain folder",
                path.display()
            );
        }
        let root = path
            .canonicalize()
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let identity = identify_library(&root);
        let files = Files::Folder(root.clone());
        let (config, warnings) = files.config();
        let library = library_meta(&args, &config, identity, &root.display().to_string())?;
        build(
            context, &args, &library, &config, &warnings, &files, "", None,
        )?;
        outcome.built.push((String::new(), String::new()));
        return Ok(outcome);
    };

    // The config at the default revision may name the branch to index.
    let default = git.resolve(None)?;
    let (remote, name) = (git.remote.clone(), git.name.clone());
    let git = Arc::new(Mutex::new(git));
    let (config, _) = Files::Git(git.clone(), default.clone()).config();
    let wanted = args.git_ref.clone().or(config.branch.clone());
    let revision = match wanted.as_deref() {
        Some(w) => lock(&git).resolve(Some(w))?,
        None => default,
    };
    let files = Files::Git(git.clone(), revision.clone());
    let (config, warnings) = files.config();
    let readme = readme_of(&lock(&git), &revision);
    let identity = identify_from_git(
        remote.clone(),
        &name,
        readme.as_ref().map(|(n, t)| (n.as_str(), t.as_str())),
    );
    // Where `update` will look again: the URL, or the local repository
    // (never its remote: a local checkout is updated from disk).
    let source = match &location {
        Location::Remote(url) => url.clone(),
        Location::Repository(path) | Location::Folder(path) => path
            .canonicalize()
            .map_or_else(|_| args.source.clone(), |p| p.display().to_string()),
    };
    let library = library_meta(&args, &config, identity, &source)?;
    let already = |version: &str, revision: &Revision| -> anyhow::Result<bool> {
        let built = context.data.catalog()?.ready_build(&library.id, version)?;
        Ok(args.skip_unchanged
            && built.and_then(|b| b.source_rev) == Some(revision.commit.to_string()))
    };

    // The branch is the unversioned build; tags from --versions and the
    // config's previousVersions are versions beside it.
    let (_, tags) = lock(&git).refs();
    let mut versions: Vec<String> = match args.versions.as_deref() {
        Some(rule) => select_versions(rule, &tags)?,
        None => Vec::new(),
    };
    for v in &config.previous_versions {
        if !versions.contains(&v.tag) {
            versions.push(v.tag.clone());
        }
    }
    let mut targets = vec![(String::new(), revision, config, warnings)];
    for tag in versions {
        if tag.contains('/') || tag.is_empty() {
            eprintln!("warning: tag `{tag}` cannot be a version in a library id; skipped");
            continue;
        }
        // A stale tag in previousVersions is reported, not fatal.
        let revision = match lock(&git).resolve(Some(&tag)) {
            Ok(revision) => revision,
            Err(e) => {
                eprintln!("warning: version {tag}: {e}; skipped");
                continue;
            }
        };
        let (config, warnings) = Files::Git(git.clone(), revision.clone()).config();
        targets.push((tag, revision, config, warnings));
    }
    for (version, revision, config, warnings) in targets {
        if already(&version, &revision)? {
            outcome.unchanged += 1;
            continue;
        }
        let files = Files::Git(git.clone(), revision.clone());
        build(
            context,
            &args,
            &library,
            &config,
            &warnings,
            &files,
            &version,
            Some(&revision),
        )?;
        outcome.built.push((version, revision.commit.to_string()));
    }
    Ok(outcome)
}

/// The README at the root of `revision`: its file name and text.
fn readme_of(git: &GitSource, revision: &Revision) -> Option<(String, String)> {
    let commit = git.repo.find_commit(revision.commit).ok()?;
    let tree = commit.tree().ok()?;
    let mut names: Vec<String> = tree
        .iter()
        .filter_map(|e| e.name().ok().map(str::to_owned))
        .filter(|n| n.to_ascii_lowercase().starts_with("readme"))
        .collect();
    names.sort();
    let name = names.into_iter().next()?;
    let text = String::from_utf8(git.read(revision, &name)?).ok()?;
    Some((name, text))
}

/// Tags selected by `rule`: `semver:<requirement>` (tags read as versions,
/// a leading `v` allowed) or a comma-separated list of tag names.
fn select_versions(rule: &str, tags: &[String]) -> anyhow::Result<Vec<String>> {
    if let Some(req) = rule.strip_prefix("semver:") {
        let req = semver::VersionReq::parse(req.trim())
            .map_err(|e| anyhow::anyhow!("--versions {rule}: not a semver requirement: {e}"))?;
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
    let unknown: Vec<&String> = wanted.iter().filter(|t| !tags.contains(t)).collect();
    if !unknown.is_empty() {
        let names: Vec<&str> = unknown.iter().map(|t| t.as_str()).collect();
        anyhow::bail!(
            "no tag named {}; tags: {}",
            names.join(", "),
            if tags.is_empty() {
                "(none)".to_owned()
            } else {
                tags.join(", ")
            }
        );
    }
    Ok(wanted)
}

fn library_meta(
    args: &IndexArgs,
    config: &LibraryConfig,
    identity: LibraryIdentity,
    source: &str,
) -> anyhow::Result<LibraryMeta> {
    // Command-line flags win over the config file, which wins over what the
    // repository itself suggests (remote, README).
    let id = match &args.id {
        Some(id) => normalize_library_id(id).map_err(anyhow::Error::msg)?,
        None => config.id.clone().unwrap_or(identity.id.clone()),
    };
    Ok(LibraryMeta {
        id,
        title: args
            .title
            .clone()
            .or(config.title.clone())
            .unwrap_or(identity.title),
        description: args
            .description
            .clone()
            .or(config.description.clone())
            .unwrap_or(identity.description),
        source: source.to_owned(),
        rules: config.rules.clone(),
        aliases: config.aliases.clone(),
        git_ref: args.git_ref.clone(),
        version_rule: args.versions.clone(),
    })
}

/// Crawls, parses, chunks, embeds and writes one build (one version).
#[allow(clippy::too_many_arguments)]
fn build(
    context: &Context,
    args: &IndexArgs,
    library: &LibraryMeta,
    config: &LibraryConfig,
    warnings: &[String],
    files: &Files,
    version: &str,
    revision: Option<&Revision>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
    let id = &library.id;
    let label = match (version, revision) {
        ("", Some(r)) => format!("{id} ({} @ {})", r.label, short_id(r)),
        ("", None) => id.clone(),
        (v, Some(r)) => format!("{id}/{v} ({})", short_id(r)),
        (v, None) => format!("{id}/{v}"),
    };
    let embedder: Option<BertEmbedder> = if args.no_vectors {
        None
    } else {
        let files = locate_model(context.model.as_deref(), &context.data.models_dir())?;
        let mut embedder = BertEmbedder::load(&files)?;
        embedder.set_batch_memory(args.batch_memory.saturating_mul(1 << 20));
        Some(embedder)
    };

    let options = CrawlOptions {
        max_file_size: args.max_file_size,
        include_tests: args.include_tests,
        filter: PathFilter::new(config),
    };
    let mut crawl = files.crawl(&options)?;
    apply_file_limit(&mut crawl, args.max_files);
    eprintln!(
        "{label}: {} documentation files, {} skipped",
        crawl.files.len(),
        crawl.skipped.len()
    );

    // Files unchanged since the last build of this version keep their
    // chunks (and token counts); files that inline others are parsed again.
    let doc_hashes: Vec<String> = crawl.files.iter().map(document_hash).collect();
    let reusable = {
        let catalog = context.data.catalog()?;
        match catalog.ready_build(&library.id, version)? {
            Some(previous) => {
                let refs: Vec<&str> = crawl
                    .files
                    .iter()
                    .zip(&doc_hashes)
                    .filter(|(f, _)| !f.text.contains("include_str!"))
                    .map(|(_, h)| h.as_str())
                    .collect();
                catalog.reusable_documents(previous.build_id, &refs)?
            }
            None => Default::default(),
        }
    };

    // Parse and chunk in parallel; a parser panic skips that file only.
    let limits = ChunkLimits::default();
    let results: Vec<Result<Prepared, (String, String)>> = crawl
        .files
        .par_iter()
        .zip(&doc_hashes)
        .map(|(file, hash)| {
            if let Some(reused) = reusable.get(hash) {
                return Ok(Prepared {
                    path: file.path.clone(),
                    title: reused.title.clone(),
                    hash: hash.clone(),
                    chunks: reused.chunks.iter().map(|c| c.chunk.clone()).collect(),
                    known_tokens: Some(reused.chunks.iter().map(|c| c.tokens).collect()),
                });
            }
            let include = |name: &str| files.include(&file.path, name);
            let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                parse_document(&file.text, &file.path, file.format, &include)
            }));
            match parsed {
                Ok(Ok(doc)) => Ok(Prepared {
                    path: file.path.clone(),
                    title: doc.title.clone(),
                    hash: hash.clone(),
                    chunks: chunk_document(&doc, limits),
                    known_tokens: None,
                }),
                Ok(Err(e)) => Err((file.path.clone(), e.to_string())),
                Err(_) => Err((file.path.clone(), "parser failed on this file".to_owned())),
            }
        })
        .collect();
    let mut prepared = Vec::new();
    let mut failed = Vec::new();
    for r in results {
        match r {
            Ok(p) => prepared.push(p),
            Err(f) => failed.push(f),
        }
    }
    for (path, why) in &failed {
        eprintln!("warning: {path}: {why}; skipped");
    }
    let (over_files, over_chunks) = apply_chunk_limit(&mut prepared, args.max_chunks);
    if over_files > 0 {
        eprintln!(
            "warning: {label}: over the chunk limit of {}; {over_files} files ({over_chunks} chunks) left out, \
             code before prose (raise it with --max-chunks)",
            args.max_chunks
        );
    }

    // Embed every chunk, reusing vectors cached by content hash.
    let all: Vec<(usize, usize)> = prepared
        .iter()
        .enumerate()
        .flat_map(|(d, p)| (0..p.chunks.len()).map(move |c| (d, c)))
        .collect();
    let texts: Vec<String> = all
        .iter()
        .map(|&(d, c)| embedding_text(&prepared[d].chunks[c]))
        .collect();
    let hashes: Vec<String> = texts
        .iter()
        .map(|t| hex(&Sha256::digest(t.as_bytes())[..16]))
        .collect();
    let tokens: Vec<u32> = all
        .par_iter()
        .zip(&texts)
        .map(
            |(&(d, c), text)| match (&prepared[d].known_tokens, &embedder) {
                (Some(known), _) => known[c],
                (None, Some(e)) => e.count_tokens(text) as u32,
                (None, None) => (text.len() as u32).div_ceil(4),
            },
        )
        .collect();
    let files_reused = prepared.iter().filter(|p| p.known_tokens.is_some()).count();
    let model = embedder
        .as_ref()
        .map(|e| (e.fingerprint().to_owned(), e.dimensions()));
    let source_rev = revision.map(|r| r.commit.to_string());
    // A write that fails (disk full, permissions) leaves the previous
    // build in place; say so with the cause.
    let failed_write = |e: crate::index::IndexError| {
        anyhow::Error::new(e).context(format!(
            "writing the index of {label} failed (is the disk full or the data dir not writable?); \
             the previous index is unchanged and still served"
        ))
    };
    let mut writer = IndexWriter::begin(
        &context.data,
        library.clone(),
        version,
        source_rev.as_deref(),
        model.as_ref().map(|(f, d)| (f.as_str(), *d)),
    )
    .map_err(failed_write)?;
    let mut vectors: Vec<Option<Vec<f32>>> = vec![None; texts.len()];
    let mut embedded = 0usize;
    if let Some(embedder) = &embedder {
        let fingerprint = embedder.fingerprint().to_owned();
        let hash_refs: Vec<&str> = hashes.iter().map(String::as_str).collect();
        vectors = writer
            .cached_embeddings(&fingerprint, &hash_refs)
            .map_err(failed_write)?;
        let missing: Vec<usize> = (0..texts.len()).filter(|&i| vectors[i].is_none()).collect();
        let bar = ProgressBar::new(missing.len() as u64).with_style(
            ProgressStyle::with_template(
                "embedding {bar:30} {pos}/{len} chunks, {per_sec}, ETA {eta}",
            )
            .expect("valid template"),
        );
        // Group similar lengths so batches pad little.
        let mut by_length = missing.clone();
        by_length.sort_by_key(|&i| tokens[i]);
        for batch in by_length.chunks(args.batch.max(1)) {
            let refs: Vec<&str> = batch.iter().map(|&i| texts[i].as_str()).collect();
            let out = embedder.embed_passages(&refs)?;
            for (&i, v) in batch.iter().zip(out) {
                writer
                    .cache_embedding(&fingerprint, &hashes[i], &v)
                    .map_err(failed_write)?;
                vectors[i] = Some(v);
            }
            bar.inc(batch.len() as u64);
        }
        bar.finish_and_clear();
        embedded = missing.len();
    }

    let mut k = 0;
    for doc in &prepared {
        let title = doc.title.clone().unwrap_or_default();
        let document_id = writer
            .add_document(&doc.path, doc.title.as_deref(), &doc.hash)
            .map_err(failed_write)?;
        for chunk in &doc.chunks {
            writer
                .add_chunk(
                    document_id,
                    &doc.path,
                    &title,
                    chunk,
                    tokens[k],
                    &hashes[k],
                    vectors[k].as_deref(),
                )
                .map_err(failed_write)?;
            k += 1;
        }
    }
    let stats = writer.commit().map_err(failed_write)?;
    let reused = texts.len() - embedded;
    println!(
        "indexed {label}: {} files ({} unchanged, {} parsed), {} chunks ({} embedded, {} reused), {} KiB, in {:.1}s",
        stats.files,
        files_reused,
        prepared.len() - files_reused,
        stats.chunks,
        embedded,
        if embedder.is_some() { reused } else { 0 },
        stats.bytes.div_ceil(1024),
        started.elapsed().as_secs_f64()
    );
    let summary = crawl.skip_summary();
    if !summary.is_empty() || !failed.is_empty() || over_files > 0 {
        let mut parts: Vec<String> = summary
            .iter()
            .map(|(why, n)| format!("{n} {why}"))
            .collect();
        if !failed.is_empty() {
            parts.push(format!("{} failed to parse", failed.len()));
        }
        if over_files > 0 {
            parts.push(format!("{over_files} over the chunk limit"));
        }
        println!("skipped: {}", parts.join(", "));
    }
    Ok(())
}

fn short_id(revision: &Revision) -> String {
    revision.commit.to_string()[..12].to_owned()
}
