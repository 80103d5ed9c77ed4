//! `twinmcp update`: brings libraries indexed from git up to date — new
//! commits on their branch, new tags matching their version rule — and
//! reports what changed. Versions whose commit is already indexed are left
//! alone, so running it from cron costs a fetch when nothing changed.

use clap::Args;

use super::Context;
use super::index::{self, IndexArgs};
use crate::source::{Location, locate};

#[derive(Args)]
pub struct UpdateArgs {
    /// Libraries to update [default: every library indexed from a git repository]
    ids: Vec<String>,
}

pub fn run(context: &Context, args: UpdateArgs) -> anyhow::Result<()> {
    let libraries = context.data.catalog()?.libraries()?;
    let selected: Vec<_> = if args.ids.is_empty() {
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
        if matches!(locate(&lib.source), Location::Folder(_)) {
            println!(
                "{}: indexed from a folder, not a git repository; skipped",
                lib.id
            );
            continue;
        }
        let index_args = IndexArgs::for_update(
            lib.source.clone(),
            lib.id.clone(),
            lib.git_ref.clone(),
            lib.version_rule.clone(),
        );
        match index::index(context, index_args) {
            Ok(outcome) if outcome.built.is_empty() => {
                println!(
                    "{}: up to date ({} versions checked)",
                    lib.id, outcome.unchanged
                );
            }
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
                println!(
                    "{}: updated {} ({} unchanged)",
                    lib.id,
                    built.join(", "),
                    outcome.unchanged
                );
            }
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
