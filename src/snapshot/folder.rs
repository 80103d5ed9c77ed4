//! `serve --snapshot-dir`: keeps a private data dir in step with a folder of
//! snapshot files (a mounted volume that CI or a sidecar fills). Each
//! [`SnapshotFolder::sync`] imports the `*.twinmcp` files that are new or
//! changed, and removes the builds of files that are gone; it returns what
//! it did as [`FolderEvent`]s for the caller to log.
//!
//! A file is swapped in the way `snapshot import` swaps one: checked whole
//! in a staging folder, then committed in one transaction, so requests in
//! flight finish on the old builds and new ones see the new builds. A
//! damaged or half-written file is refused (and not tried again until it
//! changes) and what was served stays served. A file modified within the
//! last [`SETTLE`] is still being written: it is looked at again once it has
//! settled. The documented way to publish is to copy to a hidden or
//! differently named file in the same folder, then rename it to `*.twinmcp`.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use super::{SnapshotError, import};
use crate::index::DataDir;

/// How long a file must go unmodified before it is read.
pub const SETTLE: Duration = Duration::from_secs(1);

/// What a sync did, one event per file.
#[derive(Debug, Clone, PartialEq)]
pub enum FolderEvent {
    /// A new or changed file now serves its builds.
    Loaded {
        file: PathBuf,
        builds: usize,
        replaced: bool,
        seconds: f64,
    },
    /// A file failed its checks; the builds served before stay.
    Refused { file: PathBuf, error: String },
    /// A file is still being written; it is read once it settles.
    Waiting { file: PathBuf },
    /// A file went away, and with it the builds no other file carries.
    Removed { file: PathBuf, builds: usize },
    /// The folder could not be listed; nothing changed.
    Unreadable { error: String },
}

/// Shared with `/health/ready`: ready once the first sync is done and while
/// at least one file is served.
#[derive(Debug, Default)]
pub struct FolderState {
    synced: AtomicBool,
    served: AtomicUsize,
}

impl FolderState {
    pub fn ready(&self) -> Result<(), &'static str> {
        if !self.synced.load(Ordering::Acquire) {
            Err("the snapshot folder is not loaded yet")
        } else if self.served.load(Ordering::Acquire) == 0 {
            Err("no snapshot is served: the snapshot folder holds no valid *.twinmcp file")
        } else {
            Ok(())
        }
    }

    pub fn served(&self) -> usize {
        self.served.load(Ordering::Acquire)
    }
}

/// Identity of a file's contents as the folder shows them: a rename-in
/// brings a new inode, a rewrite a new length or time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: SystemTime,
    inode: u64,
}

impl Stamp {
    fn of(path: &Path) -> std::io::Result<Stamp> {
        let meta = std::fs::metadata(path)?;
        Ok(Stamp {
            len: meta.len(),
            modified: meta.modified()?,
            inode: inode(&meta),
        })
    }
}

#[cfg(unix)]
fn inode(meta: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(meta)
}

#[cfg(not(unix))]
fn inode(_: &std::fs::Metadata) -> u64 {
    0
}

struct Served {
    stamp: Stamp,
    /// (library id, version) of each build the file carries.
    builds: Vec<(String, String)>,
}

pub struct SnapshotFolder {
    dir: PathBuf,
    data: DataDir,
    max_bytes: u64,
    installed_model: Option<String>,
    served: HashMap<PathBuf, Served>,
    refused: HashMap<PathBuf, Stamp>,
    state: std::sync::Arc<FolderState>,
}

impl SnapshotFolder {
    /// Serves the snapshot files of `dir` from the private data dir `data`.
    pub fn new(
        dir: PathBuf,
        data: DataDir,
        max_bytes: u64,
        installed_model: Option<String>,
    ) -> SnapshotFolder {
        SnapshotFolder {
            dir,
            data,
            max_bytes,
            installed_model,
            served: HashMap::new(),
            refused: HashMap::new(),
            state: Default::default(),
        }
    }

    pub fn state(&self) -> std::sync::Arc<FolderState> {
        self.state.clone()
    }

    /// One pass over the folder.
    pub fn sync(&mut self) -> Vec<FolderEvent> {
        let mut events = Vec::new();
        let files = match self.list() {
            Ok(files) => files,
            Err(e) => {
                events.push(FolderEvent::Unreadable {
                    error: format!("{}: {e}", self.dir.display()),
                });
                self.publish();
                return events;
            }
        };
        let present: HashSet<&PathBuf> = files.iter().map(|(path, _)| path).collect();
        let gone: Vec<PathBuf> = self
            .served
            .keys()
            .filter(|path| !present.contains(path))
            .cloned()
            .collect();
        for file in gone {
            let served = self
                .served
                .remove(&file)
                .map(|s| s.builds)
                .unwrap_or_default();
            match self.release(&served) {
                Ok(builds) => events.push(FolderEvent::Removed { file, builds }),
                Err(e) => events.push(FolderEvent::Refused {
                    file,
                    error: format!("its builds could not be removed: {e}"),
                }),
            }
        }
        self.refused.retain(|path, _| present.contains(path));
        for (file, stamp) in files {
            if self.served.get(&file).is_some_and(|s| s.stamp == stamp)
                || self.refused.get(&file) == Some(&stamp)
            {
                continue;
            }
            let Some(stamp) = settled(&file, stamp) else {
                events.push(FolderEvent::Waiting { file });
                continue;
            };
            events.push(self.load(file, stamp));
        }
        self.publish();
        events
    }

    fn publish(&self) {
        self.state
            .served
            .store(self.served.len(), Ordering::Release);
        self.state.synced.store(true, Ordering::Release);
    }

    /// The `*.twinmcp` files of the folder (not hidden ones: a copy in
    /// progress), sorted so that a library in two files is served from the
    /// one that sorts last.
    fn list(&self) -> std::io::Result<Vec<(PathBuf, Stamp)>> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let path = entry?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.starts_with('.') || !name.ends_with(".twinmcp") {
                continue;
            }
            // Gone since the listing, or not a file: not a snapshot.
            match Stamp::of(&path) {
                Ok(stamp) if path.is_file() => files.push((path, stamp)),
                _ => {}
            }
        }
        files.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(files)
    }

    fn load(&mut self, file: PathBuf, stamp: Stamp) -> FolderEvent {
        let started = Instant::now();
        let imported = import(
            &self.data,
            &file,
            self.max_bytes,
            self.installed_model.as_deref(),
        );
        // A file that changed while it was read has another stamp by the
        // next sync, which reads it again.
        match imported {
            Ok((manifest, report)) => {
                let builds: Vec<(String, String)> = manifest
                    .builds
                    .iter()
                    .map(|b| (b.library.clone(), b.version.clone()))
                    .collect();
                let before = self.served.insert(
                    file.clone(),
                    Served {
                        stamp,
                        builds: builds.clone(),
                    },
                );
                self.refused.remove(&file);
                // What the old contents carried and the new do not.
                let dropped: Vec<(String, String)> = before
                    .map(|b| b.builds)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|b| !builds.contains(b))
                    .collect();
                let replaced = report.builds.iter().any(|b| b.3) || !dropped.is_empty();
                if let Err(e) = self.release(&dropped) {
                    tracing::warn!("{}: an old build could not be removed: {e}", file.display());
                }
                FolderEvent::Loaded {
                    file,
                    builds: builds.len(),
                    replaced,
                    seconds: started.elapsed().as_secs_f64(),
                }
            }
            Err(e) => {
                self.refused.insert(file.clone(), stamp);
                FolderEvent::Refused {
                    file,
                    error: e.to_string(),
                }
            }
        }
    }

    /// Stops serving `builds` from the file that carried them. Another
    /// served file that carries one of them is read again (now, or at the
    /// next sync), since its own build of it was replaced when the first
    /// was loaded; the builds no other file carries are removed. Returns how
    /// many were removed.
    fn release(&mut self, builds: &[(String, String)]) -> Result<usize, SnapshotError> {
        let sharers: Vec<PathBuf> = self
            .served
            .iter()
            .filter(|(_, s)| s.builds.iter().any(|b| builds.contains(b)))
            .map(|(path, _)| path.clone())
            .collect();
        let mut kept: HashSet<(String, String)> = HashSet::new();
        for path in sharers {
            if let Some(served) = self.served.remove(&path) {
                kept.extend(served.builds);
            }
        }
        let unclaimed: Vec<&(String, String)> =
            builds.iter().filter(|b| !kept.contains(*b)).collect();
        if unclaimed.is_empty() {
            return Ok(0);
        }
        let (_lock, mut catalog) = self.data.open_for_writing()?;
        let ids: Vec<i64> = catalog
            .libraries()?
            .iter()
            .flat_map(|l| l.versions.iter().map(move |v| (l, v)))
            .filter(|(l, v)| unclaimed.contains(&&(l.id.clone(), v.name.clone())))
            .map(|(_, v)| v.build_id)
            .collect();
        let removed = catalog.remove_builds(&ids)?;
        self.data.remove_build_files(&removed);
        Ok(removed.len())
    }
}

/// The stamp of a file that has gone [`SETTLE`] without a change (waiting
/// out the rest of that time if it is close), or `None` while it is still
/// being written.
fn settled(path: &Path, stamp: Stamp) -> Option<Stamp> {
    let age = SystemTime::now()
        .duration_since(stamp.modified)
        .unwrap_or_default();
    if age >= SETTLE {
        return Some(stamp);
    }
    std::thread::sleep(SETTLE - age);
    let again = Stamp::of(path).ok()?;
    (again == stamp).then_some(stamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_or_missing_folder_is_synced_but_not_ready() {
        let tmp = tempfile::tempdir().unwrap();
        let data = DataDir::open(&tmp.path().join("data")).unwrap();
        let mut folder = SnapshotFolder::new(tmp.path().join("none"), data, 1 << 20, None);
        let state = folder.state();
        assert!(state.ready().unwrap_err().contains("not loaded yet"));
        let events = folder.sync();
        assert!(
            matches!(&events[..], [FolderEvent::Unreadable { .. }]),
            "{events:?}"
        );
        assert!(state.ready().unwrap_err().contains("no snapshot is served"));
    }

    #[test]
    fn a_file_still_being_written_waits() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("snapshots");
        std::fs::create_dir(&dir).unwrap();
        let growing = dir.join("docs.twinmcp");
        std::fs::write(&growing, b"first bytes").unwrap();
        let writer = {
            let growing = growing.clone();
            std::thread::spawn(move || {
                std::thread::sleep(SETTLE / 3);
                let mut file = std::fs::File::options()
                    .append(true)
                    .open(&growing)
                    .unwrap();
                std::io::Write::write_all(&mut file, b" and more").unwrap();
            })
        };
        let data = DataDir::open(&tmp.path().join("data")).unwrap();
        let mut folder = SnapshotFolder::new(dir, data, 1 << 20, None);
        let events = folder.sync();
        writer.join().unwrap();
        assert!(
            matches!(&events[..], [FolderEvent::Waiting { file }] if file == &growing),
            "{events:?}"
        );
    }

    #[test]
    fn a_damaged_file_is_refused_once_until_it_changes() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("snapshots");
        std::fs::create_dir(&dir).unwrap();
        let bad = dir.join("bad.twinmcp");
        std::fs::write(&bad, b"not a snapshot").unwrap();
        std::fs::write(dir.join(".partial.twinmcp"), b"in progress").unwrap();
        std::fs::write(dir.join("notes.txt"), b"ignored").unwrap();
        let old = SystemTime::now() - Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(&bad)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let data = DataDir::open(&tmp.path().join("data")).unwrap();
        let mut folder = SnapshotFolder::new(dir, data, 1 << 20, None);
        let events = folder.sync();
        assert!(
            matches!(&events[..], [FolderEvent::Refused { file, .. }] if file == &bad),
            "{events:?}"
        );
        assert_eq!(folder.sync(), [], "not tried again while unchanged");
        std::fs::write(&bad, b"still not a snapshot").unwrap();
        let events = folder.sync();
        assert!(
            matches!(&events[..], [FolderEvent::Refused { .. }]),
            "{events:?}"
        );
        assert!(folder.state().ready().is_err());
    }
}
