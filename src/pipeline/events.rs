//! What an indexing run reports while it works and when it is done, as
//! values: the caller chooses where they go (progress bars and a report on a
//! terminal, JSON lines, tracing lines on stderr in `serve`). Nothing here
//! writes to stdout.

use serde::Serialize;

/// One thing an indexing run has to say.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum IndexEvent {
    /// Something was wrong but the run goes on (a bad config field, a
    /// stale tag, a file that did not parse).
    Warning { message: String },
    /// The files of one build were found.
    Crawled {
        label: String,
        files: usize,
        skipped: usize,
    },
    /// Embedding of `total` texts started: the chunks and API summaries
    /// whose vectors are not cached.
    EmbeddingStarted { label: String, total: usize },
    /// `done` of `total` texts are embedded.
    Embedded {
        label: String,
        done: usize,
        total: usize,
    },
    /// One build was written and is served from now on.
    Built(BuildReport),
    /// A version whose commit is already indexed was left alone.
    Unchanged { label: String },
}

/// What one build holds and how it was made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BuildReport {
    /// `/org/project (branch @ commit)`, `/org/project/v1 (commit)`.
    pub label: String,
    pub library: String,
    /// Empty for the unversioned default.
    pub version: String,
    pub commit: Option<String>,
    pub files: i64,
    /// Files whose chunks were reused from the previous build.
    pub files_unchanged: usize,
    pub files_parsed: usize,
    pub chunks: i64,
    pub embedded: usize,
    /// Chunks whose vectors came from the embedding cache.
    pub reused: usize,
    pub bytes: u64,
    pub seconds: f64,
    /// Files left out, by reason, with their count.
    pub skipped: Vec<(String, usize)>,
}

/// Where events go. Called from the indexing thread only, in order.
pub trait EventSink: Send + Sync {
    fn event(&self, event: IndexEvent);
}

/// Events as tracing lines on stderr (`serve --refresh`): builds and
/// warnings at info and warn, progress at debug.
pub struct TracingSink;

impl EventSink for TracingSink {
    fn event(&self, event: IndexEvent) {
        match event {
            IndexEvent::Warning { message } => tracing::warn!("{message}"),
            IndexEvent::Crawled {
                label,
                files,
                skipped,
            } => tracing::debug!("{label}: {files} documentation files, {skipped} skipped"),
            IndexEvent::EmbeddingStarted { label, total } => {
                tracing::debug!("{label}: embedding {total} texts (chunks and API summaries)")
            }
            IndexEvent::Embedded { label, done, total } => {
                tracing::debug!("{label}: embedded {done}/{total} texts")
            }
            IndexEvent::Built(report) => tracing::info!(
                "indexed {}: {} files, {} chunks ({} embedded), in {:.1}s",
                report.label,
                report.files,
                report.chunks,
                report.embedded,
                report.seconds
            ),
            IndexEvent::Unchanged { label } => tracing::debug!("{label}: already indexed"),
        }
    }
}

/// Keeps every event (tests, and callers that want the report as data).
#[derive(Default)]
pub struct CollectSink(pub std::sync::Mutex<Vec<IndexEvent>>);

impl EventSink for CollectSink {
    fn event(&self, event: IndexEvent) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(event);
    }
}
