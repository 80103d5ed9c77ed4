//! `snapshot import`: adds or replaces the builds a snapshot carries, in one
//! catalog transaction, without embedding anything.

use std::path::{Path, PathBuf};

use super::read::unpack;
use super::{BuildRows, Manifest, SnapshotError, corrupt, read_manifest};
use crate::index::{DataDir, TextIndex, VECTOR_FILE, VectorIndex};
use crate::search::split_library_id;

/// What an import changed.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    /// (library id, version, chunks, whether it replaced a build).
    pub builds: Vec<(String, String, u64, bool)>,
}

/// Imports the snapshot at `path` into `data`. `installed_model` is the
/// fingerprint of the model queries will be embedded with, if one is
/// installed. Nothing changes unless every check passes: the snapshot is
/// unpacked and checked in a staging folder first, and its builds replace
/// the old ones in one transaction.
pub fn import(
    data: &DataDir,
    path: &Path,
    max_bytes: u64,
    installed_model: Option<&str>,
) -> Result<(Manifest, ImportReport), SnapshotError> {
    let manifest = read_manifest(path)?;
    if let (Some(snapshot), Some(installed)) = (&manifest.model, installed_model)
        && snapshot != installed
    {
        return Err(SnapshotError::ModelMismatch {
            path: path.to_owned(),
            snapshot: snapshot.clone(),
            installed: installed.to_owned(),
        });
    }
    let (_lock, catalog) = data.open_for_writing()?;
    let staging = Staging::create(data)?;
    let unpacked = unpack(path, max_bytes, &staging.0)?;
    if unpacked != manifest {
        return Err(corrupt(path, "the file changed while it was read"));
    }
    let mut rows = Vec::with_capacity(manifest.builds.len());
    for (n, entry) in manifest.builds.iter().enumerate() {
        let dir = staging.0.join("builds").join(n.to_string());
        let build = check_build(path, &manifest, n, &dir)?;
        if build.library.id != entry.library || build.version != entry.version {
            return Err(corrupt(
                path,
                format!("build {n} does not match the manifest"),
            ));
        }
        rows.push((dir, build));
    }

    let mut report = ImportReport::default();
    let mut moved: Vec<PathBuf> = Vec::new();
    let mut replaced: Vec<i64> = Vec::new();
    let result = (|| -> Result<(), SnapshotError> {
        catalog.begin_write()?;
        for (dir, build) in &rows {
            let next_id = catalog.next_chunk_id()?;
            let min_key = build.chunks.iter().map(|c| c.key).min().unwrap_or(next_id);
            let offset = next_id - min_key;
            let build_id = catalog.insert_build(
                &build.library.id,
                &build.version,
                true,
                build.source_rev.as_deref(),
                build.model.as_deref(),
                build.created_at,
                (
                    build.documents.len() as i64,
                    build.chunks.len() as i64,
                    build.bytes,
                ),
                offset,
            )?;
            let old = catalog.retire_ready_builds(&build.library.id, &build.version, build_id)?;
            replaced.extend(&old);
            let mut documents = std::collections::HashMap::new();
            for doc in &build.documents {
                let id = catalog.insert_document(
                    build_id,
                    &doc.path,
                    doc.title.as_deref(),
                    &doc.hash,
                )?;
                documents.insert(doc.id, id);
            }
            for chunk in &build.chunks {
                let document = documents.get(&chunk.document).ok_or_else(|| {
                    corrupt(
                        path,
                        format!("a chunk of {} has no document", build.library.id),
                    )
                })?;
                catalog.insert_chunk(Some(chunk.key + offset), build_id, *document, chunk)?;
            }
            let library = &build.library;
            catalog.upsert_library(library)?;
            let target = data.build_dir(build_id);
            // Anything at this path belongs to no catalog row: an old crash.
            let _ = std::fs::remove_dir_all(&target);
            std::fs::rename(dir, &target).map_err(|e| SnapshotError::io(&target, e))?;
            moved.push(target);
            report.builds.push((
                library.id.clone(),
                build.version.clone(),
                build.chunks.len() as u64,
                !old.is_empty(),
            ));
        }
        catalog.commit()?;
        Ok(())
    })();
    if let Err(e) = result {
        catalog.rollback();
        for dir in moved {
            let _ = std::fs::remove_dir_all(dir);
        }
        return Err(e);
    }
    data.remove_build_files(&replaced);
    Ok((manifest, report))
}

/// Reads one unpacked build's catalog rows and checks that they and its
/// index files agree and open.
fn check_build(
    path: &Path,
    manifest: &Manifest,
    n: usize,
    dir: &Path,
) -> Result<BuildRows, SnapshotError> {
    let catalog = dir.join("catalog.json");
    let bytes = std::fs::read(&catalog).map_err(|e| SnapshotError::io(&catalog, e))?;
    let build: BuildRows = serde_json::from_slice(&bytes)
        .map_err(|e| corrupt(path, format!("builds/{n}/catalog.json is not valid: {e}")))?;
    let (id, version) = split_library_id(&build.library.id);
    if id != build.library.id || !version.is_empty() || id.len() < 4 || id.contains("//") {
        return Err(corrupt(
            path,
            format!("`{}` is not a library id", build.library.id),
        ));
    }
    if build.version.contains('/') || build.version.chars().any(char::is_control) {
        return Err(corrupt(
            path,
            format!("`{}` is not a version", build.version),
        ));
    }
    let mut keys = std::collections::HashSet::new();
    if !build
        .chunks
        .iter()
        .all(|c| keys.insert(c.key) && c.key >= 0)
    {
        return Err(corrupt(path, format!("builds/{n} repeats a chunk key")));
    }
    let entry = &manifest.builds[n];
    if entry.chunks != build.chunks.len() as u64 || entry.documents != build.documents.len() as u64
    {
        return Err(corrupt(
            path,
            format!("builds/{n} does not hold what the manifest says"),
        ));
    }
    // The index files must open and know the same chunks; a crafted file
    // that makes a reader panic is refused like any other damage.
    let opened = std::panic::catch_unwind(|| -> Result<(), String> {
        TextIndex::open(&dir.join("text")).map_err(|e| e.to_string())?;
        let vectors = dir.join(VECTOR_FILE);
        match (&build.model, vectors.exists()) {
            (Some(model), true) => {
                if manifest.model.as_ref() != Some(model) {
                    return Err("its model differs from the manifest's".into());
                }
                let dims = crate::embed::fingerprint_dimensions(model);
                let index = VectorIndex::open(&vectors, dims).map_err(|e| e.to_string())?;
                // One vector per chunk, and one more for each API section's
                // summary (none in snapshots made before summaries).
                let chunks = build.chunks.len();
                let summaries = build
                    .chunks
                    .iter()
                    .filter(|c| crate::chunk::api_summary(&c.path, "", &c.text, &c.code).is_some())
                    .count();
                if index.size() != chunks && index.size() != chunks + summaries {
                    return Err(format!(
                        "the vector index holds {} vectors for {} chunks",
                        index.size(),
                        build.chunks.len()
                    ));
                }
                Ok(())
            }
            (Some(_), false) => Err("the vector index is missing".into()),
            (None, true) => Err("it has vectors but no model".into()),
            (None, false) => Ok(()),
        }
    });
    match opened {
        Ok(Ok(())) => Ok(build),
        Ok(Err(reason)) => Err(corrupt(path, format!("builds/{n}: {reason}"))),
        Err(_) => Err(corrupt(
            path,
            format!("builds/{n}: its index files do not open"),
        )),
    }
}

/// A folder in the data dir for unpacking; removed when dropped.
struct Staging(PathBuf);

impl Staging {
    /// A fresh staging folder; those left by killed imports go (the caller
    /// holds the writer lock, so no other import is running).
    fn create(data: &DataDir) -> Result<Staging, SnapshotError> {
        for entry in std::fs::read_dir(data.root())
            .into_iter()
            .flatten()
            .flatten()
        {
            if entry.file_name().to_string_lossy().starts_with("import-") {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = data
            .root()
            .join(format!("import-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| SnapshotError::io(&dir, e))?;
        Ok(Staging(dir))
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
