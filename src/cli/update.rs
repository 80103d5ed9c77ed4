//! `twinmcp update`: brings libraries indexed from git up to date — new
//! commits on their branch, new tags matching their version rule — and
//! reports what changed. Versions whose commit is already indexed are left
//! alone, so running it from cron costs a fetch when nothing changed.
//! `serve --refresh` runs the same update in the background.

use std::time::Duration;

use clap::Args;

use super::Context;
use super::index::{self, IndexArgs};
use crate::index::Library;
use crate::source::{Location, locate};

#[derive(Args)]
pub struct UpdateArgs {
    /// Libraries to update [default: every library indexed from a git repository]
    ids: Vec<String>,
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
    let mut failed = 0;
    for lib in selected {
        match update_library(context, lib) {
            Ok(Some(summary)) => println!("{}: {summary}", lib.id),
            Ok(None) => println!(
                "{}: indexed from a folder, not a git repository; skipped",
                lib.id
            ),
            Err(e) => {
                failed += 1;
                println!("{}: update failed: {e:#}", lib.id);
            }
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} libraries could not be updated");
    }
    Ok(())
}

/// Updates one library from its git source and records the job in the
/// catalog; `None` for libraries indexed from a folder.
pub fn update_library(context: &Context, lib: &Library) -> anyhow::Result<Option<String>> {
    if matches!(locate(&lib.source), Location::Folder(_)) {
        return Ok(None);
    }
    context.data.catalog()?.job_started(&lib.id)?;
    let index_args = IndexArgs::for_update(
        lib.source.clone(),
        lib.id.clone(),
        lib.git_ref.clone(),
        lib.version_rule.clone(),
    );
    let outcome = index::index(context, index_args);
    let (ok, summary) = match &outcome {
        Ok(outcome) if outcome.built.is_empty() => (
            true,
            format!("up to date ({} versions checked)", outcome.unchanged),
        ),
        Ok(outcome) => {
            let built: Vec<String> = outcome
                .built
                .iter()
                .map(|(version, commit)| {
                    let name = if version.is_empty() {
                        "latest"
                    } else {
                        version
                    };
                    format!("{name} @ {}", &commit[..commit.len().min(12)])
                })
                .collect();
            (
                true,
                format!(
                    "updated {} ({} unchanged)",
                    built.join(", "),
                    outcome.unchanged
                ),
            )
        }
        Err(e) => (false, format!("failed: {e:#}")),
    };
    context
        .data
        .catalog()?
        .job_finished(&lib.id, ok, &summary)?;
    outcome.map(|_| Some(summary))
}

/// Updates every git library every `every`, one at a time, until the
/// process ends. Runs on its own thread: queries never wait for it, and see
/// each new build once it is committed.
pub fn refresh_forever(context: Context, every: Duration) {
    loop {
        std::thread::sleep(every);
        let libraries = match context.data.catalog().and_then(|c| c.libraries()) {
            Ok(libraries) => libraries,
            Err(e) => {
                tracing::error!("refresh: cannot read the catalog: {e}");
                continue;
            }
        };
        for lib in &libraries {
            match update_library(&context, lib) {
                Ok(Some(summary)) => tracing::info!("refresh {}: {summary}", lib.id),
                Ok(None) => {}
                Err(e) => tracing::warn!("refresh {}: {e:#}", lib.id),
            }
        }
    }
}

/// `90s`, `30m`, `6h`, `1d`.
pub fn parse_interval(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{s}` is not an interval such as 90s, 30m, 6h or 1d"))?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => {
            return Err(format!(
                "`{s}` is not an interval such as 90s, 30m, 6h or 1d"
            ));
        }
    };
    if secs == 0 {
        return Err("the refresh interval must be positive".into());
    }
    Ok(Duration::from_secs(secs))
}
