//! Writes one build of one library version, then swaps it in atomically.
//!
//! A build is inserted as `building`, filled inside one SQLite transaction
//! while its tantivy and usearch files are written to a fresh directory, and
//! becomes `ready` in the same commit that deletes its predecessor. A crash
//! at any point leaves the previous build untouched and queryable; the
//! leftovers are removed by the next writer.

use std::fs::File;

use rusqlite::params;

use super::catalog::BREADCRUMB_SEPARATOR;
use super::text::TextIndexWriter;
use super::vector::{VECTOR_FILE, VectorIndex};
use super::{Catalog, DataDir, IndexError};
use crate::chunk::Chunk;

/// What the catalog records about a library (also a snapshot's library row).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LibraryMeta {
    pub id: String,
    pub title: String,
    pub description: String,
    /// Where it was indexed from (a path or URL), for `list` and updates.
    pub source: String,
    /// Rules shown above every answer (from the library config).
    pub rules: Vec<String>,
    /// Other names it resolves by (from the library config).
    pub aliases: Vec<String>,
    /// `--ref` and `--versions` as given, so that `update` repeats them.
    pub git_ref: Option<String>,
    pub version_rule: Option<String>,
}

/// Deletes the ready builds of `library` at `version` other than `keep`,
/// returning their ids so that their files can go once the transaction
/// commits. Run it after inserting `keep`: a build id freed before the
/// insert would be handed out again.
pub(crate) fn retire_ready_builds(
    conn: &rusqlite::Connection,
    library: &str,
    version: &str,
    keep: i64,
) -> rusqlite::Result<Vec<i64>> {
    let old: Vec<i64> = conn
        .prepare(
            "SELECT id FROM builds
             WHERE library_id = ?1 AND version = ?2 AND state = 'ready' AND id != ?3",
        )?
        .query_map(params![library, version, keep], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in &old {
        conn.execute("DELETE FROM builds WHERE id = ?1", [id])?;
    }
    Ok(old)
}

/// Inserts or updates the catalog row of `library`. With
/// `keep_version_rule`, a library without a `--versions` rule keeps the
/// one it had (an index run without the flag); otherwise the row takes
/// `library` as it is (a snapshot import).
pub(crate) fn upsert_library(
    conn: &rusqlite::Connection,
    library: &LibraryMeta,
    keep_version_rule: bool,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO libraries (id, title, description, source, rules, aliases, git_ref, version_rule)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (id) DO UPDATE
         SET title = ?2, description = ?3, source = ?4, rules = ?5, aliases = ?6,
             git_ref = ?7, version_rule = CASE WHEN ?9 THEN coalesce(?8, version_rule) ELSE ?8 END",
        params![
            library.id,
            library.title,
            library.description,
            library.source,
            serde_json::to_string(&library.rules).unwrap_or_else(|_| "[]".into()),
            serde_json::to_string(&library.aliases).unwrap_or_else(|_| "[]".into()),
            library.git_ref,
            library.version_rule,
            keep_version_rule,
        ],
    )?;
    Ok(())
}

/// Counts reported when a build is committed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BuildStats {
    pub build_id: i64,
    pub files: i64,
    pub chunks: i64,
    pub bytes: u64,
    pub replaced: usize,
}

/// A vector as stored in the embeddings cache: little-endian f32s.
pub fn encode_vector(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// The inverse of [`encode_vector`].
pub fn decode_vector(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|x| f32::from_le_bytes([x[0], x[1], x[2], x[3]]))
        .collect()
}

pub struct IndexWriter {
    data: DataDir,
    catalog: Catalog,
    _lock: File,
    build_id: i64,
    library: LibraryMeta,
    version: String,
    text: TextIndexWriter,
    vectors: Option<VectorIndex>,
    files: i64,
    chunks: i64,
}

impl IndexWriter {
    /// Starts a build of `library` at `version` ("" for the default version).
    /// `model` is the embedding model's fingerprint and dimensions, when
    /// chunks will carry vectors.
    pub fn begin(
        data: &DataDir,
        library: LibraryMeta,
        version: &str,
        source_rev: Option<&str>,
        model: Option<(&str, usize)>,
    ) -> Result<IndexWriter, IndexError> {
        let (lock, mut catalog) = data.open_for_writing()?;
        let now = super::unix_now();
        let conn = catalog.conn();
        conn.execute(
            "INSERT INTO builds (library_id, version, state, source_rev, model, created_at)
             VALUES (?1, ?2, 'building', ?3, ?4, ?5)",
            params![library.id, version, source_rev, model.map(|m| m.0), now],
        )?;
        let build_id = conn.last_insert_rowid();
        let dir = data.build_dir(build_id);
        // Anything at this path belongs to no catalog row: an old crash.
        let _ = std::fs::remove_dir_all(&dir);
        let text = TextIndexWriter::create(&dir.join("text"))?;
        let vectors = match model {
            Some((_, dims)) => Some(VectorIndex::create(&dir.join(VECTOR_FILE), dims, 1024)?),
            None => None,
        };
        catalog.conn().execute_batch("BEGIN IMMEDIATE")?;
        Ok(IndexWriter {
            data: data.clone(),
            catalog,
            _lock: lock,
            build_id,
            library,
            version: version.to_owned(),
            text,
            vectors,
            files: 0,
            chunks: 0,
        })
    }

    /// Records one source file; its chunks follow with [`IndexWriter::add_chunk`].
    pub fn add_document(
        &mut self,
        path: &str,
        title: Option<&str>,
        hash: &str,
    ) -> Result<i64, IndexError> {
        let conn = self.catalog.conn();
        conn.prepare_cached(
            "INSERT INTO documents (build_id, path, title, hash) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![self.build_id, path, title, hash])?;
        self.files += 1;
        Ok(conn.last_insert_rowid())
    }

    /// Stores one chunk of document `document_id` in the catalog, the text
    /// index and (with `vector`) the vector index.
    #[allow(clippy::too_many_arguments)]
    pub fn add_chunk(
        &mut self,
        document_id: i64,
        path: &str,
        doc_title: &str,
        chunk: &Chunk,
        tokens: u32,
        hash: &str,
        vector: Option<&[f32]>,
    ) -> Result<i64, IndexError> {
        let breadcrumb = chunk.breadcrumb.join(BREADCRUMB_SEPARATOR);
        let conn = self.catalog.conn();
        conn.prepare_cached(
            "INSERT INTO chunks (build_id, document_id, breadcrumb, text, path, start_line, end_line, tokens, hash, code)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(params![
            self.build_id,
            document_id,
            breadcrumb,
            chunk.text,
            path,
            chunk.start_line,
            chunk.end_line,
            tokens,
            hash,
            chunk.code
        ])?;
        let chunk_id = conn.last_insert_rowid();
        let title = format!("{doc_title} {path}");
        self.text
            .add(chunk_id, &title, &breadcrumb, &chunk.text, &chunk.code)?;
        if let (Some(index), Some(v)) = (self.vectors.as_mut(), vector) {
            index.add(chunk_id, v)?;
        }
        self.chunks += 1;
        Ok(chunk_id)
    }

    /// Vectors already computed by `model` for chunk texts with these hashes.
    pub fn cached_embeddings(
        &mut self,
        model: &str,
        hashes: &[&str],
    ) -> Result<Vec<Option<Vec<f32>>>, IndexError> {
        let mut stmt = self
            .catalog
            .conn()
            .prepare_cached("SELECT vector FROM embeddings WHERE model = ?1 AND hash = ?2")?;
        let mut out = Vec::with_capacity(hashes.len());
        for hash in hashes {
            let blob: Option<Vec<u8>> = rusqlite::OptionalExtension::optional(
                stmt.query_row(params![model, hash], |r| r.get(0)),
            )?;
            out.push(blob.as_deref().map(decode_vector));
        }
        Ok(out)
    }

    /// Remembers the vector `model` computed for the chunk text with `hash`.
    pub fn cache_embedding(
        &mut self,
        model: &str,
        hash: &str,
        vector: &[f32],
    ) -> Result<(), IndexError> {
        let bytes = encode_vector(vector);
        self.catalog
            .conn()
            .prepare_cached(
                "INSERT OR REPLACE INTO embeddings (model, hash, vector) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![model, hash, bytes])?;
        Ok(())
    }

    /// Finishes the files, then makes this build the library's ready build
    /// for its version and deletes the one it replaces.
    pub fn commit(mut self) -> Result<BuildStats, IndexError> {
        let dir = self.data.build_dir(self.build_id);
        self.text.commit()?;
        if let Some(vectors) = &self.vectors {
            vectors.save()?;
        }
        let bytes = self.data.build_size(self.build_id);
        let conn = self.catalog.conn();
        let old = retire_ready_builds(conn, &self.library.id, &self.version, self.build_id)?;
        conn.execute(
            "UPDATE builds SET state = 'ready', files = ?2, chunks = ?3, bytes = ?4 WHERE id = ?1",
            params![self.build_id, self.files, self.chunks, bytes as i64],
        )?;
        upsert_library(conn, &self.library, true)?;
        conn.execute_batch("COMMIT")?;
        self.data.remove_build_files(&old);
        tracing::debug!("build {} ready in {}", self.build_id, dir.display());
        Ok(BuildStats {
            build_id: self.build_id,
            files: self.files,
            chunks: self.chunks,
            bytes,
            replaced: old.len(),
        })
    }
}
