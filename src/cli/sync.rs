//! `twinmcp sync [twinmcp.toml]`: brings the data dir to exactly the
//! libraries a manifest lists — indexes the missing, updates the changed,
//! removes the unlisted. A second run with nothing changed upstream writes
//! nothing.

use std::path::{Path, PathBuf};

use clap::Args;
use serde::Deserialize;

use super::Context;
use super::report::{print_json, sink};
use crate::index::OptionOverrides;
use crate::pipeline::{IndexRequest, index_library};
use crate::source::{Location, locate, normalize_library_id};

#[derive(Args)]
pub struct SyncArgs {
    /// The manifest
    #[arg(default_value = "twinmcp.toml")]
    manifest: PathBuf,
    /// Show what would change without doing it
    #[arg(long)]
    dry_run: bool,
    /// Report progress and results as JSON lines on stdout
    #[arg(long)]
    json: bool,
}

/// A manifest: `[[library]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    #[serde(default, rename = "library")]
    libraries: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    /// `/org/project`.
    id: String,
    /// A git URL, a local repository or a folder.
    source: String,
    /// Branch, tag or commit.
    #[serde(default, rename = "ref")]
    git_ref: Option<String>,
    /// Tags to index as versions: a list or `semver:<requirement>`.
    #[serde(default)]
    versions: Option<String>,
}

pub fn run(context: &Context, args: SyncArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.manifest)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.manifest.display()))?;
    let manifest: Manifest =
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", args.manifest.display()))?;
    let base = args
        .manifest
        .parent()
        .map(|p| p.to_path_buf())
        .unwrap_or_default();
    let mut wanted = Vec::new();
    for entry in manifest.libraries {
        let id = normalize_library_id(&entry.id)
            .map_err(|e| anyhow::anyhow!("{}: {e}", args.manifest.display()))?;
        if wanted.iter().any(|(w, _): &(String, Entry)| *w == id) {
            anyhow::bail!("{}: {id} is listed twice", args.manifest.display());
        }
        // Relative local paths are relative to the manifest.
        let local = matches!(
            locate(&entry.source),
            Location::Repository(_) | Location::Folder(_)
        );
        let source = if local && Path::new(&entry.source).is_relative() {
            base.join(&entry.source).display().to_string()
        } else {
            entry.source.clone()
        };
        wanted.push((id, Entry { source, ..entry }));
    }

    let indexed = context.data.catalog()?.libraries()?;
    let workspace = context.workspace();
    let events = sink(args.json);
    let say = |id: &str, what: String| {
        if args.json {
            print_json(&serde_json::json!({ "event": "synced", "library": id, "result": what }));
        } else {
            println!("{id}: {what}");
        }
    };
    let mut failed = 0;
    for lib in indexed
        .iter()
        .filter(|l| !wanted.iter().any(|(id, _)| *id == l.id))
    {
        if args.dry_run {
            say(&lib.id, "would be removed".into());
            continue;
        }
        let _lock = context.data.lock_for_writing()?;
        let removed = context.data.catalog()?.remove_library(&lib.id)?;
        context.data.remove_build_files(&removed);
        say(&lib.id, "removed (not in the manifest)".into());
    }
    for (id, entry) in wanted {
        let current = indexed.iter().find(|l| l.id == id);
        if args.dry_run {
            say(
                &id,
                format!(
                    "would be {}",
                    if current.is_some() {
                        "updated if its source changed"
                    } else {
                        "indexed"
                    }
                ),
            );
            continue;
        }
        // The manifest's fields override; the library's other stored
        // options stay as they were.
        let request = IndexRequest {
            source: entry.source,
            id: Some(id.clone()),
            overrides: OptionOverrides {
                git_ref: Some(entry.git_ref),
                version_rule: entry.versions,
                ..OptionOverrides::default()
            },
            skip_unchanged: true,
            ..IndexRequest::default()
        };
        match index_library(&workspace, &request, events.as_ref()) {
            Ok(outcome) if outcome.built.is_empty() => say(&id, "up to date".into()),
            Ok(outcome) => {
                let built: Vec<&str> = outcome
                    .built
                    .iter()
                    .map(|(v, _)| if v.is_empty() { "latest" } else { v.as_str() })
                    .collect();
                say(
                    &id,
                    format!(
                        "{} {}",
                        if current.is_some() {
                            "updated"
                        } else {
                            "indexed"
                        },
                        built.join(", ")
                    ),
                );
            }
            Err(e) => {
                failed += 1;
                say(&id, format!("failed: {e}"));
            }
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} libraries could not be synced");
    }
    Ok(())
}
