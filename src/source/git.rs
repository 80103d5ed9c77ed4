//! Git sources: where a library lives (a URL to clone, a local repository,
//! or a plain folder), fetching remotes into a cache of bare repositories,
//! resolving a branch, tag or commit, and crawling the files of that commit
//! from git objects, so that an index always matches one commit.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use git2::{
    AutotagOption, Cred, CredentialType, FetchOptions, ObjectType, Oid, RemoteCallbacks,
    Repository, TreeWalkMode, TreeWalkResult,
};
use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};

use super::{Crawl, CrawlOptions, SKIP_DIRS, SkipReason, crawl_entries};

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("{0}")]
    Git(#[from] git2::Error),
    #[error("cannot fetch {url}: {source}")]
    Fetch { url: String, source: git2::Error },
    #[error(
        "`{wanted}` is not a branch, tag or commit of {repo}. Branches: {branches}. Tags: {tags}"
    )]
    UnknownRef {
        wanted: String,
        repo: String,
        branches: String,
        tags: String,
    },
    #[error("{0}: cannot create the repository cache: {1}")]
    Cache(PathBuf, std::io::Error),
}

/// What `twinmcp index` was pointed at.
#[derive(Debug, Clone, PartialEq)]
pub enum Location {
    /// A URL (`https://`, `ssh://`, `git@host:org/repo`, `file://`): cloned.
    Remote(String),
    /// A local git repository (its root or its `.git`): read in place.
    Repository(PathBuf),
    /// A plain folder (or `--worktree`): files read from disk.
    Folder(PathBuf),
}

/// Classifies a command-line source.
pub fn locate(arg: &str) -> Location {
    let path = Path::new(arg);
    if arg.contains("://") {
        return Location::Remote(arg.to_owned());
    }
    // scp-like `user@host:path`, unless such a folder really exists.
    if !path.exists()
        && let Some((host, _)) = arg.split_once(':')
        && host.contains('@')
        && !host.contains('/')
    {
        return Location::Remote(arg.to_owned());
    }
    match Repository::open(path) {
        Ok(_) => Location::Repository(path.to_owned()),
        Err(_) => Location::Folder(path.to_owned()),
    }
}

/// A resolved revision of a repository.
#[derive(Debug, Clone)]
pub struct Revision {
    pub commit: Oid,
    /// What was asked for or found: `main`, `v1.2.0`, a short commit id.
    pub label: String,
}

/// An opened repository (cached clone or local) to crawl.
pub struct GitSource {
    pub repo: Repository,
    /// The URL it comes from, for the library id and for updates.
    pub remote: Option<String>,
    /// A name for `/local/<name>` ids when there is no remote.
    pub name: String,
}

impl GitSource {
    /// Opens a local repository in place.
    pub fn open_local(path: &Path) -> Result<GitSource, GitError> {
        let repo = Repository::open(path)?;
        let remote = super::remote_url(&repo);
        let dir = repo.workdir().unwrap_or(repo.path()).to_owned();
        let name = dir
            .canonicalize()
            .unwrap_or(dir)
            .file_name()
            .map(|n| n.to_string_lossy().trim_end_matches(".git").to_owned())
            .unwrap_or_else(|| "library".into());
        Ok(GitSource { repo, remote, name })
    }

    /// Clones `url` into `cache` (a bare repository per URL), or fetches
    /// it when it is already there. Branches and tags are fetched with
    /// depth 1 unless `full` (needed to reach an arbitrary commit).
    pub fn fetch(url: &str, cache: &Path, full: bool) -> Result<GitSource, GitError> {
        let dir = cache.join(cache_name(url));
        std::fs::create_dir_all(cache).map_err(|e| GitError::Cache(cache.to_owned(), e))?;
        let repo = match Repository::open_bare(&dir) {
            Ok(repo) => repo,
            Err(_) => {
                let _ = std::fs::remove_dir_all(&dir);
                let repo = Repository::init_bare(&dir)?;
                repo.remote("origin", url)?;
                repo
            }
        };
        {
            let mut remote = repo.find_remote("origin")?;
            if remote.url().ok() != Some(url) {
                repo.remote_set_url("origin", url)?;
                remote = repo.find_remote("origin")?;
            }
            let progress = ProgressBar::new(0);
            progress.set_style(
                ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} objects")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            progress.set_message(format!("fetching {url}"));
            let mut callbacks = credentials(url);
            callbacks.transfer_progress(|stats| {
                progress.set_length(stats.total_objects() as u64);
                progress.set_position(stats.received_objects() as u64);
                true
            });
            let mut options = FetchOptions::new();
            options.remote_callbacks(callbacks);
            options.download_tags(AutotagOption::All);
            options.prune(git2::FetchPrune::On);
            let shallow = !full && !url.starts_with("file://") && !Path::new(url).exists();
            if shallow {
                options.depth(1);
            }
            let refspecs = [
                "+refs/heads/*:refs/remotes/origin/*",
                "+refs/tags/*:refs/tags/*",
            ];
            let fetch_error = |source| GitError::Fetch {
                url: url.to_owned(),
                source,
            };
            remote
                .fetch(&refspecs, Some(&mut options), None)
                .map_err(fetch_error)?;
            progress.finish_and_clear();
            // Remember the remote's default branch as origin/HEAD.
            let default = {
                let connection = remote
                    .connect_auth(git2::Direction::Fetch, Some(credentials(url)), None)
                    .map_err(fetch_error)?;
                connection
                    .default_branch()
                    .ok()
                    .and_then(|b| b.as_str().ok().map(str::to_owned))
            };
            if let Some(branch) = default.and_then(|b| {
                b.strip_prefix("refs/heads/")
                    .map(|name| format!("refs/remotes/origin/{name}"))
            }) && repo.find_reference(&branch).is_ok()
            {
                repo.reference_symbolic(
                    "refs/remotes/origin/HEAD",
                    &branch,
                    true,
                    "default branch",
                )?;
            }
        }
        let name = url
            .trim_end_matches('/')
            .trim_end_matches(".git")
            .rsplit(['/', ':'])
            .next()
            .unwrap_or("library")
            .to_owned();
        Ok(GitSource {
            repo,
            remote: Some(url.to_owned()),
            name,
        })
    }

    /// Resolves `wanted` (branch, tag, commit id) or, with `None`, the
    /// default branch (the remote's HEAD, else the local HEAD).
    pub fn resolve(&self, wanted: Option<&str>) -> Result<Revision, GitError> {
        let repo = &self.repo;
        let Some(wanted) = wanted else {
            for name in ["refs/remotes/origin/HEAD", "HEAD"] {
                if let Ok(reference) = repo.find_reference(name) {
                    let resolved = reference.resolve()?;
                    let commit = resolved.peel_to_commit()?;
                    let label = resolved
                        .shorthand()
                        .ok()
                        .map(|s| s.trim_start_matches("origin/").to_owned())
                        .filter(|s| s != "HEAD")
                        .unwrap_or_else(|| short(commit.id()));
                    return Ok(Revision {
                        commit: commit.id(),
                        label,
                    });
                }
            }
            return Err(git2::Error::from_str("the repository has no commits").into());
        };
        let candidates = [
            format!("refs/remotes/origin/{wanted}"),
            format!("refs/heads/{wanted}"),
            format!("refs/tags/{wanted}"),
        ];
        for name in &candidates {
            if let Ok(reference) = repo.find_reference(name) {
                let commit = reference.peel_to_commit()?;
                return Ok(Revision {
                    commit: commit.id(),
                    label: wanted.to_owned(),
                });
            }
        }
        if wanted.len() >= 4
            && wanted.chars().all(|c| c.is_ascii_hexdigit())
            && let Ok(object) = repo.revparse_single(wanted)
            && let Ok(commit) = object.peel_to_commit()
        {
            return Ok(Revision {
                commit: commit.id(),
                label: short(commit.id()),
            });
        }
        let (branches, tags) = self.refs();
        Err(GitError::UnknownRef {
            wanted: wanted.to_owned(),
            repo: self.remote.clone().unwrap_or_else(|| self.name.clone()),
            branches: list_or_none(&branches),
            tags: list_or_none(&tags),
        })
    }

    /// Branch and tag names.
    pub fn refs(&self) -> (Vec<String>, Vec<String>) {
        let mut branches = Vec::new();
        let mut tags = Vec::new();
        if let Ok(refs) = self.repo.references() {
            for reference in refs.flatten() {
                let Ok(name) = reference.name() else {
                    continue;
                };
                if let Some(b) = name
                    .strip_prefix("refs/remotes/origin/")
                    .or_else(|| name.strip_prefix("refs/heads/"))
                {
                    if b != "HEAD" && !branches.iter().any(|x| x == b) {
                        branches.push(b.to_owned());
                    }
                } else if let Some(t) = name.strip_prefix("refs/tags/") {
                    tags.push(t.to_owned());
                }
            }
        }
        branches.sort();
        tags.sort();
        (branches, tags)
    }

    /// The documentation files of `revision`, read from git objects.
    pub fn crawl(&self, revision: &Revision, options: &CrawlOptions) -> Result<Crawl, GitError> {
        let commit = self.repo.find_commit(revision.commit)?;
        let tree = commit.tree()?;
        let mut candidates: Vec<(String, Oid)> = Vec::new();
        let mut crawl = Crawl::default();
        tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
            let name = entry.name().unwrap_or_default();
            match entry.kind() {
                Some(ObjectType::Tree) => {
                    if name.starts_with('.') || SKIP_DIRS.contains(&name) {
                        TreeWalkResult::Skip
                    } else {
                        TreeWalkResult::Ok
                    }
                }
                // Regular files only: symlinks (0o120000) and submodules
                // are reported, never followed.
                Some(ObjectType::Blob) if entry.filemode() & 0o170000 == 0o100000 => {
                    if !name.starts_with('.') {
                        candidates.push((format!("{dir}{name}"), entry.id()));
                    }
                    TreeWalkResult::Ok
                }
                Some(ObjectType::Blob) if entry.filemode() & 0o170000 == 0o120000 => {
                    crawl
                        .skipped
                        .push((format!("{dir}{name}"), SkipReason::Symlink));
                    TreeWalkResult::Ok
                }
                Some(ObjectType::Commit) => {
                    crawl
                        .skipped
                        .push((format!("{dir}{name}"), SkipReason::Submodule));
                    TreeWalkResult::Ok
                }
                _ => TreeWalkResult::Ok,
            }
        })?;
        candidates.sort_by(|a, b| a.0.cmp(&b.0));
        let odb = self.repo.odb()?;
        Ok(crawl_entries(crawl, candidates, options, |oid, max| {
            let (size, _) = odb
                .read_header(*oid)
                .map_err(|e| SkipReason::Unreadable(e.message().to_owned()))?;
            if size as u64 > max {
                return Err(SkipReason::TooLarge);
            }
            let blob = self
                .repo
                .find_blob(*oid)
                .map_err(|e| SkipReason::Unreadable(e.message().to_owned()))?;
            Ok(blob.content().to_vec())
        }))
    }

    /// The bytes of the regular file at `path` in `revision`, if it is one
    /// of at most `max` bytes. The size comes from the object header, so a
    /// large blob is never decompressed only to be refused.
    pub fn read(&self, revision: &Revision, path: &str, max: u64) -> Option<Vec<u8>> {
        let commit = self.repo.find_commit(revision.commit).ok()?;
        let entry = commit.tree().ok()?.get_path(Path::new(path)).ok()?;
        if entry.filemode() & 0o170000 != 0o100000 {
            return None;
        }
        let (size, kind) = self.repo.odb().ok()?.read_header(entry.id()).ok()?;
        if kind != ObjectType::Blob || size as u64 > max {
            return None;
        }
        let blob = self.repo.find_blob(entry.id()).ok()?;
        Some(blob.content().to_vec())
    }
}

fn short(oid: Oid) -> String {
    oid.to_string()[..12].to_owned()
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "(none)".to_owned()
    } else {
        names.join(", ")
    }
}

/// A cache folder name for `url`: readable, and unique by a hash.
fn cache_name(url: &str) -> String {
    let readable: String = url
        .trim_end_matches('/')
        .trim_end_matches(".git")
        .rsplit(['/', ':'])
        .take(2)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
        .join("-")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let digest = Sha256::digest(url.as_bytes());
    let hash: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("{readable}-{hash}.git")
}

/// Credentials from the usual places: ssh-agent, git credential helpers,
/// `GIT_ASKPASS`; never from the command line. Each kind is tried once.
fn credentials(url: &str) -> RemoteCallbacks<'static> {
    let mut callbacks = RemoteCallbacks::new();
    let tried = RefCell::new(Vec::<&'static str>::new());
    let url = url.to_owned();
    callbacks.credentials(move |_, username, allowed| {
        let mut tried = tried.borrow_mut();
        let user = username.unwrap_or("git");
        if allowed.contains(CredentialType::SSH_KEY) && !tried.contains(&"agent") {
            tried.push("agent");
            return Cred::ssh_key_from_agent(user);
        }
        if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) {
            if !tried.contains(&"helper") {
                tried.push("helper");
                if let Ok(config) = git2::Config::open_default()
                    && let Ok(cred) = Cred::credential_helper(&config, &url, username)
                {
                    return Ok(cred);
                }
            }
            if !tried.contains(&"askpass") {
                tried.push("askpass");
                if let Some((user, pass)) = askpass(&url, username) {
                    return Cred::userpass_plaintext(&user, &pass);
                }
            }
        }
        if allowed.contains(CredentialType::DEFAULT) && !tried.contains(&"default") {
            tried.push("default");
            return Cred::default();
        }
        Err(git2::Error::from_str(
            "no credentials: use ssh-agent, a git credential helper or GIT_ASKPASS",
        ))
    });
    callbacks
}

/// Asks `GIT_ASKPASS` for a user name (unless known) and a password.
fn askpass(url: &str, username: Option<&str>) -> Option<(String, String)> {
    let program = std::env::var_os("GIT_ASKPASS")?;
    let ask = |prompt: String| {
        let out = std::process::Command::new(&program)
            .arg(prompt)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim_end().to_owned())
    };
    let user = match username {
        Some(u) => u.to_owned(),
        None => ask(format!("Username for '{url}': "))?,
    };
    let pass = ask(format!("Password for '{url}': "))?;
    Some((user, pass))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_classified() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("docs");
        std::fs::create_dir_all(&folder).unwrap();
        let repo = dir.path().join("repo");
        Repository::init(&repo).unwrap();
        for url in [
            "https://github.com/tokio-rs/axum",
            "ssh://git@example.com/org/repo.git",
            "git@github.com:org/repo.git",
            "file:///tmp/x",
        ] {
            assert_eq!(locate(url), Location::Remote(url.into()), "{url}");
        }
        assert_eq!(
            locate(repo.to_str().unwrap()),
            Location::Repository(repo.clone())
        );
        assert_eq!(locate(folder.to_str().unwrap()), Location::Folder(folder));
    }

    #[test]
    fn cache_names_are_readable_and_distinct() {
        let a = cache_name("https://github.com/tokio-rs/axum.git");
        let b = cache_name("https://gitlab.com/tokio-rs/axum");
        assert!(
            a.starts_with("tokio-rs-axum-") && a.ends_with(".git"),
            "{a}"
        );
        assert_ne!(a, b);
        assert!(cache_name("git@host:org/repo").starts_with("org-repo-"));
    }
}
