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
    /// Also remove dependency versions (from `twinmcp deps`) that no followed project uses any more
    #[arg(long)]
    prune: bool,
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
    // The projects `deps` follows: their lockfiles are read again.
    if args.ids.is_empty() {
        failed += update_projects(context, args.json)?;
    }
    if args.prune {
        prune(context, args.json)?;
    }
    if failed > 0 {
        anyhow::bail!("{failed} libraries could not be updated");
    }
    Ok(())
}

fn say(json: bool, subject: &str, message: &str) {
    if json {
        print_json(&json!({ "event": "project", "project": subject, "summary": message }));
    } else {
        println!("{subject}: {message}");
    }
}

/// Reads every followed project's lockfiles again and indexes what they
/// now name; returns how many dependencies failed.
fn update_projects(context: &Context, json: bool) -> anyhow::Result<usize> {
    let mut failed = 0;
    for project in context.data.catalog()?.projects()? {
        let dir = std::path::PathBuf::from(&project.path);
        if !dir.is_dir() {
            say(
                json,
                &project.path,
                "the folder is gone; `update --prune` forgets it and its versions",
            );
            continue;
        }
        let (locked, problems) = crate::deps::read_project(&dir);
        if super::deps::lockfiles_hash(&locked, &problems) == project.lockfiles {
            say(json, &project.path, "lockfiles unchanged");
            continue;
        }
        let options: super::deps::DepsOptions =
            serde_json::from_str(&project.options).unwrap_or_default();
        let summary =
            super::deps::sync_project(context, &dir, (locked, problems), &options, false, json)?;
        super::deps::follow(context, &dir, &options, &summary)?;
        failed += summary.failed;
        say(
            json,
            &project.path,
            &format!(
                "{} indexed, {} up to date, {} missing",
                summary.indexed, summary.reused, summary.missing
            ),
        );
    }
    Ok(failed)
}

/// Removes the dependency versions no followed project uses, and the
/// projects whose folder is gone.
fn prune(context: &Context, json: bool) -> anyhow::Result<()> {
    let _lock = context.data.lock_for_writing()?;
    let mut catalog = context.data.catalog()?;
    let mut used = std::collections::HashSet::new();
    for project in catalog.projects()? {
        if std::path::Path::new(&project.path).is_dir() {
            used.extend(project.packages);
        } else {
            catalog.remove_project(&project.path)?;
        }
    }
    let mut stale = Vec::new();
    for lib in catalog.libraries()? {
        for version in &lib.versions {
            let from_deps = version
                .source_rev
                .as_deref()
                .is_some_and(|r| r.starts_with("files:"));
            let name = format!("{}/{}", lib.id, version.name);
            if from_deps && !version.name.is_empty() && !used.contains(&name) {
                say(json, &name, "removed (no followed project uses it)");
                stale.push(version.build_id);
            }
        }
    }
    let removed = catalog.remove_builds(&stale)?;
    context.data.remove_build_files(&removed);
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
