//! Recall of the HNSW vector index against exact search, f32 vs f16 storage.
//!
//! Uses a library's real chunk vectors (from the data dir's embedding cache)
//! and the dev-set questions as queries: recall@10 = share of the exact top
//! 10 (f32 brute force) that the HNSW index returns.
//!
//! `TWINMCP_MODEL=<model> TWINMCP_BENCH_DATA=<data dir> TWINMCP_BENCH_LIBRARY=/org/lib cargo bench --bench recall`

use std::collections::HashSet;
use std::path::PathBuf;

use twinmcp::embed::{BertEmbedder, Embedder, locate_model};
use usearch::{Index, IndexOptions, MetricKind, ScalarKind};

const K: usize = 10;

fn main() {
    let data = std::env::var_os("TWINMCP_BENCH_DATA")
        .map(PathBuf::from)
        .expect("set TWINMCP_BENCH_DATA");
    let library = std::env::var("TWINMCP_BENCH_LIBRARY").expect("set TWINMCP_BENCH_LIBRARY");
    let model = std::env::var_os("TWINMCP_MODEL").map(PathBuf::from);
    let files = locate_model(model.as_deref(), &data.join("models")).expect("model");
    let embedder = BertEmbedder::load(&files).unwrap();

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
            Ok((
                r.get::<_, i64>(0)? as u64,
                blob.chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect(),
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    println!("{library}: {} vectors", vectors.len());

    let queries_path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/eval/queries.jsonl");
    let queries: Vec<Vec<f32>> = std::fs::read_to_string(queries_path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["query"].as_str().map(str::to_owned))
        .map(|q| embedder.embed_query(&q).unwrap())
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
