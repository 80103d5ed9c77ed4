//! `twinmcp list`, `search` and `remove`.

use clap::Args;

use super::{Context, RankingArgs};
use crate::mcp::format::{answer_structured, render_answer};
use crate::search::{Engine, Mode, ModelSlot, assemble_answer, display_version, split_library_id};

#[derive(Args)]
pub struct ListArgs {
    /// Print JSON instead of a table
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct SearchArgs {
    /// Library ID, e.g. /org/project or /org/project/v1.2.0
    library: String,
    /// The question
    query: String,
    /// Retrievers to use
    #[arg(long, value_enum, default_value_t = Mode::Hybrid)]
    mode: Mode,
    /// Token budget of the answer
    #[arg(long, default_value_t = crate::mcp::DEFAULT_TOKENS)]
    tokens: u32,
    /// Print the structured result as JSON
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    ranking: RankingArgs,
}

#[derive(Args)]
pub struct RemoveArgs {
    /// Library ID to remove, e.g. /org/project
    library: String,
}

fn human_size(bytes: i64) -> String {
    let mut size = bytes as f64;
    for unit in ["B", "KiB", "MiB", "GiB"] {
        if size < 1024.0 {
            return format!("{size:.1} {unit}");
        }
        size /= 1024.0;
    }
    format!("{size:.1} TiB")
}

pub fn list(context: &Context, args: ListArgs) -> anyhow::Result<()> {
    let catalog = context.data.catalog()?;
    let libraries = catalog.libraries()?;
    let jobs = catalog.jobs()?;
    let job_of = |id: &str| jobs.iter().find(|j| j.library == id);
    if args.json {
        let rows: Vec<serde_json::Value> = libraries
            .iter()
            .map(|l| {
                serde_json::json!({
                    "id": l.id,
                    "title": l.title,
                    "description": l.description,
                    "source": l.source,
                    "options": l.options,
                    "last_update": job_of(&l.id).map(|j| serde_json::json!({
                        "state": j.state,
                        "started_at": j.started_at,
                        "finished_at": j.finished_at,
                        "result": j.result,
                    })),
                    "versions": l.versions.iter().map(|v| serde_json::json!({
                        "version": display_version(&v.name),
                        "files": v.files,
                        "chunks": v.chunks,
                        "bytes": v.bytes,
                        "model": v.model,
                        "commit": v.source_rev,
                        "indexed_at": v.created_at,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    if libraries.is_empty() {
        println!(
            "No libraries indexed in {}. Add one with `twinmcp index <path>`.",
            context.data.root().display()
        );
        return Ok(());
    }
    println!(
        "{:<32} {:<24} {:<12} {:>8} {:>11}",
        "ID", "TITLE", "VERSIONS", "CHUNKS", "SIZE"
    );
    for lib in libraries {
        let versions: Vec<String> = lib
            .versions
            .iter()
            .map(|v| display_version(&v.name))
            .collect();
        let chunks: i64 = lib.versions.iter().map(|v| v.chunks).sum();
        let bytes: i64 = lib.versions.iter().map(|v| v.bytes).sum();
        let title: String = lib.title.chars().take(24).collect();
        println!(
            "{:<32} {:<24} {:<12} {:>8} {:>11}",
            lib.id,
            title,
            versions.join(","),
            chunks,
            human_size(bytes)
        );
        if let Some(job) = job_of(&lib.id) {
            println!("    last update: {} ({})", job.result, job.state);
        }
    }
    Ok(())
}

pub fn search(context: &Context, args: SearchArgs) -> anyhow::Result<()> {
    let slot = ModelSlot::new(context.model.clone(), context.data.models_dir())
        .with_precision(context.precision);
    let mut engine = Engine::open(&context.data, slot)?;
    args.ranking.apply(&mut engine);
    let ranked = engine.search(&args.library, &args.query, args.mode, 40)?;
    let answer = assemble_answer(ranked.hits, args.tokens, 20);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&answer_structured(
                &ranked.library,
                &ranked.version,
                &ranked.rules,
                &answer
            ))?
        );
    } else {
        print!(
            "{}",
            render_answer(
                &answer,
                &ranked.library,
                &ranked.rules,
                args.tokens,
                ranked.degraded.as_deref()
            )
        );
    }
    Ok(())
}

pub fn remove(context: &Context, args: RemoveArgs) -> anyhow::Result<()> {
    let (id, _) = split_library_id(&args.library);
    let _lock = context.data.lock_for_writing()?;
    let removed = context.data.catalog()?.remove_library(&id)?;
    if removed.is_empty() {
        anyhow::bail!("no library `{id}` is indexed; `twinmcp list` shows what is");
    }
    context.data.remove_build_files(&removed);
    println!(
        "removed {id} ({} build{})",
        removed.len(),
        if removed.len() == 1 { "" } else { "s" }
    );
    Ok(())
}
