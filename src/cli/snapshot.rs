//! `twinmcp snapshot export|import|inspect`.

use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::Context;
use crate::embed::{EmbedError, locate_model};
use crate::search::display_version;
use crate::snapshot::{DEFAULT_MAX_BYTES, ExportOptions, Manifest};

#[derive(Subcommand)]
pub enum SnapshotCommand {
    /// Write indexed libraries (all, or those named) to one snapshot file
    Export {
        /// Library IDs: /org/project for every version, /org/project/v1.2 for one [default: all]
        libraries: Vec<String>,
        /// The snapshot file to write, e.g. docs.twinmcp
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        /// Creation time recorded in the manifest, Unix seconds [default: SOURCE_DATE_EPOCH, else now]
        #[arg(long, value_name = "SECONDS", env = "SOURCE_DATE_EPOCH")]
        timestamp: Option<i64>,
    },
    /// Add or replace the libraries of a snapshot, without re-embedding
    Import {
        /// Snapshot file(s) written by `twinmcp snapshot export`
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Refuse snapshots that unpack to more than this many bytes
        #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_BYTES)]
        max_bytes: u64,
    },
    /// Print a snapshot's manifest (--verify also checks every part)
    Inspect {
        file: PathBuf,
        /// Read the whole file and check every part's checksum
        #[arg(long)]
        verify: bool,
        /// Print the manifest as JSON
        #[arg(long)]
        json: bool,
    },
}

pub fn run(context: &Context, command: SnapshotCommand) -> anyhow::Result<()> {
    match command {
        SnapshotCommand::Export {
            libraries,
            output,
            timestamp,
        } => {
            let started = std::time::Instant::now();
            let created_at = timestamp.unwrap_or_else(crate::index::unix_now);
            let options = ExportOptions {
                libraries,
                output: output.clone(),
                created_at,
            };
            let manifest = crate::snapshot::export(&context.data, &options)?;
            let size = std::fs::metadata(&output).map(|m| m.len()).unwrap_or(0);
            eprintln!(
                "wrote {} ({} builds, {} chunks, {} bytes) in {:.2} s",
                output.display(),
                manifest.builds.len(),
                manifest.builds.iter().map(|b| b.chunks).sum::<u64>(),
                size,
                started.elapsed().as_secs_f64()
            );
        }
        SnapshotCommand::Import { files, max_bytes } => {
            let installed = installed_model(context)?;
            for file in files {
                let started = std::time::Instant::now();
                let (_, report) =
                    crate::snapshot::import(&context.data, &file, max_bytes, installed.as_deref())?;
                for (library, version, chunks, replaced) in &report.builds {
                    println!(
                        "{} {library} {} ({chunks} chunks)",
                        if *replaced { "replaced" } else { "added" },
                        display_version(version),
                    );
                }
                eprintln!(
                    "imported {} in {:.2} s",
                    file.display(),
                    started.elapsed().as_secs_f64()
                );
            }
        }
        SnapshotCommand::Inspect { file, verify, json } => {
            let manifest = if verify {
                crate::snapshot::verify(&file, u64::MAX)?
            } else {
                crate::snapshot::read_manifest(&file)?
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&manifest)?);
            } else {
                print_manifest(&file, &manifest);
            }
            if verify {
                eprintln!("every part's checksum matches");
            }
        }
    }
    Ok(())
}

/// The fingerprint of the model this data dir's queries would use; none
/// when no model is installed (vectors then wait for one).
pub fn installed_model(context: &Context) -> anyhow::Result<Option<String>> {
    match locate_model(context.model.as_deref(), &context.data.models_dir()) {
        Ok(files) => Ok(Some(files.fingerprint)),
        Err(EmbedError::NotInstalled { .. }) => {
            tracing::warn!(
                "no embedding model is installed: snapshots are checked against none, and \
                 queries use BM25 alone until `twinmcp model install` or `model fetch`"
            );
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

fn print_manifest(file: &Path, manifest: &Manifest) {
    let size: u64 = manifest.parts.iter().map(|p| p.size).sum();
    println!("snapshot   {}", file.display());
    println!(
        "format     {} (written by TwinMCP {})",
        manifest.format, manifest.twinmcp
    );
    println!("created    {} (Unix seconds)", manifest.created_at);
    println!(
        "model      {}",
        manifest.model.as_deref().unwrap_or("none (BM25 only)")
    );
    println!(
        "parts      {} ({size} bytes unpacked)",
        manifest.parts.len()
    );
    println!("libraries");
    for build in &manifest.builds {
        println!(
            "  {}\t{}\t{}\t{} documents\t{} chunks",
            build.library,
            display_version(&build.version),
            build
                .commit
                .as_deref()
                .map_or("-".to_owned(), |c| c.chars().take(12).collect()),
            build.documents,
            build.chunks
        );
    }
}
