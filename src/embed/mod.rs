//! Sentence embeddings: the [`Embedder`] trait and its candle BERT model.

mod bert;
mod bf16;
mod int8;
mod model;
mod native;

use std::path::PathBuf;

pub use bert::{BertEmbedder, DEFAULT_BATCH_MEMORY, Engine};
pub use model::{
    Manifest, fetch_model, fingerprint_dimensions, install_model, list_models, locate_model,
};

/// Arithmetic of the native encoder's dense layers (`--precision`).
///
/// 8-bit weights change vectors by a cosine of at most
/// [`INT8_AGREEMENT`] from f32 (tested), and bfloat16 by less, close enough
/// that vectors of any precision are searched together: the fingerprint
/// does not change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Precision {
    /// f32 everywhere.
    F32,
    /// 8-bit weights for queries and passages.
    Int8,
    /// bfloat16 weights and activations (f32 sums) for queries and
    /// passages, on CPUs with AVX-512 BF16; f32 elsewhere.
    Bf16,
    /// 8-bit weights for queries, where the CPU has AVX2 and FMA (a query's
    /// pass is bound by reading the weights; 8 bits read a quarter as
    /// much); bfloat16 for passages where the CPU has AVX-512 BF16 (they
    /// are bound by arithmetic), else f32.
    #[default]
    Auto,
}

/// The least cosine between a text's reduced-precision (8-bit or bfloat16)
/// and f32 vectors, for which the precisions share one model fingerprint.
pub const INT8_AGREEMENT: f32 = 0.99;

impl Precision {
    /// The reduced-precision weights the encoder keeps.
    fn loads(self) -> Vec<native::Reduced> {
        let mut all: Vec<_> = [self.arithmetic(true), self.arithmetic(false)]
            .into_iter()
            .flatten()
            .collect();
        all.dedup();
        all
    }

    /// The arithmetic of queries (`true`) or passages (`false`); `None`: f32.
    /// `auto` takes 8-bit weights for queries where the CPU has AVX2 and
    /// FMA, and bfloat16 for passages where it has AVX-512 BF16.
    fn arithmetic(self, queries: bool) -> Option<native::Reduced> {
        use native::Reduced;
        match self {
            Precision::F32 => None,
            Precision::Int8 => Some(Reduced::Int8),
            Precision::Bf16 => bf16::has_kernel().then_some(Reduced::Bf16),
            Precision::Auto if queries => int8::has_kernel().then_some(Reduced::Int8),
            Precision::Auto => bf16::has_kernel().then_some(Reduced::Bf16),
        }
    }

    /// Whether this CPU runs `self` as asked (bf16 needs AVX-512 BF16).
    pub fn available(self) -> bool {
        self != Precision::Bf16 || bf16::has_kernel()
    }
}

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
