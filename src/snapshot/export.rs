//! `snapshot export`: the ready builds of some libraries into one file.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{BuildEntry, BuildRows, FORMAT, MANIFEST, Manifest, Part, SnapshotError, sha256_hex};
use crate::index::{Catalog, DataDir, IndexError, Library, Version};
use crate::search::{display_version, split_library_id};

/// zstd level: vectors barely compress, text does; higher levels cost more
/// time than they save here.
const LEVEL: i32 = 9;

pub struct ExportOptions {
    /// Library IDs (`/org/project` for every version, `/org/project/v1` for
    /// one); empty for every library.
    pub libraries: Vec<String>,
    pub output: PathBuf,
    /// The manifest's creation time (Unix seconds).
    pub created_at: i64,
}

/// A member to be written: its name and where its bytes come from.
enum Source {
    Bytes(Vec<u8>),
    File(PathBuf),
}

/// Writes the snapshot; returns its manifest. The file appears complete or
/// not at all (written beside `output`, then renamed).
pub fn export(data: &DataDir, options: &ExportOptions) -> Result<Manifest, SnapshotError> {
    // Holding the writer lock keeps an index run from replacing a build
    // while its files are being read.
    let _lock = data.lock_for_writing()?;
    let catalog = data.catalog()?;
    let selected = select(&catalog.libraries()?, &options.libraries)?;
    let mut model: Option<String> = None;
    for (_, version) in &selected {
        match (&model, &version.model) {
            (None, Some(m)) => model = Some(m.clone()),
            (Some(a), Some(b)) if a != b => {
                return Err(SnapshotError::Selection(format!(
                    "the selected libraries were indexed with different embedding models ({a}, {b}); export them separately"
                )));
            }
            _ => {}
        }
    }
    let mut builds = Vec::new();
    let mut members: Vec<(String, Source)> = Vec::new();
    for (n, (library, version)) in selected.iter().enumerate() {
        let rows = build_rows(&catalog, library, version)?;
        builds.push(BuildEntry {
            library: library.id.clone(),
            version: version.name.clone(),
            commit: version.source_rev.clone(),
            documents: rows.documents.len() as u64,
            chunks: rows.chunks.len() as u64,
        });
        let json = serde_json::to_vec(&rows)
            .map_err(|e| SnapshotError::Selection(format!("cannot encode {}: {e}", library.id)))?;
        members.push((format!("builds/{n}/catalog.json"), Source::Bytes(json)));
        let dir = data.build_dir(version.build_id);
        let text_dir = dir.join("text");
        let mut text_files: Vec<String> = std::fs::read_dir(&text_dir)
            .map_err(|e| SnapshotError::io(&text_dir, e))?
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|name| !name.ends_with(".lock"))
            .collect();
        text_files.sort();
        for name in text_files {
            members.push((
                format!("builds/{n}/text/{name}"),
                Source::File(text_dir.join(&name)),
            ));
        }
        let vectors = dir.join(crate::index::VECTOR_FILE);
        if version.model.is_some() && vectors.exists() {
            members.push((format!("builds/{n}/vectors.usearch"), Source::File(vectors)));
        }
    }
    let mut parts = Vec::with_capacity(members.len());
    for (name, source) in &members {
        let (size, sha256) = match source {
            Source::Bytes(bytes) => (bytes.len() as u64, sha256_hex(Sha256::digest(bytes))),
            Source::File(path) => hash_file(path)?,
        };
        parts.push(Part {
            name: name.clone(),
            size,
            sha256,
        });
    }
    let manifest = Manifest {
        format: FORMAT,
        twinmcp: env!("CARGO_PKG_VERSION").to_owned(),
        created_at: options.created_at,
        model,
        builds,
        parts,
    };
    write_archive(&options.output, &manifest, &members)?;
    Ok(manifest)
}

/// The ready builds the IDs name, sorted by library id and version.
fn select(
    libraries: &[Library],
    wanted: &[String],
) -> Result<Vec<(Library, Version)>, SnapshotError> {
    let mut out = Vec::new();
    if wanted.is_empty() {
        for library in libraries {
            for version in &library.versions {
                out.push((library.clone(), version.clone()));
            }
        }
    }
    for id in wanted {
        let (library_id, version) = split_library_id(id);
        let Some(library) = libraries.iter().find(|l| l.id == library_id) else {
            let known: Vec<&str> = libraries.iter().map(|l| l.id.as_str()).collect();
            return Err(SnapshotError::Selection(format!(
                "unknown library `{id}`. Indexed libraries: {}",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            )));
        };
        let versions: Vec<&Version> = library
            .versions
            .iter()
            .filter(|v| id_names_all_versions(id) || v.name == version)
            .collect();
        if versions.is_empty() {
            let known: Vec<String> = library
                .versions
                .iter()
                .map(|v| display_version(&v.name))
                .collect();
            return Err(SnapshotError::Selection(format!(
                "library `{library_id}` has no version `{version}`. Known versions: {}",
                known.join(", ")
            )));
        }
        for v in versions {
            out.push((library.clone(), v.clone()));
        }
    }
    out.sort_by(|a, b| (&a.0.id, &a.1.name).cmp(&(&b.0.id, &b.1.name)));
    out.dedup_by(|a, b| a.1.build_id == b.1.build_id);
    Ok(out)
}

/// `/org/project` selects every version; `/org/project/v1` one.
fn id_names_all_versions(id: &str) -> bool {
    split_library_id(id).1.is_empty()
}

fn build_rows(
    catalog: &Catalog,
    library: &Library,
    version: &Version,
) -> Result<BuildRows, IndexError> {
    let (mut documents, chunks) = catalog.build_rows(version.build_id, version.id_offset)?;
    // Documents are numbered within the build, so that a snapshot does not
    // depend on the catalog it came from: exporting an imported build
    // gives back the same bytes.
    let ordinal: std::collections::HashMap<i64, i64> = documents
        .iter_mut()
        .enumerate()
        .map(|(n, d)| {
            let old = std::mem::replace(&mut d.id, n as i64);
            (old, n as i64)
        })
        .collect();
    let chunks = chunks
        .into_iter()
        .map(|mut c| {
            c.document = ordinal.get(&c.document).copied().unwrap_or(-1);
            c
        })
        .collect();
    Ok(BuildRows {
        library: Library {
            versions: Vec::new(),
            ..library.clone()
        },
        version: version.name.clone(),
        source_rev: version.source_rev.clone(),
        model: version.model.clone(),
        created_at: version.created_at,
        bytes: version.bytes,
        documents,
        chunks,
    })
}

fn hash_file(path: &Path) -> Result<(u64, String), SnapshotError> {
    let mut file = File::open(path).map_err(|e| SnapshotError::io(path, e))?;
    let mut hasher = Sha256::new();
    let size = std::io::copy(&mut file, &mut hasher).map_err(|e| SnapshotError::io(path, e))?;
    Ok((size, sha256_hex(hasher.finalize())))
}

fn write_archive(
    output: &Path,
    manifest: &Manifest,
    members: &[(String, Source)],
) -> Result<(), SnapshotError> {
    let partial = output.with_extension("partial");
    let result = (|| -> Result<(), SnapshotError> {
        let io = |e| SnapshotError::io(output, e);
        let file = File::create(&partial).map_err(|e| SnapshotError::io(&partial, e))?;
        let mut encoder = zstd::Encoder::new(BufWriter::new(file), LEVEL).map_err(io)?;
        encoder.include_checksum(true).map_err(io)?;
        let mut tar = tar::Builder::new(encoder);
        let manifest_json = serde_json::to_vec_pretty(manifest).expect("a manifest serializes");
        let mtime = manifest.created_at;
        let size = manifest_json.len() as u64;
        append(
            &mut tar,
            MANIFEST,
            size,
            mtime,
            &mut manifest_json.as_slice(),
        )
        .map_err(io)?;
        for ((name, source), part) in members.iter().zip(&manifest.parts) {
            match source {
                Source::Bytes(bytes) => {
                    append(&mut tar, name, part.size, mtime, &mut bytes.as_slice())
                }
                Source::File(path) => {
                    let file = File::open(path).map_err(|e| SnapshotError::io(path, e))?;
                    // Exactly the bytes hashed; a file that changed since
                    // fails the reader's checksum, never the archive layout.
                    let mut limited = BufReader::new(file).take(part.size);
                    append(&mut tar, name, part.size, mtime, &mut limited)
                }
            }
            .map_err(io)?;
        }
        let encoder = tar.into_inner().map_err(io)?;
        let mut writer = encoder.finish().map_err(io)?;
        writer.flush().map_err(io)?;
        writer
            .into_inner()
            .map_err(|e| io(e.into_error()))?
            .sync_all()
            .map_err(io)?;
        Ok(())
    })();
    match result {
        Ok(()) => std::fs::rename(&partial, output).map_err(|e| SnapshotError::io(output, e)),
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

/// Appends one regular file with a header that depends only on its name,
/// size and the snapshot's time: same input, same bytes.
fn append<W: Write>(
    tar: &mut tar::Builder<W>,
    name: &str,
    size: u64,
    mtime: i64,
    data: &mut dyn Read,
) -> std::io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(size);
    header.set_mode(0o644);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(mtime.max(0) as u64);
    header.set_entry_type(tar::EntryType::Regular);
    tar.append_data(&mut header, name, data)
}
