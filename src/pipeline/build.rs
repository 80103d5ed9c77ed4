//! One build: crawl, parse and chunk in parallel, embed in length-sorted
//! batches (reusing cached vectors and the chunks of unchanged files),
//! write, swap in.

use std::time::Instant;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::files::{
    Files, Prepared, apply_chunk_limit, apply_file_limit, document_hash,
    drop_internal_of_libraries, hex,
};
use super::{BuildReport, EventSink, IndexEvent, PipelineError, Workspace};
use crate::chunk::{Chunk, ChunkLimits, chunk_document};
use crate::embed::{BertEmbedder, Embedder, locate_model};
use crate::index::{BREADCRUMB_SEPARATOR, IndexWriter, Library};
use crate::parse::parse_document;
use crate::source::{CrawlOptions, LibraryConfig, PathFilter, Revision, SourceFile};

/// One version of one library to build.
pub(super) struct BuildTarget<'a> {
    /// The library row the build records (its options are stored).
    pub library: &'a Library,
    /// How this build is made (the row's options, except for a package
    /// added to a library indexed otherwise).
    pub options: &'a crate::index::IndexOptions,
    pub config: &'a LibraryConfig,
    /// Problems found in the config file, reported before the build.
    pub warnings: &'a [String],
    pub files: &'a Files,
    /// "" for the unversioned default.
    pub version: &'a str,
    pub revision: Option<&'a Revision>,
    /// What the build records as its source revision: the commit, or for a
    /// folder the caller's fingerprint of its files.
    pub source_rev: Option<String>,
    /// Files that exist only in memory (a package's README kept in its
    /// metadata), indexed beside the crawled ones.
    pub extra: &'a [SourceFile],
}

/// `/org/project (main @ 0123456789ab)`, `/org/project/v1 (0123456789ab)`.
pub(super) fn label(id: &str, version: &str, revision: Option<&Revision>) -> String {
    match (version, revision) {
        ("", Some(r)) => format!("{id} ({} @ {})", r.label, short_id(r)),
        ("", None) => id.to_owned(),
        (v, Some(r)) => format!("{id}/{v} ({})", short_id(r)),
        (v, None) => format!("{id}/{v}"),
    }
}

fn short_id(revision: &Revision) -> String {
    revision.commit.to_string()[..12].to_owned()
}

/// The text the model sees for a chunk: its breadcrumb, then its text.
fn embedding_text(chunk: &Chunk) -> String {
    format!(
        "{}\n{}",
        chunk.breadcrumb.join(BREADCRUMB_SEPARATOR),
        chunk.text
    )
}

/// Crawls, parses, chunks, embeds and writes one build (one version).
pub(super) fn build_version(
    workspace: &Workspace,
    target: &BuildTarget<'_>,
    sink: &dyn EventSink,
) -> Result<BuildReport, PipelineError> {
    let started = Instant::now();
    let data = &workspace.data;
    let library = target.library;
    let options = target.options;
    let version = target.version;
    for warning in target.warnings {
        sink.event(IndexEvent::Warning {
            message: warning.clone(),
        });
    }
    let label = label(&library.id, version, target.revision);
    let embedder: Option<BertEmbedder> = if options.no_vectors {
        None
    } else {
        let files = locate_model(workspace.model.as_deref(), &data.models_dir())?;
        let mut embedder = BertEmbedder::load(&files, workspace.precision)?;
        embedder.set_batch_memory(options.batch_memory_mib.saturating_mul(1 << 20));
        Some(embedder)
    };

    let mut config = target.config.clone();
    config.folders.extend(options.folders.iter().cloned());
    let crawl_options = CrawlOptions {
        max_file_size: options.max_file_size,
        include_tests: options.include_tests,
        filter: PathFilter::new(&config),
    };
    let mut crawl = target.files.crawl(&crawl_options)?;
    for file in target.extra {
        if !crawl.files.iter().any(|f| f.path == file.path) {
            crawl.files.push(file.clone());
        }
    }
    crawl.files.sort_by(|a, b| a.path.cmp(&b.path));
    apply_file_limit(&mut crawl, options.max_files);
    sink.event(IndexEvent::Crawled {
        label: label.clone(),
        files: crawl.files.len(),
        skipped: crawl.skipped.len(),
    });

    // Files unchanged since the last build of this version keep their
    // chunks (and token counts); files that inline others are parsed again.
    let doc_hashes: Vec<String> = crawl.files.iter().map(document_hash).collect();
    let reusable = {
        let catalog = data.catalog()?;
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
    let files = target.files;
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
        sink.event(IndexEvent::Warning {
            message: format!("{path}: {why}; skipped"),
        });
    }
    drop_internal_of_libraries(&mut prepared);
    let (over_files, over_chunks) = apply_chunk_limit(&mut prepared, options.max_chunks);
    if over_files > 0 {
        sink.event(IndexEvent::Warning {
            message: format!(
                "{label}: over the chunk limit of {}; {over_files} files ({over_chunks} chunks) left out, \
                 code before prose (raise it with --max-chunks)",
                options.max_chunks
            ),
        });
    }

    // Embed every chunk, reusing vectors cached by content hash.
    let all: Vec<(usize, usize)> = prepared
        .iter()
        .enumerate()
        .flat_map(|(d, p)| (0..p.chunks.len()).map(move |c| (d, c)))
        .collect();
    let mut texts: Vec<String> = all
        .iter()
        .map(|&(d, c)| embedding_text(&prepared[d].chunks[c]))
        .collect();
    // API sections of source code get a second vector, of their qualified
    // name and first paragraph: the section's own vector is diluted by its
    // parameter lists, and the summary line is what a task's wording
    // paraphrases. Their texts follow the chunks' in one embedding run.
    let chunk_count = texts.len();
    let mut summary_of: Vec<Option<usize>> = vec![None; chunk_count];
    for (i, &(d, c)) in all.iter().enumerate() {
        let chunk = &prepared[d].chunks[c];
        let name = chunk.breadcrumb.join(" ");
        if let Some(summary) =
            crate::chunk::api_summary(&prepared[d].path, &name, &chunk.text, &chunk.code)
        {
            summary_of[i] = Some(texts.len());
            texts.push(summary);
        }
    }
    let hashes: Vec<String> = texts
        .iter()
        .map(|t| hex(&Sha256::digest(t.as_bytes())[..16]))
        .collect();
    // Token counts order the embedding batches (and are stored for chunks);
    // a summary's is estimated.
    let tokens: Vec<u32> = texts
        .par_iter()
        .enumerate()
        .map(|(i, text)| {
            let known = all
                .get(i)
                .and_then(|&(d, c)| prepared[d].known_tokens.as_ref().map(|k| k[c]));
            match (known, &embedder) {
                (Some(n), _) => n,
                (None, Some(e)) if i < chunk_count => e.count_tokens(text) as u32,
                _ => (text.len() as u32).div_ceil(4),
            }
        })
        .collect();
    let files_reused = prepared.iter().filter(|p| p.known_tokens.is_some()).count();
    let model = embedder
        .as_ref()
        .map(|e| (e.fingerprint().to_owned(), e.dimensions()));
    let source_rev = target.source_rev.clone();
    // A write that fails (disk full, permissions) leaves the previous
    // build in place; say so with the cause.
    let failed_write = |source: crate::index::IndexError| PipelineError::Write {
        label: label.clone(),
        source,
    };
    let mut writer = IndexWriter::begin(
        data,
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
        sink.event(IndexEvent::EmbeddingStarted {
            label: label.clone(),
            total: missing.len(),
        });
        // Group similar lengths so batches pad little.
        let mut by_length = missing.clone();
        by_length.sort_by_key(|&i| tokens[i]);
        let mut done = 0;
        for batch in by_length.chunks(options.batch.max(1)) {
            let refs: Vec<&str> = batch.iter().map(|&i| texts[i].as_str()).collect();
            let out = embedder.embed_passages(&refs)?;
            for (&i, v) in batch.iter().zip(out) {
                writer
                    .cache_embedding(&fingerprint, &hashes[i], &v)
                    .map_err(failed_write)?;
                vectors[i] = Some(v);
            }
            done += batch.len();
            sink.event(IndexEvent::Embedded {
                label: label.clone(),
                done,
                total: missing.len(),
            });
        }
        embedded = missing.iter().filter(|&&i| i < chunk_count).count();
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
                    summary_of[k].and_then(|s| vectors[s].as_deref()),
                )
                .map_err(failed_write)?;
            k += 1;
        }
    }
    let stats = writer.commit().map_err(failed_write)?;
    let mut skipped: Vec<(String, usize)> = crawl.skip_summary().into_iter().collect();
    if !failed.is_empty() {
        skipped.push(("failed to parse".to_owned(), failed.len()));
    }
    if over_files > 0 {
        skipped.push(("over the chunk limit".to_owned(), over_files));
    }
    let report = BuildReport {
        label,
        library: library.id.clone(),
        version: version.to_owned(),
        commit: source_rev,
        files: stats.files,
        files_unchanged: files_reused,
        files_parsed: prepared.len() - files_reused,
        chunks: stats.chunks,
        embedded,
        reused: if embedder.is_some() {
            chunk_count - embedded
        } else {
            0
        },
        bytes: stats.bytes,
        seconds: started.elapsed().as_secs_f64(),
        skipped,
    };
    sink.event(IndexEvent::Built(report.clone()));
    Ok(report)
}
