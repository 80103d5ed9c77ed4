//! `twinmcp index`: crawl, parse, chunk, embed and write one library.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::Context;
use crate::chunk::{Chunk, ChunkLimits, chunk_document};
use crate::embed::{BertEmbedder, Embedder, locate_model};
use crate::index::{BREADCRUMB_SEPARATOR, IndexWriter, LibraryMeta};
use crate::parse::parse_document;
use crate::source::{
    CrawlOptions, PathFilter, crawl_folder, identify_library, load_config, normalize_library_id,
};

#[derive(Args)]
pub struct IndexArgs {
    /// A documentation folder or local git repository
    path: PathBuf,
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
}

/// A parsed file ready to be written.
struct Prepared {
    path: String,
    title: Option<String>,
    hash: String,
    chunks: Vec<Chunk>,
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
    let lower = name.to_ascii_lowercase();
    if [".md", ".mdx", ".markdown", ".rst"]
        .iter()
        .any(|e| lower.ends_with(e))
    {
        return None;
    }
    let dir = root.join(from).parent()?.to_owned();
    let path = dir.join(name).canonicalize().ok()?;
    if !path.starts_with(root) || std::fs::metadata(&path).ok()?.len() > MAX_INCLUDE_BYTES {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

/// The text the model sees for a chunk: its breadcrumb, then its text.
fn embedding_text(chunk: &Chunk) -> String {
    format!(
        "{}\n{}",
        chunk.breadcrumb.join(BREADCRUMB_SEPARATOR),
        chunk.text
    )
}

pub fn run(context: &Context, args: IndexArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let root = args
        .path
        .canonicalize()
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.path.display()))?;
    let identity = identify_library(&root);
    let (config, warnings) = load_config(&root);
    for warning in &warnings {
        eprintln!("warning: {warning}");
    }
    // Command-line flags win over the config file, which wins over what the
    // repository itself suggests (remote, README).
    let id = match &args.id {
        Some(id) => normalize_library_id(id).map_err(anyhow::Error::msg)?,
        None => config.id.clone().unwrap_or(identity.id.clone()),
    };
    let library = LibraryMeta {
        id: id.clone(),
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
        source: identity
            .remote
            .unwrap_or_else(|| root.display().to_string()),
        rules: config.rules.clone(),
        aliases: config.aliases.clone(),
    };

    let embedder: Option<BertEmbedder> = if args.no_vectors {
        None
    } else {
        let files = locate_model(context.model.as_deref(), &context.data.models_dir())?;
        Some(BertEmbedder::load(&files)?)
    };

    let options = CrawlOptions {
        max_file_size: args.max_file_size,
        include_tests: args.include_tests,
        filter: PathFilter::new(&config),
    };
    let crawl = crawl_folder(&root, &options)?;
    eprintln!(
        "{id}: {} documentation files, {} skipped",
        crawl.files.len(),
        crawl.skipped.len()
    );

    // Parse and chunk in parallel; a parser panic skips that file only.
    let limits = ChunkLimits::default();
    let results: Vec<Result<Prepared, (String, String)>> = crawl
        .files
        .par_iter()
        .map(|file| {
            let include = |name: &str| read_include(&root, &file.path, name);
            let parsed = std::panic::catch_unwind(|| {
                parse_document(&file.text, &file.path, file.format, &include)
            });
            match parsed {
                Ok(Ok(doc)) => Ok(Prepared {
                    path: file.path.clone(),
                    title: doc.title.clone(),
                    hash: hex(&Sha256::digest(file.text.as_bytes())),
                    chunks: chunk_document(&doc, limits),
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
    let tokens: Vec<u32> = match &embedder {
        Some(e) => texts.par_iter().map(|t| e.count_tokens(t) as u32).collect(),
        None => texts.iter().map(|t| (t.len() as u32).div_ceil(4)).collect(),
    };
    let model = embedder
        .as_ref()
        .map(|e| (e.fingerprint().to_owned(), e.dimensions()));
    let mut writer = IndexWriter::begin(
        &context.data,
        library,
        "",
        None,
        model.as_ref().map(|(f, d)| (f.as_str(), *d)),
    )?;
    let mut vectors: Vec<Option<Vec<f32>>> = vec![None; texts.len()];
    let mut embedded = 0usize;
    if let Some(embedder) = &embedder {
        let fingerprint = embedder.fingerprint().to_owned();
        let hash_refs: Vec<&str> = hashes.iter().map(String::as_str).collect();
        vectors = writer.cached_embeddings(&fingerprint, &hash_refs)?;
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
                writer.cache_embedding(&fingerprint, &hashes[i], &v)?;
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
        let document_id = writer.add_document(&doc.path, doc.title.as_deref(), &doc.hash)?;
        for chunk in &doc.chunks {
            writer.add_chunk(
                document_id,
                &doc.path,
                &title,
                chunk,
                tokens[k],
                &hashes[k],
                vectors[k].as_deref(),
            )?;
            k += 1;
        }
    }
    let stats = writer.commit()?;
    let reused = texts.len() - embedded;
    println!(
        "indexed {id}: {} files, {} chunks ({} embedded, {} reused), {} KiB, in {:.1}s",
        stats.files,
        stats.chunks,
        embedded,
        if embedder.is_some() { reused } else { 0 },
        stats.bytes.div_ceil(1024),
        started.elapsed().as_secs_f64()
    );
    let summary = crawl.skip_summary();
    if !summary.is_empty() || !failed.is_empty() {
        let mut parts: Vec<String> = summary
            .iter()
            .map(|(why, n)| format!("{n} {why}"))
            .collect();
        if !failed.is_empty() {
            parts.push(format!("{} failed to parse", failed.len()));
        }
        println!("skipped: {}", parts.join(", "));
    }
    Ok(())
}
