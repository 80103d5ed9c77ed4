//! `twinmcp deps [DIR]`: indexes the documentation of the dependencies a
//! project locks, from where they already lie on this machine, each at its
//! locked version (`/tokio-rs/axum/0.8.9`).

use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use super::Context;
use super::report::print_json;
use crate::deps::{Locked, Package, Places, fingerprint, locate, missing_message, read_project};
use crate::index::OptionOverrides;
use crate::pipeline::{CollectSink, IndexEvent, IndexRequest, index_library};
use crate::source::SourceFile;

#[derive(Args)]
pub struct DepsArgs {
    /// The project: its lockfiles are read here and in its workspace members
    #[arg(default_value = ".")]
    dir: PathBuf,
    #[command(flatten)]
    options: DepsOptions,
    /// Say what would be indexed, without indexing (nor following the project)
    #[arg(long)]
    dry_run: bool,
    /// One JSON object per dependency on stdout, then the totals
    #[arg(long)]
    json: bool,
}

/// How a project's dependencies are chosen and indexed; stored with the
/// project so that `update` repeats it.
#[derive(Args, Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct DepsOptions {
    /// Transitive dependencies too, not only those the manifests name
    #[arg(long)]
    all: bool,
    /// Only these packages (by name)
    #[arg(long, value_name = "NAME", num_args = 1..)]
    only: Vec<String>,
    /// The project's virtualenv, or its python [default: $VIRTUAL_ENV, DIR/.venv, DIR/venv]
    #[arg(long, value_name = "PATH")]
    python: Option<PathBuf>,
    /// Build only the BM25 index, without the embedding model
    #[arg(long)]
    no_vectors: bool,
    /// Bring missing packages with the ecosystem's own client (cargo, npm, pip, go), through
    /// its configured registry or mirror, into the data dir
    #[arg(long)]
    fetch: bool,
}

/// What one run over a project found and did.
#[derive(Debug, Default)]
pub struct ProjectSummary {
    pub indexed: usize,
    pub reused: usize,
    pub missing: usize,
    pub failed: usize,
    pub lockfile_errors: usize,
    /// The library versions found (`/org/project/version`).
    pub used: Vec<String>,
    /// A hash of the lockfiles read.
    pub lockfiles: String,
}

/// What happened to one dependency.
enum Fate {
    Indexed(Package, usize),
    UpToDate(Package),
    WouldIndex(Package),
    Missing(String),
    Failed(Package, String),
}

pub fn run(context: &Context, args: DepsArgs) -> anyhow::Result<()> {
    let dir = args
        .dir
        .canonicalize()
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.dir.display()))?;
    let summary = sync_project(
        context,
        &dir,
        read_project(&dir),
        &args.options,
        args.dry_run,
        args.json,
    )?;
    if !args.dry_run {
        follow(context, &dir, &args.options, &summary)?;
    }
    print_totals(&summary, args.json);
    if summary.failed > 0 {
        anyhow::bail!("{} dependencies could not be indexed", summary.failed);
    }
    Ok(())
}

/// Records the project for `update` (and `update --prune`).
pub fn follow(
    context: &Context,
    dir: &std::path::Path,
    options: &DepsOptions,
    summary: &ProjectSummary,
) -> anyhow::Result<()> {
    context.data.catalog()?.upsert_project(
        &dir.display().to_string(),
        &serde_json::to_string(options)?,
        &summary.lockfiles,
        &summary.used,
    )?;
    Ok(())
}

pub fn print_totals(summary: &ProjectSummary, json: bool) {
    if json {
        print_json(&json!({
            "event": "done", "indexed": summary.indexed, "reused": summary.reused,
            "missing": summary.missing, "failed": summary.failed,
            "lockfile_errors": summary.lockfile_errors,
        }));
    } else {
        println!(
            "dependencies: {} indexed, {} up to date, {} missing, {} failed{}",
            summary.indexed,
            summary.reused,
            summary.missing,
            summary.failed,
            if summary.lockfile_errors == 0 {
                String::new()
            } else {
                format!(", {} lockfiles unreadable", summary.lockfile_errors)
            }
        );
    }
}

/// A hash of the lockfiles and manifests `read_project` read in `dir`.
pub fn lockfiles_hash(locked: &[Locked], problems: &[crate::deps::LockProblem]) -> String {
    use sha2::{Digest, Sha256};
    let mut files: Vec<&std::path::Path> = locked
        .iter()
        .map(|l| l.lockfile.as_path())
        .chain(problems.iter().map(|p| p.file.as_path()))
        .collect();
    files.sort();
    files.dedup();
    let mut hasher = Sha256::new();
    for file in files {
        hasher.update(file.display().to_string().as_bytes());
        hasher.update(std::fs::read(file).unwrap_or_default());
    }
    hasher.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Finds each selected dependency of the project at `dir`, whose lockfiles
/// `read_project` read, and indexes it (unless `dry_run`), printing one
/// line (or JSON object) each.
pub fn sync_project(
    context: &Context,
    dir: &std::path::Path,
    (locked, problems): (Vec<Locked>, Vec<crate::deps::LockProblem>),
    options: &DepsOptions,
    dry_run: bool,
    json_lines: bool,
) -> anyhow::Result<ProjectSummary> {
    let mut summary = ProjectSummary {
        lockfiles: lockfiles_hash(&locked, &problems),
        lockfile_errors: problems.len(),
        ..ProjectSummary::default()
    };
    for problem in &problems {
        if json_lines {
            print_json(&json!({
                "event": "lockfile_error", "file": problem.file, "message": problem.message,
            }));
        } else {
            eprintln!("warning: {}: {}", problem.file.display(), problem.message);
        }
    }
    let selected: Vec<&Locked> = locked
        .iter()
        .filter(|l| {
            if options.only.is_empty() {
                options.all || l.direct
            } else {
                options.only.iter().any(|n| n.eq_ignore_ascii_case(&l.name))
            }
        })
        .collect();
    if selected.is_empty() && problems.is_empty() {
        anyhow::bail!(
            "{}: no dependencies found (Cargo.lock, package-lock.json, uv.lock, poetry.lock, \
             Pipfile.lock, requirements*.txt with == pins, go.mod){}",
            dir.display(),
            if locked.is_empty() || options.all {
                ""
            } else {
                "; --all adds transitive ones"
            }
        );
    }
    let mut places = Places::from_env(options.python.clone());
    places.fetched = Some(context.data.root().join("packages"));
    let mut vendored = std::collections::HashSet::new();
    let workspace = context.workspace();
    let bar = if json_lines {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(selected.len() as u64).with_style(
            ProgressStyle::with_template("dependencies {bar:30} {pos}/{len} {msg}")
                .expect("valid template"),
        )
    };
    for dep in selected {
        bar.set_message(format!("{} {}", dep.name, dep.version));
        let mut found = locate(dep, dir, &places);
        if found.is_err() && options.fetch && !dry_run {
            // `cargo vendor` brings a whole lockfile at once.
            let once = dep.ecosystem != crate::deps::Ecosystem::Cargo
                || vendored.insert(dep.lockfile.clone());
            let fetched = if once {
                bar.suspend(|| eprintln!("fetching {} {}", dep.name, dep.version));
                crate::deps::fetch(dep, &places)
            } else {
                Ok(())
            };
            found = match fetched {
                Ok(()) => locate(dep, dir, &places),
                Err(e) => Err(e),
            };
        }
        let fate = match found {
            Err(why) => Fate::Missing(missing_message(dep, &why)),
            Ok(package) if dry_run => Fate::WouldIndex(package),
            Ok(package) => index_package(&workspace, package, options.no_vectors),
        };
        bar.inc(1);
        let (state, message) = match &fate {
            Fate::Indexed(p, chunks) => {
                summary.indexed += 1;
                (
                    "indexed",
                    format!("{}/{}: {chunks} chunks", p.id, p.locked.version),
                )
            }
            Fate::UpToDate(p) => {
                summary.reused += 1;
                ("up to date", format!("{}/{}", p.id, p.locked.version))
            }
            Fate::WouldIndex(p) => (
                "would index",
                format!("{}/{} from {}", p.id, p.locked.version, p.root.display()),
            ),
            Fate::Missing(m) => {
                summary.missing += 1;
                ("missing", m.clone())
            }
            Fate::Failed(p, e) => {
                summary.failed += 1;
                ("failed", format!("{}/{}: {e}", p.id, p.locked.version))
            }
        };
        let package = match &fate {
            Fate::Indexed(p, _) | Fate::UpToDate(p) | Fate::WouldIndex(p) | Fate::Failed(p, _) => {
                Some(p)
            }
            Fate::Missing(_) => None,
        };
        if let Some(p) = package
            && matches!(fate, Fate::Indexed(..) | Fate::UpToDate(_))
        {
            summary.used.push(format!("{}/{}", p.id, p.locked.version));
        }
        if json_lines {
            print_json(&json!({
                "event": "dependency",
                "ecosystem": dep.ecosystem,
                "name": dep.name,
                "version": dep.version,
                "direct": dep.direct,
                "state": state,
                "library": package.map(|p| format!("{}/{}", p.id, p.locked.version)),
                "path": package.map(|p| p.root.display().to_string()),
                "message": message,
            }));
        } else {
            bar.suspend(|| println!("{} {}: {state}: {message}", dep.name, dep.version));
        }
    }
    bar.finish_and_clear();
    Ok(summary)
}

/// Indexes one found package as a version of its library, unless that
/// version is indexed from the same files already.
fn index_package(
    workspace: &crate::pipeline::Workspace,
    package: Package,
    no_vectors: bool,
) -> Fate {
    let extra_files = package
        .readme
        .iter()
        .filter_map(|(path, text)| {
            Some(SourceFile {
                path: path.clone(),
                format: crate::parse::Format::from_path(path)?,
                text: text.clone(),
            })
        })
        .collect();
    let request = IndexRequest {
        source: package.root.display().to_string(),
        id: Some(package.id.clone()),
        overrides: OptionOverrides {
            title: Some(package.title.clone()),
            description: Some(package.description.clone()),
            folders: (!package.folders.is_empty()).then(|| package.folders.clone()),
            no_vectors: no_vectors.then_some(true),
            ..OptionOverrides::default()
        },
        skip_unchanged: true,
        version: Some(package.locked.version.clone()),
        source_rev: Some(fingerprint(&package.root, &package.folders)),
        aliases: package.aliases.clone(),
        extra_files,
        package: true,
    };
    let sink = CollectSink::default();
    match index_library(workspace, &request, &sink) {
        Ok(outcome) if outcome.built.is_empty() => Fate::UpToDate(package),
        Ok(_) => {
            let chunks = sink
                .0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .find_map(|e| match e {
                    IndexEvent::Built(r) => Some(r.chunks as usize),
                    _ => None,
                })
                .unwrap_or(0);
            Fate::Indexed(package, chunks)
        }
        Err(e) => {
            let message = e.to_string();
            Fate::Failed(package, message)
        }
    }
}
