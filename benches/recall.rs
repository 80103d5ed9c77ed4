//! Recall of the HNSW vector index against exact search, f32 vs f16 storage.
//!
//! Uses a library's real chunk vectors (from the data dir's embedding cache)
//! and the dev-set questions as queries: recall@10 = share of the exact top
//! 10 (f32 brute force) that the HNSW index returns.
//!
//! `TWINMCP_MODEL=<model> TWINMCP_BENCH_DATA=<data dir> TWINMCP_BENCH_LIBRARY=/org/lib cargo bench --bench recall`

use std::collections::HashSet;
use twinmcp::embed::{BertEmbedder, Embedder, Precision, locate_model};
use twinmcp::index::decode_vector;
use usearch::{Index, IndexOptions, MetricKind, ScalarKind};

mod common;
use common::{BenchEnv, dev_questions};

const K: usize = 10;

fn main() {
    let BenchEnv {
        data,
        library,
        model,
    } = BenchEnv::from_env();
    let files = locate_model(model.as_deref(), &data.join("models")).expect("model");
    let embedder = BertEmbedder::load(&files, Precision::default()).unwrap();

    let conn = rusqlite::Connection::open(data.join("catalog.sqlite")).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT c.id, e.vector FROM chunks c
             JOIN builds b ON b.id = c.build_id AND b.state = 'ready' AND b.library_id = ?1
             JOIN embeddings e ON e.hash = c.hash AND e.model = ?2",
        )
        .unwrap();
    let vectors: Vec<(u64, Vec<f32>)> = stmt
        .query_map(rusqlite::params![library, embedder.fingerprint()], |r| {
            let blob: Vec<u8> = r.get(1)?;
            Ok((r.get::<_, i64>(0)? as u64, decode_vector(&blob)))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    println!("{library}: {} vectors", vectors.len());

    let queries: Vec<Vec<f32>> = dev_questions()
        .iter()
        .map(|q| embedder.embed_query(q).unwrap())
        .collect();
    assert!(
        !queries.is_empty(),
        "no queries: ../shared/eval/queries.jsonl is needed"
    );

    let exact: Vec<HashSet<u64>> = queries
        .iter()
        .map(|q| {
            let mut scored: Vec<(f32, u64)> = vectors
                .iter()
                .map(|(id, v)| (v.iter().zip(q).map(|(a, b)| a * b).sum(), *id))
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0));
            scored.iter().take(K).map(|s| s.1).collect()
        })
        .collect();

    for quantization in [
        ScalarKind::F32,
        ScalarKind::F16,
        ScalarKind::BF16,
        ScalarKind::I8,
    ] {
        let index = Index::new(&IndexOptions {
            dimensions: embedder.dimensions(),
            metric: MetricKind::Cos,
            quantization,
            connectivity: 16,
            expansion_add: 128,
            expansion_search: 128,
            multi: false,
        })
        .unwrap();
        index.reserve(vectors.len()).unwrap();
        for (id, v) in &vectors {
            index.add(*id, v).unwrap();
        }
        let found: usize = queries
            .iter()
            .zip(&exact)
            .map(|(q, truth)| {
                index
                    .search(q, K)
                    .unwrap()
                    .keys
                    .iter()
                    .filter(|k| truth.contains(k))
                    .count()
            })
            .sum();
        println!(
            "{quantization:?}: recall@{K} {:.4} over {} queries, {:.1} MiB in memory",
            found as f64 / (K * queries.len()) as f64,
            queries.len(),
            index.memory_usage() as f64 / (1 << 20) as f64
        );
    }
}
