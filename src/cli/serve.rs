//! `twinmcp serve`: MCP over stdio.

use std::sync::Arc;

use clap::Args;

use super::Context;
use crate::search::{Engine, ModelSlot};

#[derive(Args)]
pub struct ServeArgs {}

pub fn run(context: &Context, _args: ServeArgs) -> anyhow::Result<()> {
    let slot = ModelSlot::new(context.model.clone(), context.data.models_dir());
    let engine = Arc::new(Engine::open(&context.data, slot)?);
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
