//! Writes one build of one library version, then swaps it in atomically.
//!
//! A build is inserted as `building`, filled inside one SQLite transaction
//! while its tantivy and usearch files are written to a fresh directory, and
//! becomes `ready` in the same commit that deletes its predecessor. A crash
//! at any point leaves the previous build untouched and queryable; the
//! leftovers are removed by the next writer.

use std::fs::File;

use super::catalog::{BREADCRUMB_SEPARATOR, ChunkRow};
use super::text::TextIndexWriter;
use super::vector::{VECTOR_FILE, VectorIndex};
use super::{Catalog, DataDir, IndexError, Library};
use crate::chunk::Chunk;

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
    library: Library,
    version: String,
    text: TextIndexWriter,
    vectors: Option<VectorIndex>,
    files: i64,
    chunks: i64,
}

impl IndexWriter {
    /// Starts a build of `library` at `version` ("" for the default version).
    /// `model` is the embedding model's fingerprint and dimensions, when
    /// chunks will carry vectors. The library row (its options included)
    /// is written when the build commits.
    pub fn begin(
        data: &DataDir,
        library: Library,
        version: &str,
        source_rev: Option<&str>,
        model: Option<(&str, usize)>,
    ) -> Result<IndexWriter, IndexError> {
        let (lock, catalog) = data.open_for_writing()?;
        let build_id = catalog.insert_build(
            &library.id,
            version,
            false,
            source_rev,
            model.map(|m| m.0),
            super::unix_now(),
            (0, 0, 0),
            0,
        )?;
        let dir = data.build_dir(build_id);
        // Anything at this path belongs to no catalog row: an old crash.
        let _ = std::fs::remove_dir_all(&dir);
        let text = TextIndexWriter::create(&dir.join("text"))?;
        let vectors = match model {
            Some((_, dims)) => Some(VectorIndex::create(&dir.join(VECTOR_FILE), dims, 1024)?),
            None => None,
        };
        catalog.begin_write()?;
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
        let id = self
            .catalog
            .insert_document(self.build_id, path, title, hash)?;
        self.files += 1;
        Ok(id)
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
        summary: Option<&[f32]>,
    ) -> Result<i64, IndexError> {
        let breadcrumb = chunk.breadcrumb.join(BREADCRUMB_SEPARATOR);
        let row = ChunkRow {
            key: 0,
            document: document_id,
            breadcrumb,
            text: chunk.text.clone(),
            code: chunk.code.clone(),
            path: path.to_owned(),
            start_line: chunk.start_line,
            end_line: chunk.end_line,
            tokens,
            hash: hash.to_owned(),
            internal: chunk.internal,
        };
        let chunk_id = self
            .catalog
            .insert_chunk(None, self.build_id, document_id, &row)?;
        let title = format!("{doc_title} {path}");
        self.text
            .add(chunk_id, &title, &row.breadcrumb, &chunk.text, &chunk.code)?;
        if let (Some(index), Some(v)) = (self.vectors.as_mut(), vector) {
            index.add(chunk_id, v)?;
            if let Some(s) = summary {
                index.add(chunk_id | super::vector::SUMMARY_KEY, s)?;
            }
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
        self.catalog.cached_embeddings(model, hashes)
    }

    /// Remembers the vector `model` computed for the chunk text with `hash`.
    pub fn cache_embedding(
        &mut self,
        model: &str,
        hash: &str,
        vector: &[f32],
    ) -> Result<(), IndexError> {
        self.catalog.cache_embedding(model, hash, vector)
    }

    /// Finishes the files, then makes this build the library's ready build
    /// for its version and deletes the one it replaces.
    pub fn commit(self) -> Result<BuildStats, IndexError> {
        let dir = self.data.build_dir(self.build_id);
        self.text.commit()?;
        if let Some(vectors) = &self.vectors {
            vectors.save()?;
        }
        let bytes = self.data.build_size(self.build_id);
        let catalog = &self.catalog;
        let old = catalog.retire_ready_builds(&self.library.id, &self.version, self.build_id)?;
        catalog.finish_build(self.build_id, self.files, self.chunks, bytes as i64)?;
        catalog.upsert_library(&self.library)?;
        catalog.commit()?;
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
