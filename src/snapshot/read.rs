//! Reading snapshots, which are untrusted: every member is checked against
//! the manifest (name, order, size, SHA-256) and the decompressed stream may
//! not run past what the manifest declares.

use std::cell::Cell;
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use sha2::{Digest, Sha256};

use super::{MANIFEST, MAX_MANIFEST_BYTES, Manifest, SnapshotError, corrupt, part_location};

/// Default limit on what a snapshot may unpack to.
pub const DEFAULT_MAX_BYTES: u64 = 64 << 30;

/// Tar headers, long-name records, padding and the end-of-archive marker
/// allowed per member and in all, on top of the declared sizes.
const OVERHEAD_PER_MEMBER: u64 = 4096;
const OVERHEAD: u64 = 64 << 10;

/// A reader that fails once more than its budget has come out of it; the
/// budget is shared so it can be raised after the manifest is read.
struct Budgeted<R> {
    inner: R,
    left: Rc<Cell<u64>>,
}

impl<R: Read> Read for Budgeted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.left.get();
        let max = buf
            .len()
            .min(usize::try_from(left.saturating_add(1)).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        if n as u64 > left {
            return Err(std::io::Error::other(
                "the archive holds more data than its manifest declares",
            ));
        }
        self.left.set(left - n as u64);
        Ok(n)
    }
}

/// An open snapshot whose manifest has been read and checked.
struct Reader {
    path: PathBuf,
    archive: tar::Archive<Budgeted<zstd::Decoder<'static, BufReader<File>>>>,
    budget: Rc<Cell<u64>>,
}

impl Reader {
    fn open(path: &Path) -> Result<Reader, SnapshotError> {
        let file = File::open(path).map_err(|e| SnapshotError::io(path, e))?;
        let mut magic = [0u8; 4];
        let mut head = BufReader::new(file);
        head.read_exact(&mut magic)
            .map_err(|_| SnapshotError::NotASnapshot {
                path: path.to_owned(),
                reason: "too short".into(),
            })?;
        if magic != [0x28, 0xb5, 0x2f, 0xfd] {
            return Err(SnapshotError::NotASnapshot {
                path: path.to_owned(),
                reason: "not zstd-compressed".into(),
            });
        }
        let mut file = head.into_inner();
        std::io::Seek::rewind(&mut file).map_err(|e| SnapshotError::io(path, e))?;
        let decoder = zstd::Decoder::new(file).map_err(|e| SnapshotError::io(path, e))?;
        let budget = Rc::new(Cell::new(MAX_MANIFEST_BYTES + OVERHEAD));
        let archive = tar::Archive::new(Budgeted {
            inner: decoder,
            left: budget.clone(),
        });
        Ok(Reader {
            path: path.to_owned(),
            archive,
            budget,
        })
    }
}

/// Why reading a member failed: an I/O error of the archive is damage (a
/// truncated or altered file), one of the destination is the machine's.
enum Failure {
    Archive(std::io::Error),
    Destination(std::io::Error),
}

/// Reads the manifest and then every part, checking each; `sink` receives
/// each part's bytes (written to a file under `dest`, or discarded). The
/// manifest is checked before anything is written: format, part names,
/// total size against `max_bytes`.
fn read_all(
    path: &Path,
    max_bytes: u64,
    dest: Option<&Path>,
    manifest_only: bool,
) -> Result<Manifest, SnapshotError> {
    let mut reader = Reader::open(path)?;
    let path = reader.path.clone();
    let budget = reader.budget.clone();
    let mut entries = match reader.archive.entries() {
        Ok(entries) => entries,
        Err(e) => return Err(reader_corrupt(&path, e)),
    };
    let manifest = {
        let mut first = match entries.next() {
            Some(Ok(entry)) => entry,
            Some(Err(e)) => return Err(reader_corrupt(&path, e)),
            None => return Err(not_a_snapshot(&path, "the archive is empty")),
        };
        let name = first.path_bytes().into_owned();
        if name != MANIFEST.as_bytes() {
            return Err(not_a_snapshot(
                &path,
                "the first member is not manifest.json",
            ));
        }
        if first.header().entry_type() != tar::EntryType::Regular
            || first.size() > MAX_MANIFEST_BYTES
        {
            return Err(corrupt(&path, "manifest.json is not a small regular file"));
        }
        let mut bytes = Vec::new();
        if let Err(e) = first.read_to_end(&mut bytes) {
            return Err(reader_corrupt(&path, e));
        }
        parse_manifest(&path, &bytes)?
    };
    check_manifest(&path, &manifest, max_bytes)?;
    if manifest_only {
        return Ok(manifest);
    }
    let declared: u64 = manifest.parts.iter().map(|p| p.size).sum();
    budget.set(declared + OVERHEAD + OVERHEAD_PER_MEMBER * manifest.parts.len() as u64);
    for part in &manifest.parts {
        let mut entry = match entries.next() {
            Some(Ok(entry)) => entry,
            Some(Err(e)) => return Err(reader_corrupt(&path, e)),
            None => {
                return Err(corrupt(
                    &path,
                    format!("it ends before {} (truncated?)", part.name),
                ));
            }
        };
        let name = entry.path_bytes().into_owned();
        if name != part.name.as_bytes() {
            return Err(corrupt(
                &path,
                format!(
                    "found member `{}` where the manifest lists `{}`",
                    String::from_utf8_lossy(&name),
                    part.name
                ),
            ));
        }
        if entry.header().entry_type() != tar::EntryType::Regular || entry.size() != part.size {
            return Err(corrupt(
                &path,
                format!(
                    "{} is not a regular file of the declared {} bytes",
                    part.name, part.size
                ),
            ));
        }
        let mut out: Box<dyn Write> = match dest {
            Some(dest) => {
                let target = dest.join(&part.name);
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| SnapshotError::io(parent, e))?;
                }
                let file = File::create(&target).map_err(|e| SnapshotError::io(&target, e))?;
                Box::new(std::io::BufWriter::new(file))
            }
            None => Box::new(std::io::sink()),
        };
        let target = dest.map(|d| d.join(&part.name)).unwrap_or_default();
        match copy_checked(&mut entry, &mut out, part.size) {
            Ok(sha) if sha == part.sha256 => {}
            Ok(_) => {
                return Err(corrupt(
                    &path,
                    format!("the checksum of {} does not match", part.name),
                ));
            }
            Err(Failure::Archive(e)) => return Err(reader_corrupt(&path, e)),
            Err(Failure::Destination(e)) => return Err(SnapshotError::io(&target, e)),
        }
        out.flush().map_err(|e| SnapshotError::io(&target, e))?;
    }
    match entries.next() {
        None => Ok(manifest),
        Some(Ok(extra)) => Err(corrupt(
            &path,
            format!(
                "member `{}` is not in the manifest",
                String::from_utf8_lossy(&extra.path_bytes())
            ),
        )),
        Some(Err(e)) => Err(reader_corrupt(&path, e)),
    }
}

/// Copies exactly `size` bytes, returning their SHA-256.
fn copy_checked(from: &mut dyn Read, to: &mut dyn Write, size: u64) -> Result<String, Failure> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 << 10];
    let mut left = size;
    while left > 0 {
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = from.read(&mut buf[..want]).map_err(Failure::Archive)?;
        if n == 0 {
            return Err(Failure::Archive(std::io::ErrorKind::UnexpectedEof.into()));
        }
        hasher.update(&buf[..n]);
        to.write_all(&buf[..n]).map_err(Failure::Destination)?;
        left -= n as u64;
    }
    Ok(super::sha256_hex(hasher.finalize()))
}

fn parse_manifest(path: &Path, bytes: &[u8]) -> Result<Manifest, SnapshotError> {
    // The format number is read on its own first, so that a newer snapshot
    // is named as such rather than failing on fields this binary lacks.
    #[derive(serde::Deserialize)]
    struct Format {
        format: u32,
    }
    let format: Format = serde_json::from_slice(bytes)
        .map_err(|e| corrupt(path, format!("manifest.json is not valid: {e}")))?;
    if format.format > super::FORMAT {
        return Err(SnapshotError::TooNew {
            path: path.to_owned(),
            found: format.format,
        });
    }
    serde_json::from_slice(bytes)
        .map_err(|e| corrupt(path, format!("manifest.json is not valid: {e}")))
}

/// Everything that can be checked before unpacking: format, part names
/// (one fixed shape, no duplicates, one catalog per build), sizes.
fn check_manifest(path: &Path, manifest: &Manifest, max_bytes: u64) -> Result<(), SnapshotError> {
    // Newer formats were refused when the manifest was parsed.
    if manifest.format == 0 {
        return Err(corrupt(path, "the manifest names format 0"));
    }
    let builds = manifest.builds.len();
    let mut names = std::collections::HashSet::new();
    let mut catalogs = vec![false; builds];
    let mut declared: u64 = 0;
    for part in &manifest.parts {
        let Some((n, kind)) = part_location(&part.name, builds) else {
            return Err(corrupt(
                path,
                format!("the manifest names an invalid part `{}`", part.name),
            ));
        };
        if !names.insert(part.name.as_str()) {
            return Err(corrupt(
                path,
                format!("part `{}` is listed twice", part.name),
            ));
        }
        if kind == super::PartKind::Catalog {
            catalogs[n] = true;
        }
        if part.sha256.len() != 64 || !part.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(corrupt(
                path,
                format!("part `{}` has no valid SHA-256", part.name),
            ));
        }
        declared = declared.saturating_add(part.size);
    }
    if let Some(n) = catalogs.iter().position(|c| !c) {
        return Err(corrupt(path, format!("build {n} has no catalog.json")));
    }
    if declared > max_bytes {
        return Err(SnapshotError::TooLarge {
            path: path.to_owned(),
            declared,
            limit: max_bytes,
        });
    }
    Ok(())
}

/// Reads and checks only the manifest (`snapshot inspect`).
pub fn read_manifest(path: &Path) -> Result<Manifest, SnapshotError> {
    read_all(path, u64::MAX, None, true)
}

/// Reads the whole snapshot and checks every part, writing nothing.
pub fn verify(path: &Path, max_bytes: u64) -> Result<Manifest, SnapshotError> {
    read_all(path, max_bytes, None, false)
}

/// Unpacks a checked snapshot under `dest` (`dest/builds/<n>/…`); on error
/// what was written under `dest` is left for the caller to remove.
pub(super) fn unpack(path: &Path, max_bytes: u64, dest: &Path) -> Result<Manifest, SnapshotError> {
    read_all(path, max_bytes, Some(dest), false)
}

fn not_a_snapshot(path: &Path, reason: &str) -> SnapshotError {
    SnapshotError::NotASnapshot {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

/// An I/O error while decompressing or unpacking is damage to the file.
fn reader_corrupt(path: &Path, e: std::io::Error) -> SnapshotError {
    let reason = match e.kind() {
        std::io::ErrorKind::UnexpectedEof => "it ends early (truncated?)".to_owned(),
        _ => e.to_string(),
    };
    corrupt(path, reason)
}
