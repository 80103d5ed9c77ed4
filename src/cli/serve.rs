//! `twinmcp serve`: MCP over stdio.

use std::sync::Arc;

use clap::Args;

use super::{Context, RankingArgs};
use crate::search::{Engine, Mode, ModelSlot};

#[derive(Args)]
pub struct ServeArgs {
    /// Retrievers behind query-docs (for evaluation; hybrid is best)
    #[arg(long, value_enum, env = "TWINMCP_MODE", default_value_t = Mode::Hybrid)]
    mode: Mode,
    #[command(flatten)]
    ranking: RankingArgs,
}

pub fn run(context: &Context, args: ServeArgs) -> anyhow::Result<()> {
    let slot = ModelSlot::new(context.model.clone(), context.data.models_dir());
    let mut engine = Engine::open(&context.data, slot)?;
    engine.mode = args.mode;
    engine.fusion = args.ranking.fusion();
    engine.name_bonus = args.ranking.name_bonus;
    engine.code_weight = args.ranking.code_weight;
    let engine = Arc::new(engine);
    // Load the model before the first query so that query pays no start-up cost.
    let warm = engine.clone();
    std::thread::spawn(move || {
        let _ = warm.model().get();
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(crate::mcp::serve_stdio(engine))
}
