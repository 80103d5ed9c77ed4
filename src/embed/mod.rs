//! Sentence embeddings: the [`Embedder`] trait and its candle BERT model.

mod bert;
mod model;
mod native;

use std::path::PathBuf;

pub use bert::{BertEmbedder, DEFAULT_BATCH_MEMORY, Engine};
pub use model::{
    Manifest, fetch_model, fingerprint_dimensions, install_model, list_models, locate_model,
};

#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error(
        "no embedding model found (looked in {looked_in}); run `twinmcp model fetch`, \
         or copy the model files to this machine and run `twinmcp model install <dir>`, or pass --model <dir>"
    )]
    NotInstalled { looked_in: PathBuf },
    #[error(
        "{path}: checksum mismatch (expected sha256 {expected}, found {actual}); the file is corrupt or truncated: reinstall the model"
    )]
    Checksum {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Config { path: PathBuf, message: String },
    #[error("model fetch failed: {0}")]
    Fetch(String),
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error("model: {0}")]
    Model(#[from] candle_core::Error),
}

/// Turns text into unit-length vectors.
pub trait Embedder: Send + Sync {
    /// `name:weights-sha:dimensions`, recorded with each build.
    fn fingerprint(&self) -> &str;
    fn dimensions(&self) -> usize;
    /// Embeds passages (chunks) for the index.
    fn embed_passages(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError>;
    /// Embeds one search query.
    fn embed_query(&self, text: &str) -> Result<Vec<f32>, EmbedError>;
    /// Embeds several queries at once (a server's concurrent requests):
    /// the same vectors as one [`Embedder::embed_query`] each, in one pass.
    fn embed_queries(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        texts.iter().map(|t| self.embed_query(t)).collect()
    }
    /// Number of model tokens in `text`, without truncation.
    fn count_tokens(&self, text: &str) -> usize;
}
