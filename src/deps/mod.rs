//! The dependencies a project locks, found on this machine at exactly the
//! locked versions: lockfiles and manifests are read (`cargo.rs`, `npm.rs`,
//! `python.rs`, `go.rs`), each locked package is looked for where its
//! ecosystem keeps it (cargo registry, `node_modules`, a virtualenv's
//! `site-packages`, the Go module cache), and given a library identity from
//! its own metadata. Nothing here touches the network or an index.

mod cargo;
mod fetch;
mod go;
mod npm;
mod python;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub use fetch::fetch;

/// Where a package comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    Cargo,
    Npm,
    PyPI,
    Go,
}

impl Ecosystem {
    /// The prefix of qualified aliases (`crates:axum`) and of IDs without a
    /// forge (`/crates/axum`).
    pub fn prefix(self) -> &'static str {
        match self {
            Ecosystem::Cargo => "crates",
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "pypi",
            Ecosystem::Go => "go",
        }
    }

    /// What brings a missing package (the hint of a "not on this machine").
    pub fn fetch_hint(self) -> &'static str {
        match self {
            Ecosystem::Cargo => "`cargo fetch`",
            Ecosystem::Npm => "`npm install`",
            Ecosystem::PyPI => "`pip install` into the project's virtualenv",
            Ecosystem::Go => "`go mod download`",
        }
    }
}

/// One package at the version a lockfile pins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Locked {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub version: String,
    /// Named by the project's own manifest (not only pulled in by another).
    pub direct: bool,
    /// The lockfile that pins it.
    pub lockfile: PathBuf,
    /// For npm: the folder the lockfile names (`node_modules/a/node_modules/b`).
    #[serde(skip)]
    pub(crate) location: Option<String>,
}

/// A lockfile or manifest that could not be read; the others go on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LockProblem {
    pub file: PathBuf,
    pub message: String,
}

/// A locked package found on disk, with what to index and its identity.
#[derive(Debug, Clone, Serialize)]
pub struct Package {
    pub locked: Locked,
    /// The folder to index.
    pub root: PathBuf,
    /// Only these folders (or files) under `root` belong to the package
    /// (a virtualenv's `site-packages` holds many); empty: all of `root`.
    pub folders: Vec<String>,
    /// `/org/project`.
    pub id: String,
    pub title: String,
    pub description: String,
    pub aliases: Vec<String>,
    /// A README kept in the package metadata rather than as a file: (path, text).
    #[serde(skip)]
    pub readme: Option<(String, String)>,
}

/// Where to look for packages besides the project folder.
#[derive(Debug, Clone, Default)]
pub struct Places {
    /// `$CARGO_HOME` [default: `~/.cargo`].
    pub cargo_home: Option<PathBuf>,
    /// The virtualenv [default: `$VIRTUAL_ENV`, `DIR/.venv`, `DIR/venv`].
    pub python: Option<PathBuf>,
    /// `$GOMODCACHE` [default: `$GOPATH/pkg/mod`, `~/go/pkg/mod`].
    pub go_mod_cache: Option<PathBuf>,
    /// Where `--fetch` puts packages (`<data-dir>/packages`), searched too.
    pub fetched: Option<PathBuf>,
}

impl Places {
    /// From the environment, as the ecosystems' own tools read it.
    pub fn from_env(python: Option<PathBuf>) -> Places {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let cargo_home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".cargo")));
        let go_mod_cache = std::env::var_os("GOMODCACHE")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("GOPATH")
                    .and_then(|p| std::env::split_paths(&p).next())
                    .map(|p| p.join("pkg/mod"))
            })
            .or_else(|| home.as_ref().map(|h| h.join("go/pkg/mod")));
        let python = python.or_else(|| std::env::var_os("VIRTUAL_ENV").map(PathBuf::from));
        Places {
            cargo_home,
            python,
            go_mod_cache,
            fetched: None,
        }
    }
}

/// The TOML file at `path`: `None` when it is absent or unreadable, and
/// also when it does not parse, which is recorded in `problems`.
fn read_toml(path: &Path, problems: &mut Vec<LockProblem>) -> Option<toml::Table> {
    let text = std::fs::read_to_string(path).ok()?;
    match toml::from_str(&text) {
        Ok(doc) => Some(doc),
        Err(e) => {
            problems.push(LockProblem {
                file: path.to_owned(),
                message: e.to_string(),
            });
            None
        }
    }
}

/// Folders never searched for lockfiles.
const SKIP_DIRS: &[&str] = &["node_modules", "target", ".venv", "venv", "vendor", ".git"];

/// How deep below DIR lockfiles are looked for (workspace members).
const MAX_DEPTH: usize = 4;

/// Every package the lockfiles in `dir` and its subfolders pin, direct
/// ones flagged, in a stable order (ecosystem, name, version); duplicates
/// (one version locked by two lockfiles) appear once, direct if either says so.
pub fn read_project(dir: &Path) -> (Vec<Locked>, Vec<LockProblem>) {
    let mut locked = Vec::new();
    let mut problems = Vec::new();
    let mut folders = vec![(dir.to_owned(), 0)];
    while let Some((folder, depth)) = folders.pop() {
        cargo::read(&folder, &mut locked, &mut problems);
        npm::read(&folder, &mut locked, &mut problems);
        python::read(&folder, &mut locked, &mut problems);
        go::read(&folder, &mut locked, &mut problems);
        if depth >= MAX_DEPTH {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        let mut subdirs: Vec<PathBuf> = entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                !name.starts_with('.') && !SKIP_DIRS.contains(&name.as_str())
            })
            .map(|e| e.path())
            .collect();
        subdirs.sort();
        folders.extend(subdirs.into_iter().rev().map(|d| (d, depth + 1)));
    }
    locked.sort_by(|a, b| {
        (a.ecosystem, &a.name, &a.version, !a.direct).cmp(&(
            b.ecosystem,
            &b.name,
            &b.version,
            !b.direct,
        ))
    });
    locked.dedup_by(|later, first| {
        let same = later.ecosystem == first.ecosystem
            && later.name == first.name
            && later.version == first.version;
        if same {
            first.direct |= later.direct;
        }
        same
    });
    (locked, problems)
}

/// Finds `locked` on this machine; `Err` says why not.
pub fn locate(locked: &Locked, project: &Path, places: &Places) -> Result<Package, String> {
    match locked.ecosystem {
        Ecosystem::Cargo => cargo::locate(locked, project, places),
        Ecosystem::Npm => npm::locate(locked, project, places.fetched.as_deref()),
        Ecosystem::PyPI => python::locate(locked, project, places),
        Ecosystem::Go => go::locate(locked, places),
    }
}

/// The versions the projects in `dirs` lock, by lowercased library ID, for
/// the packages found on this machine (direct dependencies win over
/// transitive ones, the first project over later ones).
pub fn locked_versions(dirs: &[PathBuf]) -> std::collections::HashMap<String, String> {
    let mut out = std::collections::HashMap::new();
    let places = Places::from_env(None);
    for dir in dirs {
        let (mut locked, problems) = read_project(dir);
        for p in problems {
            tracing::warn!("{}: {}", p.file.display(), p.message);
        }
        locked.sort_by_key(|l| !l.direct);
        let mut found = 0;
        for dep in &locked {
            if let Ok(package) = locate(dep, dir, &places) {
                found += 1;
                out.entry(package.id.to_ascii_lowercase())
                    .or_insert_with(|| dep.version.clone());
            }
        }
        tracing::info!(
            "project {}: {} locked packages, {found} found on this machine",
            dir.display(),
            locked.len()
        );
    }
    out
}

/// The message for a package that is not on disk at its locked version.
pub fn missing_message(locked: &Locked, why: &str) -> String {
    format!(
        "{} {}: not on this machine ({why}); {} or `twinmcp deps --fetch` would bring it",
        locked.name,
        locked.version,
        locked.ecosystem.fetch_hint()
    )
}

/// Code forges whose URLs name a repository as `host/org/repo`.
const FORGES: &[&str] = &["github.com", "gitlab.com", "codeberg.org", "bitbucket.org"];

/// (org, repo, whether the URL points into a subfolder) of a forge URL.
fn forge_repository(url: &str) -> Option<(String, String, bool)> {
    let url = url.trim();
    let url = url.strip_prefix("git+").unwrap_or(url);
    let rest = url
        .split_once("://")
        .map_or(url, |(_, r)| r)
        .trim_start_matches("git@");
    let rest = rest
        .split_once('@')
        .map_or(rest, |(user, r)| if user.contains('/') { rest } else { r });
    let (host, path) = rest.split_once(['/', ':'])?;
    let host = host.split(':').next()?.to_ascii_lowercase();
    if !FORGES.contains(&host.as_str()) {
        return None;
    }
    let path = path.split(['#', '?']).next()?.trim_end_matches('/');
    let mut parts = path.split('/').filter(|p| !p.is_empty());
    let org = parts.next()?.to_owned();
    let repo = parts.next()?.trim_end_matches(".git").to_owned();
    let deeper = parts.next().is_some();
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    };
    (plain(&org) && plain(&repo)).then_some((org, repo, deeper))
}

/// A name without the affixes that tell a language apart (`-rs`,
/// `.js`, `python-`, …), lowercased, with `_` as `-`.
fn core_name(name: &str) -> String {
    let mut n = name.to_ascii_lowercase().replace('_', "-");
    if let Some((_, last)) = n.rsplit_once('/') {
        n = last.to_owned();
    }
    for prefix in ["python-", "py-", "node-", "rs-", "rust-", "go-"] {
        if let Some(rest) = n.strip_prefix(prefix) {
            n = rest.to_owned();
        }
    }
    for suffix in [
        "-rs", ".rs", "-rust", ".js", "-js", "js", "-python", "-py", ".py", "py", "-go",
    ] {
        if n.len() > suffix.len() + 1
            && let Some(rest) = n.strip_suffix(suffix)
        {
            n = rest.to_owned();
            break;
        }
    }
    n
}

/// Makes `s` a valid id segment (letters, digits, `.`, `_`, `-`).
fn segment(s: &str) -> String {
    let out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let out = out.trim_matches(|c| c == '.' || c == '-').to_owned();
    if out.is_empty() { "_".to_owned() } else { out }
}

/// The library ID of package `name` from `repository` (its metadata's URL):
/// the repository's own `/org/repo` when the package is that repository,
/// `/org/<package>` when it lives inside a larger one, else
/// `/<ecosystem>/<name>`.
pub fn library_id(ecosystem: Ecosystem, name: &str, repository: Option<&str>) -> String {
    let package = match ecosystem {
        Ecosystem::Npm => name.rsplit('/').next().unwrap_or(name).to_owned(),
        Ecosystem::Go => name.rsplit('/').next().unwrap_or(name).to_owned(),
        _ => name.to_owned(),
    };
    if let Some((org, repo, deeper)) = repository.and_then(forge_repository) {
        if !deeper && core_name(&repo) == core_name(&package) {
            return format!("/{org}/{repo}");
        }
        return format!("/{org}/{}", segment(&package));
    }
    match ecosystem {
        Ecosystem::Npm => match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
            Some((scope, rest)) => format!("/@{}/{}", segment(scope), segment(rest)),
            None => format!("/npm/{}", segment(name)),
        },
        Ecosystem::PyPI => format!("/pypi/{}", normalize_pypi(name)),
        Ecosystem::Cargo => format!("/crates/{}", segment(name)),
        Ecosystem::Go => format!("/go/{}", segment(&name.replace('/', "_"))),
    }
}

/// The names a package resolves by: its own, and qualified by ecosystem.
pub fn aliases(ecosystem: Ecosystem, name: &str) -> Vec<String> {
    let mut out = vec![name.to_owned(), format!("{}:{name}", ecosystem.prefix())];
    if ecosystem == Ecosystem::PyPI {
        let normal = normalize_pypi(name);
        if normal != name {
            out.push(normal);
        }
    }
    out
}

/// PEP 503: lowercase, runs of `-`, `_`, `.` as one `-`.
pub fn normalize_pypi(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// A fingerprint of the files under `root` (restricted to `folders` when
/// given): paths, sizes and modification times. Registry packages never
/// change; a re-created virtualenv does, and is indexed again.
pub fn fingerprint(root: &Path, folders: &[String]) -> String {
    use sha2::{Digest, Sha256};
    let mut entries: Vec<String> = Vec::new();
    let starts: Vec<PathBuf> = if folders.is_empty() {
        vec![root.to_owned()]
    } else {
        folders.iter().map(|f| root.join(f)).collect()
    };
    let mut stack = starts;
    while let Some(path) = stack.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            if let Ok(read) = std::fs::read_dir(&path) {
                stack.extend(read.flatten().map(|e| e.path()));
            }
        } else if meta.is_file() {
            let modified = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_secs());
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .display()
                .to_string();
            entries.push(format!("{rel}\0{}\0{modified}", meta.len()));
        }
    }
    entries.sort();
    let mut hasher = Sha256::new();
    for e in &entries {
        hasher.update(e.as_bytes());
        hasher.update(b"\n");
    }
    let digest = hasher.finalize();
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("files:{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_from_the_package_repository() {
        let id = |e, n, r| library_id(e, n, r);
        assert_eq!(
            id(
                Ecosystem::Cargo,
                "tokio",
                Some("https://github.com/tokio-rs/tokio")
            ),
            "/tokio-rs/tokio"
        );
        assert_eq!(
            id(
                Ecosystem::Cargo,
                "tokio-util",
                Some("https://github.com/tokio-rs/tokio")
            ),
            "/tokio-rs/tokio-util",
            "a package inside a larger repository"
        );
        assert_eq!(
            id(
                Ecosystem::Cargo,
                "globset",
                Some("https://github.com/BurntSushi/ripgrep/tree/master/crates/globset")
            ),
            "/BurntSushi/globset"
        );
        assert_eq!(
            id(
                Ecosystem::Npm,
                "is-number",
                Some("git+https://github.com/jonschlinkert/is-number.git")
            ),
            "/jonschlinkert/is-number"
        );
        assert_eq!(
            id(
                Ecosystem::PyPI,
                "python-dateutil",
                Some("https://github.com/dateutil/dateutil")
            ),
            "/dateutil/dateutil"
        );
        assert_eq!(id(Ecosystem::Cargo, "itoa", None), "/crates/itoa");
        assert_eq!(id(Ecosystem::Npm, "@types/node", None), "/@types/node");
        assert_eq!(
            id(Ecosystem::PyPI, "Zope.Interface", None),
            "/pypi/zope-interface"
        );
        assert_eq!(
            id(Ecosystem::Go, "golang.org/x/text", None),
            "/go/golang.org_x_text"
        );
        assert_eq!(
            id(
                Ecosystem::Go,
                "github.com/spf13/cobra",
                Some("github.com/spf13/cobra")
            ),
            "/spf13/cobra"
        );
        assert_eq!(
            id(
                Ecosystem::Npm,
                "lodash",
                Some("git@github.com:lodash/lodash.git")
            ),
            "/lodash/lodash"
        );
        for id in [
            "/tokio-rs/tokio",
            "/@types/node",
            "/pypi/zope-interface",
            "/go/golang.org_x_text",
        ] {
            assert!(crate::source::normalize_library_id(id).is_ok(), "{id}");
        }
    }
}
