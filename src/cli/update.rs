//! `twinmcp update`: brings libraries indexed from git up to date — new
//! commits on their branch, new tags matching their version rule — with the
//! options each was indexed with, and reports what changed. Versions whose
//! commit is already indexed are left alone, so running it from cron costs
//! a fetch when nothing changed. `serve --refresh` runs the same update in
//! the background ([`crate::pipeline::refresh_forever`]).

use std::time::Duration;

use clap::Args;
use serde_json::json;

use super::Context;
use super::report::{print_json, sink};
use crate::index::Library;
use crate::pipeline::update_library;

#[derive(Args)]
pub struct UpdateArgs {
    /// Libraries to update [default: every library indexed from a git repository]
    ids: Vec<String>,
    /// Report progress and results as JSON lines on stdout
    #[arg(long)]
    json: bool,
}

pub fn run(context: &Context, args: UpdateArgs) -> anyhow::Result<()> {
    let libraries = context.data.catalog()?.libraries()?;
    let selected: Vec<&Library> = if args.ids.is_empty() {
        libraries.iter().collect()
    } else {
        let mut out = Vec::new();
        for id in &args.ids {
            let id = id.trim().trim_end_matches('/');
            match libraries.iter().find(|l| l.id.eq_ignore_ascii_case(id)) {
                Some(lib) => out.push(lib),
                None => anyhow::bail!(
                    "unknown library `{id}`; indexed: {}",
                    libraries
                        .iter()
                        .map(|l| l.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        }
        out
    };
    let workspace = context.workspace();
    let events = sink(args.json);
    let mut failed = 0;
    for lib in selected {
        let (state, message) = match update_library(&workspace, lib, events.as_ref()) {
            Ok(Some(summary)) => ("done", summary),
            Ok(None) => (
                "skipped",
                "indexed from a folder, not a git repository; skipped".to_owned(),
            ),
            Err(e) => {
                failed += 1;
                ("failed", format!("update failed: {e}"))
            }
        };
        if args.json {
            print_json(&json!({
                "event": "updated", "library": lib.id, "state": state, "summary": message,
            }));
        } else {
            println!("{}: {message}", lib.id);
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} libraries could not be updated");
    }
    Ok(())
}

/// `90s`, `30m`, `6h`, `1d`, `1h 30m` (humantime's units).
pub fn parse_interval(s: &str) -> Result<Duration, String> {
    let every = humantime::parse_duration(s.trim()).map_err(|_| {
        format!(
            "`{}` is not an interval such as 90s, 30m, 6h or 1d",
            s.trim()
        )
    })?;
    if every.is_zero() {
        return Err("the refresh interval must be positive".into());
    }
    Ok(every)
}
