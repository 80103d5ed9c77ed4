//! The vector index of one build: usearch HNSW over chunk embeddings.
//!
//! Keys are chunk ids; vectors are L2-normalised, so cosine distance is used
//! and similarity is `1 - distance`. Vectors are stored as f16: half the size
//! of f32 at the same recall (`benches/recall.rs`, 12,976 real chunk vectors,
//! recall@10 against exact search: f32 1.000, f16 1.000, bf16 0.998, i8 0.935).
//! Serving memory-maps the file.

use std::path::{Path, PathBuf};

use usearch::{Index, IndexOptions, MetricKind, ScalarKind};

use super::IndexError;

/// File name of the vector index inside a build directory.
pub const VECTOR_FILE: &str = "vectors.usearch";

/// Breadth of the HNSW search; higher is slower and closer to exact.
const EXPANSION_SEARCH: usize = 128;

pub struct VectorIndex {
    index: Index,
    path: PathBuf,
    /// Searches running now, at most `slots`: usearch keeps one search
    /// context per thread it reserved, and refuses a search past them
    /// ("Reserve capacity ahead of searches!").
    running: std::sync::Mutex<usize>,
    freed: std::sync::Condvar,
    slots: usize,
}

/// Concurrent searches a served index makes room for.
const SEARCH_SLOTS: usize = 16;

/// The key of a chunk's summary vector: its id with this bit set. Searches
/// skip these keys; the summary re-rank reads them (`VectorIndex::summary`).
pub const SUMMARY_KEY: i64 = 1 << 40;

/// The search contexts usearch reserves by itself: one per core.
fn default_slots() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn options(dimensions: usize) -> IndexOptions {
    IndexOptions {
        dimensions,
        metric: MetricKind::Cos,
        quantization: ScalarKind::F16,
        connectivity: 16,
        expansion_add: 128,
        expansion_search: EXPANSION_SEARCH,
        multi: false,
    }
}

impl VectorIndex {
    /// A new, empty index for vectors of `dimensions`, to be saved at `path`.
    pub fn create(
        path: &Path,
        dimensions: usize,
        capacity: usize,
    ) -> Result<VectorIndex, IndexError> {
        let err = |e| vector_error(path, e);
        let index = Index::new(&options(dimensions)).map_err(err)?;
        index.reserve(capacity.max(16)).map_err(err)?;
        Ok(VectorIndex {
            index,
            path: path.to_owned(),
            running: Default::default(),
            freed: Default::default(),
            slots: default_slots(),
        })
    }

    /// Memory-maps the index saved at `path`.
    pub fn open(path: &Path, dimensions: usize) -> Result<VectorIndex, IndexError> {
        let err = |e| vector_error(path, e);
        let index = Index::new(&options(dimensions)).map_err(err)?;
        let utf8 = path.to_str().ok_or_else(|| IndexError::Vector {
            path: path.to_owned(),
            message: "path is not valid UTF-8".into(),
        })?;
        index.view(utf8).map_err(err)?;
        if index.dimensions() != dimensions {
            return Err(IndexError::Vector {
                path: path.to_owned(),
                message: format!(
                    "holds {}-dimensional vectors, the model makes {dimensions}",
                    index.dimensions()
                ),
            });
        }
        index.change_expansion_search(EXPANSION_SEARCH);
        // Room for more concurrent searches than cores; where usearch will
        // not make it, searches wait for one of the contexts it has.
        let slots = match index.reserve_capacity_and_threads(index.size(), SEARCH_SLOTS) {
            Ok(()) => SEARCH_SLOTS,
            Err(e) => {
                tracing::debug!(
                    "{}: {e}; searches share its default contexts",
                    path.display()
                );
                default_slots()
            }
        };
        Ok(VectorIndex {
            index,
            path: path.to_owned(),
            running: Default::default(),
            freed: Default::default(),
            slots,
        })
    }

    pub fn add(&mut self, key: i64, vector: &[f32]) -> Result<(), IndexError> {
        if self.index.size() + 1 > self.index.capacity() {
            let grown = (self.index.capacity() * 2).max(1024);
            self.index.reserve(grown).map_err(|e| self.error(e))?;
        }
        self.index
            .add(key as u64, vector)
            .map_err(|e| self.error(e))
    }

    pub fn save(&self) -> Result<(), IndexError> {
        let utf8 = self.path.to_str().unwrap_or_default();
        self.index.save(utf8).map_err(|e| self.error(e))
    }

    /// The `limit` nearest chunks: (chunk id, cosine similarity).
    pub fn search(&self, query: &[f32], limit: usize) -> Result<Vec<(i64, f32)>, IndexError> {
        if self.index.size() == 0 {
            return Ok(Vec::new());
        }
        let matches = {
            let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
            while *running >= self.slots {
                running = self.freed.wait(running).unwrap_or_else(|e| e.into_inner());
            }
            *running += 1;
            drop(running);
            // Chunks only: summary vectors re-rank, they do not retrieve.
            let found = self
                .index
                .filtered_search(query, limit, |key| key & SUMMARY_KEY as u64 == 0);
            *self.running.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
            self.freed.notify_one();
            found.map_err(|e| self.error(e))?
        };
        Ok(matches
            .keys
            .iter()
            .zip(&matches.distances)
            .map(|(k, d)| (*k as i64, 1.0 - d))
            .collect())
    }

    /// The summary vector of the chunk with key `key`, if it has one.
    pub fn summary(&self, key: i64) -> Option<Vec<f32>> {
        let mut v = vec![0.0f32; self.index.dimensions()];
        match self.index.get((key | SUMMARY_KEY) as u64, &mut v) {
            Ok(n) if n > 0 => Some(v),
            _ => None,
        }
    }

    /// Number of vectors in the index.
    pub fn size(&self) -> usize {
        self.index.size()
    }

    fn error(&self, e: impl std::fmt::Display) -> IndexError {
        vector_error(&self.path, e)
    }
}

fn vector_error(path: &Path, e: impl std::fmt::Display) -> IndexError {
    IndexError::Vector {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    /// Far more concurrent searches than cores, on a mapped index: none is
    /// refused for want of a search context.
    #[test]
    fn concurrent_searches_all_succeed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(VECTOR_FILE);
        let mut index = VectorIndex::create(&path, 8, 16).unwrap();
        for k in 0..500i64 {
            let v: Vec<f32> = (0..8)
                .map(|d| ((k * 7 + d * 13) % 17) as f32 + 1.0)
                .collect();
            index.add(k, &unit(&v)).unwrap();
        }
        index.save().unwrap();
        let mapped = VectorIndex::open(&path, 8).unwrap();
        std::thread::scope(|scope| {
            for t in 0..32 {
                let mapped = &mapped;
                scope.spawn(move || {
                    for n in 0..200 {
                        let q: Vec<f32> = (0..8).map(|d| ((t + n + d) % 5) as f32 + 0.5).collect();
                        let hits = mapped.search(&unit(&q), 10).expect("a search never fails");
                        assert_eq!(hits.len(), 10);
                    }
                });
            }
        });
    }

    #[test]
    fn summaries_are_kept_apart_from_search() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(VECTOR_FILE);
        let mut index = VectorIndex::create(&path, 4, 4).unwrap();
        index.add(3, &unit(&[1.0, 0.0, 0.0, 0.0])).unwrap();
        index.add(5, &unit(&[0.0, 1.0, 0.0, 0.0])).unwrap();
        // Chunk 5's summary is the query itself, yet only chunks are found.
        index
            .add(5 | SUMMARY_KEY, &unit(&[0.0, 0.0, 1.0, 0.0]))
            .unwrap();
        index.save().unwrap();
        let mapped = VectorIndex::open(&path, 4).unwrap();
        let hits = mapped.search(&unit(&[0.0, 0.0, 1.0, 0.1]), 10).unwrap();
        assert_eq!(hits.iter().map(|h| h.0).collect::<Vec<_>>().len(), 2);
        assert!(hits.iter().all(|h| h.0 == 3 || h.0 == 5), "{hits:?}");
        let summary = mapped.summary(5).unwrap();
        assert!((summary[2] - 1.0).abs() < 1e-3, "{summary:?}");
        assert!(mapped.summary(3).is_none());
    }

    #[test]
    fn saved_index_is_searchable_after_mapping() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(VECTOR_FILE);
        let mut index = VectorIndex::create(&path, 4, 2).unwrap();
        for (key, v) in [
            (7, [1.0, 0.0, 0.0, 0.0]),
            (9, [0.0, 1.0, 0.0, 0.0]),
            (11, [0.7, 0.7, 0.0, 0.0]),
        ] {
            index.add(key, &unit(&v)).unwrap();
        }
        index.save().unwrap();
        let mapped = VectorIndex::open(&path, 4).unwrap();
        assert_eq!(mapped.size(), 3);
        let hits = mapped.search(&unit(&[0.9, 0.1, 0.0, 0.0]), 2).unwrap();
        assert_eq!(hits.iter().map(|h| h.0).collect::<Vec<_>>(), [7, 11]);
        assert!(hits[0].1 > 0.98);
        assert!(VectorIndex::open(&path, 8).is_err());
    }
}
