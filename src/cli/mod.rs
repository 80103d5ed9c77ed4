//! Command-line interface: clap definitions and one function per subcommand.

mod deps;
mod index;
mod keys;
mod library;
mod model;
mod report;
mod serve;
mod snapshot;
mod sync;
mod update;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::embed::Precision;
use crate::index::DataDir;
use crate::search::{Fusion, default_data_dir};

#[derive(Parser)]
#[command(
    name = "twinmcp",
    version,
    about = "Offline documentation search for coding assistants, over MCP"
)]
pub struct Cli {
    /// Where indexes and models live [default: the platform data dir, e.g. ~/.local/share/twinmcp]
    #[arg(long, global = true, env = "TWINMCP_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Embedding model directory (safetensors + tokenizer.json + config.json)
    #[arg(long, global = true, env = "TWINMCP_MODEL", value_name = "DIR")]
    pub model: Option<PathBuf>,
    /// Arithmetic of the embedding model: auto uses 8-bit weights for
    /// queries where the CPU has AVX2 and FMA, and bfloat16 for passages
    /// where it has AVX-512 BF16 (else f32); bf16 needs AVX-512 BF16 (f32
    /// elsewhere)
    #[arg(long, global = true, env = "TWINMCP_PRECISION", value_enum, default_value_t = Precision::Auto)]
    pub precision: Precision,
    /// More logging on stderr (-v info, -vv debug); TWINMCP_LOG overrides
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Index a documentation folder or local git repository
    Index(index::IndexArgs),
    /// Index the docs of the dependencies a project locks, found on this machine
    Deps(deps::DepsArgs),
    /// List indexed libraries
    List(library::ListArgs),
    /// Search one library's docs from the command line
    Search(library::SearchArgs),
    /// Serve the MCP tools over stdio, or over HTTP with --http
    Serve(serve::ServeArgs),
    /// Remove an indexed library
    Remove(library::RemoveArgs),
    /// Fetch the git repositories of indexed libraries and index what changed
    Update(update::UpdateArgs),
    /// Make the indexed libraries exactly those of a manifest (twinmcp.toml)
    Sync(sync::SyncArgs),
    /// Manage the embedding model
    #[command(subcommand)]
    Model(model::ModelCommand),
    /// Manage API keys for the HTTP server
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Export indexes to one file, import them elsewhere, inspect a file
    #[command(subcommand)]
    Snapshot(snapshot::SnapshotCommand),
}

/// How hybrid search fuses its two rankings (for tuning and evaluation).
#[derive(Args, Clone, Copy)]
pub struct RankingArgs {
    /// Fusion of the BM25 and vector rankings in hybrid mode
    #[arg(long, value_enum, env = "TWINMCP_FUSION", default_value_t = FusionKind::Weighted)]
    fusion: FusionKind,
    /// Reciprocal rank fusion constant k
    #[arg(long, env = "TWINMCP_RRF_K", default_value_t = 60.0)]
    rrf_k: f32,
    /// Weight of the vector ranking in reciprocal rank fusion
    #[arg(long, env = "TWINMCP_VECTOR_WEIGHT", default_value_t = 1.0)]
    vector_weight: f32,
    /// Share of the cosine score in weighted fusion, the cosines stretched
    /// over the candidates (the best 1, the last 0)
    #[arg(long, env = "TWINMCP_ALPHA", default_value_t = crate::search::ALPHA)]
    alpha: f32,
    /// Scale of the bonus for sections documenting an API the query names (0 turns it off)
    #[arg(long, env = "TWINMCP_NAME_BONUS", default_value_t = 1.0)]
    pub name_bonus: f32,
    /// Weight of API-reference sections extracted from source code in answers to
    /// questions that name no API (1 treats them like prose docs)
    #[arg(long, env = "TWINMCP_CODE_WEIGHT", default_value_t = 0.8)]
    pub code_weight: f32,
    /// Weight of sections about documented items that are not public API
    /// (`pub(crate)`, private), so that public items come first
    #[arg(long, env = "TWINMCP_INTERNAL_WEIGHT", default_value_t = 0.8)]
    pub internal_weight: f32,
    /// Exponent of the section-length prior: scores are multiplied by
    /// (tokens / 300)^weight, so that a documented item with its parameters
    /// and examples is not outranked by a short helper (0 turns it off)
    #[arg(long, env = "TWINMCP_LENGTH_WEIGHT", default_value_t = crate::search::LENGTH_WEIGHT)]
    pub length_weight: f32,
    /// The section-length prior's exponent for the API items from source code
    /// in answers to questions that describe a task (no identifier in them
    /// names an item of the library); prose and examples keep --length-weight
    #[arg(long, env = "TWINMCP_TASK_LENGTH_WEIGHT", default_value_t = crate::search::TASK_LENGTH_WEIGHT)]
    pub task_length_weight: f32,
    /// Scale of the re-ranking by API summaries (an item's qualified name and
    /// first paragraph): the gain of a summary's cosine over its section's
    /// counts at this share of the fusion's weight of cosines (0 turns it off)
    #[arg(long, env = "TWINMCP_SUMMARY_WEIGHT", default_value_t = crate::search::SUMMARY_WEIGHT)]
    pub summary_weight: f32,
    /// Weight of the API-item popularity prior: among the candidates that
    /// document source-code items, the one whose name the fewest sections
    /// mention has its score times (1 - weight), the most mentioned keeps
    /// it, log scale between (0 turns it off)
    #[arg(long, env = "TWINMCP_POPULARITY_WEIGHT", default_value_t = crate::search::POPULARITY_WEIGHT)]
    pub popularity_weight: f32,
    /// Weighted fusion's alpha for questions that describe a task: they paste
    /// no message, and no identifier in them names an item of the library
    /// (give it --alpha's value to treat them as other questions)
    #[arg(long, env = "TWINMCP_TASK_ALPHA", default_value_t = crate::search::TASK_ALPHA)]
    pub task_alpha: f32,
    /// Weighted fusion's alpha for a pasted diagnostic (a location such as
    /// `app.py:3:8:`, or a head such as `error[E0277]:`), its cosines as they are
    #[arg(long, env = "TWINMCP_MESSAGE_ALPHA", default_value_t = crate::search::MESSAGE_ALPHA)]
    pub message_alpha: f32,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum FusionKind {
    Rrf,
    Weighted,
}

impl RankingArgs {
    /// Sets `engine`'s ranking weights to these.
    pub fn apply(&self, engine: &mut crate::search::Engine) {
        engine.fusion = self.fusion();
        engine.name_bonus = self.name_bonus;
        engine.code_weight = self.code_weight;
        engine.internal_weight = self.internal_weight;
        engine.length_weight = self.length_weight;
        engine.task_length_weight = self.task_length_weight;
        engine.summary_weight = self.summary_weight;
        engine.popularity_weight = self.popularity_weight;
        engine.task_alpha = Some(self.task_alpha);
        engine.message_alpha = self.message_alpha;
    }

    pub fn fusion(&self) -> Fusion {
        match self.fusion {
            FusionKind::Rrf => Fusion::Rrf {
                k: self.rrf_k,
                vector_weight: self.vector_weight,
            },
            FusionKind::Weighted => Fusion::Weighted {
                alpha: self.alpha,
                stretch: true,
            },
        }
    }
}

/// Global settings every subcommand needs.
#[derive(Clone)]
pub struct Context {
    pub data: DataDir,
    pub model: Option<PathBuf>,
    pub precision: Precision,
}

impl Context {
    /// What the indexing pipeline writes to.
    pub fn workspace(&self) -> crate::pipeline::Workspace {
        crate::pipeline::Workspace {
            data: self.data.clone(),
            model: self.model.clone(),
            precision: self.precision,
        }
    }
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    let root = cli.data_dir.clone().unwrap_or_else(default_data_dir);
    if !cli.precision.available() {
        tracing::warn!("--precision bf16 needs a CPU with AVX-512 BF16; this one computes in f32");
    }
    let context = Context {
        data: DataDir::open(&root)?,
        model: cli.model.clone(),
        precision: cli.precision,
    };
    match cli.command {
        Command::Index(args) => index::run(&context, args),
        Command::Deps(args) => deps::run(&context, args),
        Command::List(args) => library::list(&context, args),
        Command::Search(args) => library::search(&context, args),
        Command::Serve(args) => serve::run(&context, args),
        Command::Remove(args) => library::remove(&context, args),
        Command::Update(args) => update::run(&context, args),
        Command::Sync(args) => sync::run(&context, args),
        Command::Model(cmd) => model::run(&context, cmd),
        Command::Keys(cmd) => keys::run(&context, cmd),
        Command::Snapshot(cmd) => snapshot::run(&context, cmd),
    }
}
