//! The indexing pipeline: source → parse → chunk → embed → write, for one
//! library, driven by one [`IndexOptions`] value that is stored with the
//! library and repeated by every rebuild (`update`, `sync`, `serve
//! --refresh`, `index` run again). Progress and results are
//! [`IndexEvent`]s sent to a sink the caller chooses; nothing here prints.

mod build;
mod events;
mod files;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use events::{BuildReport, CollectSink, EventSink, IndexEvent, TracingSink};

use build::{BuildTarget, build_version};
use files::{Files, lock, readme_of, select_versions};

use crate::embed::EmbedError;
use crate::index::{DataDir, IndexError, IndexOptions, Library, OptionOverrides};
use crate::source::{
    GitError, GitSource, LibraryConfig, LibraryIdentity, Location, Revision, SourceError,
    SourceFile, identify_from_git, identify_library, locate, normalize_library_id,
};

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// A request that cannot be carried out as given (bad flag, unknown tag).
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Model(#[from] EmbedError),
    /// Writing a build failed; the previous build is still served.
    #[error(
        "writing the index of {label} failed (is the disk full or the data dir not writable?); \
         the previous index is unchanged and still served: {source}"
    )]
    Write { label: String, source: IndexError },
    #[error(transparent)]
    Index(#[from] IndexError),
}

/// What to index and how.
#[derive(Debug, Clone, Default)]
pub struct IndexRequest {
    /// A git URL, a local repository or a folder.
    pub source: String,
    /// Library ID (`/org/project`) [default: from the config file, the git
    /// remote, else `/local/<folder>`].
    pub id: Option<String>,
    /// Options given for this run; the others are those stored with the
    /// library (or the defaults for a new one). The result is stored.
    pub overrides: OptionOverrides,
    /// Leave a version alone when its commit (or, for a folder, its
    /// `source_rev`) is already indexed (`update`, `deps`).
    pub skip_unchanged: bool,
    /// For a folder: the version it is (`deps`: the locked version) [default:
    /// the unversioned default].
    pub version: Option<String>,
    /// For a folder: a fingerprint of its files, recorded with the build.
    pub source_rev: Option<String>,
    /// Names the library also resolves by, besides its config file's.
    pub aliases: Vec<String>,
    /// Files to index that exist only in memory, by repository path.
    pub extra_files: Vec<SourceFile>,
    /// A package version added beside what the library already holds
    /// (`deps`): its options are the overrides on the defaults, never the
    /// stored ones, and an existing library row (a library also indexed from
    /// git) keeps its source, title and options.
    pub package: bool,
}

/// Where indexes are written and which model embeds.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub data: DataDir,
    /// `--model`; else the data dir's installed model.
    pub model: Option<PathBuf>,
    /// `--precision` of the embedding model.
    pub precision: crate::embed::Precision,
}

/// What one run did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Versions written ("" for the branch), with their commit.
    pub built: Vec<(String, String)>,
    /// Versions whose commit was already indexed.
    pub unchanged: usize,
}

/// Indexes what `request` says: every version it selects, each as one
/// build swapped in atomically. Stops at the first version that fails,
/// leaving the builds before it written and the rest as they were.
pub fn index_library(
    workspace: &Workspace,
    request: &IndexRequest,
    sink: &dyn EventSink,
) -> Result<Outcome, PipelineError> {
    let data = &workspace.data;
    let given_id = match &request.id {
        Some(id) => Some(normalize_library_id(id).map_err(PipelineError::Invalid)?),
        None => None,
    };
    // Options that decide where to read from are known up front only when
    // the library is named; otherwise they come from the flags.
    let early = stored_options(data, given_id.as_deref())?;
    let early = request.overrides.apply(&early);
    let location = if early.worktree {
        Location::Folder(PathBuf::from(&request.source))
    } else {
        locate(&request.source)
    };
    let git = match &location {
        Location::Folder(_) => None,
        Location::Repository(path) => Some(GitSource::open_local(path)?),
        Location::Remote(url) => {
            // A commit id can only be reached with full history.
            let full = early
                .git_ref
                .as_deref()
                .is_some_and(|r| r.len() >= 7 && r.chars().all(|c| c.is_ascii_hexdigit()));
            Some(GitSource::fetch(url, &data.repos_dir(), full)?)
        }
    };
    let Some(git) = git else {
        let Location::Folder(path) = location else {
            unreachable!("only folders have no repository")
        };
        let root = path
            .canonicalize()
            .map_err(|e| PipelineError::Invalid(format!("{}: {e}", path.display())))?;
        let identity = identify_library(&root);
        let files = Files::Folder(root.clone());
        let (config, warnings) = files.config();
        let id = given_id.unwrap_or_else(|| config.id.clone().unwrap_or(identity.id.clone()));
        let stored = if request.package {
            IndexOptions::default()
        } else {
            stored_options(data, Some(&id))?
        };
        let options = request.overrides.apply(&stored);
        if options.version_rule.is_some() || options.git_ref.is_some() {
            return Err(PipelineError::Invalid(format!(
                "{}: --ref and --versions need a git repository; this is a plain folder",
                path.display()
            )));
        }
        let existing = match request.package {
            true => data.catalog()?.library(&id)?,
            false => None,
        };
        // A package added to a library indexed otherwise keeps that row.
        let mut library = match existing {
            Some(row) => row,
            None => library_row(
                id,
                options.clone(),
                &config,
                identity,
                &root.display().to_string(),
            ),
        };
        for alias in &request.aliases {
            if !library.aliases.contains(alias) {
                library.aliases.push(alias.clone());
            }
        }
        let version = request.version.clone().unwrap_or_default();
        if request.skip_unchanged && request.source_rev.is_some() {
            let built = data.catalog()?.ready_build(&library.id, &version)?;
            if built.and_then(|b| b.source_rev) == request.source_rev {
                sink.event(IndexEvent::Unchanged {
                    label: build::label(&library.id, &version, None),
                });
                return Ok(Outcome {
                    built: Vec::new(),
                    unchanged: 1,
                });
            }
        }
        let target = BuildTarget {
            library: &library,
            options: &options,
            config: &config,
            warnings: &warnings,
            files: &files,
            version: &version,
            revision: None,
            source_rev: request.source_rev.clone(),
            extra: &request.extra_files,
        };
        build_version(workspace, &target, sink)?;
        return Ok(Outcome {
            built: vec![(version, request.source_rev.clone().unwrap_or_default())],
            unchanged: 0,
        });
    };

    // The config at the default revision may name the library and the
    // branch to index.
    let default = git.resolve(None)?;
    let (remote, name) = (git.remote.clone(), git.name.clone());
    let git = Arc::new(Mutex::new(git));
    let (default_config, _) = Files::Git(git.clone(), default.clone()).config();
    let fallback_id = identify_from_git(remote.clone(), &name, None).id;
    let id = given_id
        .clone()
        .or(default_config.id.clone())
        .unwrap_or(fallback_id);
    let options = request.overrides.apply(&stored_options(data, Some(&id))?);
    let wanted = options.git_ref.clone().or(default_config.branch.clone());
    let revision = match wanted.as_deref() {
        Some(w) => lock(&git).resolve(Some(w))?,
        None => default,
    };
    let files = Files::Git(git.clone(), revision.clone());
    let (config, warnings) = files.config();
    let readme = readme_of(&lock(&git), &revision);
    let identity = identify_from_git(
        remote.clone(),
        &name,
        readme.as_ref().map(|(n, t)| (n.as_str(), t.as_str())),
    );
    // Where `update` will look again: the URL, or the local repository
    // (never its remote: a local checkout is updated from disk).
    let source = match &location {
        Location::Remote(url) => url.clone(),
        Location::Repository(path) | Location::Folder(path) => path
            .canonicalize()
            .map_or_else(|_| request.source.clone(), |p| p.display().to_string()),
    };
    // The config at the indexed revision has the last word on the id.
    let id = given_id.unwrap_or_else(|| config.id.clone().unwrap_or(id));
    let library = library_row(id, options.clone(), &config, identity, &source);
    let already = |version: &str, revision: &Revision| -> Result<bool, PipelineError> {
        let built = data.catalog()?.ready_build(&library.id, version)?;
        Ok(request.skip_unchanged
            && built.and_then(|b| b.source_rev) == Some(revision.commit.to_string()))
    };

    // The branch is the unversioned build; tags from --versions and the
    // config's previousVersions are versions beside it.
    let (_, tags) = lock(&git).refs();
    let mut versions: Vec<String> = match options.version_rule.as_deref() {
        Some(rule) => select_versions(rule, &tags)?,
        None => Vec::new(),
    };
    for v in &config.previous_versions {
        if !versions.contains(&v.tag) {
            versions.push(v.tag.clone());
        }
    }
    let mut targets: Vec<(String, Revision, LibraryConfig, Vec<String>)> =
        vec![(String::new(), revision, config, warnings)];
    for tag in versions {
        if tag.contains('/') || tag.is_empty() {
            sink.event(IndexEvent::Warning {
                message: format!("tag `{tag}` cannot be a version in a library id; skipped"),
            });
            continue;
        }
        // A stale tag in previousVersions is reported, not fatal.
        let revision = match lock(&git).resolve(Some(&tag)) {
            Ok(revision) => revision,
            Err(e) => {
                sink.event(IndexEvent::Warning {
                    message: format!("version {tag}: {e}; skipped"),
                });
                continue;
            }
        };
        let (config, warnings) = Files::Git(git.clone(), revision.clone()).config();
        targets.push((tag, revision, config, warnings));
    }
    let mut outcome = Outcome::default();
    for (version, revision, config, warnings) in targets {
        if already(&version, &revision)? {
            outcome.unchanged += 1;
            sink.event(IndexEvent::Unchanged {
                label: build::label(&library.id, &version, Some(&revision)),
            });
            continue;
        }
        let files = Files::Git(git.clone(), revision.clone());
        let target = BuildTarget {
            library: &library,
            options: &library.options,
            config: &config,
            warnings: &warnings,
            files: &files,
            version: &version,
            revision: Some(&revision),
            source_rev: Some(revision.commit.to_string()),
            extra: &[],
        };
        build_version(workspace, &target, sink)?;
        outcome.built.push((version, revision.commit.to_string()));
    }
    Ok(outcome)
}

/// The options stored with library `id`, or the defaults.
fn stored_options(data: &DataDir, id: Option<&str>) -> Result<IndexOptions, PipelineError> {
    let Some(id) = id else {
        return Ok(IndexOptions::default());
    };
    Ok(data
        .catalog()?
        .library(id)?
        .map(|l| l.options)
        .unwrap_or_default())
}

/// The library row a build records. Flags win over the config file, which
/// wins over what the repository itself suggests (remote, README).
fn library_row(
    id: String,
    options: IndexOptions,
    config: &LibraryConfig,
    identity: LibraryIdentity,
    source: &str,
) -> Library {
    Library {
        id,
        title: options
            .title
            .clone()
            .or(config.title.clone())
            .unwrap_or(identity.title),
        description: options
            .description
            .clone()
            .or(config.description.clone())
            .unwrap_or(identity.description),
        source: source.to_owned(),
        rules: config.rules.clone(),
        aliases: config.aliases.clone(),
        options,
        versions: Vec::new(),
    }
}

/// Whether `update` can bring `library` up to date: it was indexed from a
/// git commit (a folder or a working tree has no new commits to fetch).
pub fn is_updatable(library: &Library) -> bool {
    !library.options.worktree && !matches!(locate(&library.source), Location::Folder(_))
}

/// Updates one library from its git source with its stored options and
/// records the job in the catalog; `None` for libraries that cannot be
/// updated (see [`is_updatable`]). The summary is what the job records.
pub fn update_library(
    workspace: &Workspace,
    library: &Library,
    sink: &dyn EventSink,
) -> Result<Option<String>, PipelineError> {
    if !is_updatable(library) {
        return Ok(None);
    }
    workspace.data.catalog()?.job_started(&library.id)?;
    let request = IndexRequest {
        source: library.source.clone(),
        id: Some(library.id.clone()),
        overrides: OptionOverrides::default(),
        skip_unchanged: true,
        ..IndexRequest::default()
    };
    let outcome = index_library(workspace, &request, sink);
    let (ok, summary) = match &outcome {
        Ok(outcome) => (true, summarize(outcome)),
        Err(e) => (false, format!("failed: {e}")),
    };
    workspace
        .data
        .catalog()?
        .job_finished(&library.id, ok, &summary)?;
    outcome.map(|_| Some(summary))
}

/// "up to date (2 versions checked)", "updated latest @ 0123456789ab (1 unchanged)".
pub fn summarize(outcome: &Outcome) -> String {
    if outcome.built.is_empty() {
        return format!("up to date ({} versions checked)", outcome.unchanged);
    }
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
    format!(
        "updated {} ({} unchanged)",
        built.join(", "),
        outcome.unchanged
    )
}

/// Updates every git library every `every`, one at a time, until the
/// process ends, reporting to `sink`. Runs on its own thread: queries never
/// wait for it, and see each new build once it is committed.
pub fn refresh_forever(workspace: Workspace, every: Duration, sink: &dyn EventSink) {
    loop {
        std::thread::sleep(every);
        let libraries = match workspace.data.catalog().and_then(|c| c.libraries()) {
            Ok(libraries) => libraries,
            Err(e) => {
                tracing::error!("refresh: cannot read the catalog: {e}");
                continue;
            }
        };
        for lib in &libraries {
            match update_library(&workspace, lib, sink) {
                Ok(Some(summary)) => tracing::info!("refresh {}: {summary}", lib.id),
                Ok(None) => {}
                Err(e) => tracing::warn!("refresh {}: {e}", lib.id),
            }
        }
    }
}
