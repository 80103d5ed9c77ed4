//! Embedding throughput of the bundled model on this machine.
//!
//! Reports chunks/s, tokens/s and GFLOP/s for chunks of ~128 and ~256 tokens
//! on 1 and 2 threads, for real chunks of a corpus (mixed lengths, set
//! `TWINMCP_BENCH_CORPUS` to a folder), and candle's large-matmul throughput
//! as the peak to compare against. Medians of `RUNS` runs. The native encoder
//! by default; `TWINMCP_BENCH_ENGINE=candle` measures candle's `BertModel`.
//!
//! `TWINMCP_MODEL=<model dir> cargo bench --bench embed`; every figure for
//! f32, for 8-bit weights (`Precision::Int8`) and, where the CPU has AVX-512
//! BF16, for bfloat16 (`Precision::Bf16`), then the cosine of each to f32.
//! `TWINMCP_BENCH_QUERIES_ONLY=1` stops after the query latency.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use candle_core::{Device, Tensor};
use twinmcp::chunk::{ChunkLimits, chunk_document};
use twinmcp::embed::{BertEmbedder, Embedder, Engine, Precision, locate_model};
use twinmcp::parse::parse_document;
use twinmcp::source::{CrawlOptions, crawl_folder};

const RUNS: usize = 3;
const BATCH: usize = 64;
/// Multiply-adds of MiniLM-L6's dense layers per token, times two.
const DENSE_FLOP_PER_TOKEN: f64 = 2.0 * 6.0 * (4.0 * 384.0 * 384.0 + 2.0 * 384.0 * 1536.0);

fn flop_per_token(len: f64) -> f64 {
    // Attention scores and weighted sum: 2 matmuls of len x 384 per layer.
    DENSE_FLOP_PER_TOKEN + 6.0 * 4.0 * len * 384.0
}

/// Median wall time of `RUNS` calls of `f`, in seconds.
fn median_secs(mut f: impl FnMut()) -> f64 {
    let mut xs: Vec<f64> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    if std::env::var_os("TWINMCP_BENCH_THREADS").is_none() {
        for threads in ["1", "2"] {
            let status = Command::new(std::env::current_exe().unwrap())
                .env("TWINMCP_BENCH_THREADS", threads)
                .env("RAYON_NUM_THREADS", threads)
                .status()
                .expect("bench child runs");
            assert!(status.success());
        }
        return;
    }
    let threads = std::env::var("TWINMCP_BENCH_THREADS").unwrap();
    let model = std::env::var_os("TWINMCP_MODEL").map(PathBuf::from);
    let files = locate_model(
        model.as_deref(),
        &twinmcp::search::default_data_dir().join("models"),
    )
    .expect("set TWINMCP_MODEL to the installed model");
    let engine = match std::env::var("TWINMCP_BENCH_ENGINE").as_deref() {
        Ok("candle") => Engine::Candle,
        _ => Engine::Native,
    };
    let f32_model = BertEmbedder::load_with(&files, engine, Precision::F32).expect("model loads");
    let int8_model = BertEmbedder::load_with(&files, engine, Precision::Int8).expect("model loads");
    // bfloat16 where the CPU has AVX-512 BF16 (elsewhere it would be f32 again).
    let bf16_model = Precision::Bf16
        .available()
        .then(|| BertEmbedder::load_with(&files, engine, Precision::Bf16).expect("model loads"));
    println!("== {threads} thread(s), {engine:?} encoder");

    let peak = matmul_peak();
    let mut reduced = vec![("int8", &int8_model)];
    reduced.extend(bf16_model.as_ref().map(|m| ("bf16", m)));
    for (precision, embedder) in [("f32", &f32_model)].into_iter().chain(reduced.clone()) {
        println!("-- {precision}");
        throughput(embedder, peak);
    }
    if std::env::var_os("TWINMCP_BENCH_QUERIES_ONLY").is_none() {
        for (precision, embedder) in reduced {
            agreement(precision, &f32_model, embedder);
        }
    }
}

/// Cosine between the f32 and reduced-precision vectors of the same texts:
/// queries, and real chunks when `TWINMCP_BENCH_CORPUS` is set.
fn agreement(precision: &str, f32_model: &BertEmbedder, int8_model: &BertEmbedder) {
    let cosine = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    let report = |what: &str, mut cos: Vec<f32>| {
        cos.sort_by(f32::total_cmp);
        println!(
            "{precision} vs f32 cosine, {what} ({}): min {:.5}, median {:.5}",
            cos.len(),
            cos[0],
            cos[cos.len() / 2]
        );
    };
    let queries: Vec<String> = sample_words()
        .chunks(9)
        .take(200)
        .map(|w| w.join(" "))
        .collect();
    let refs: Vec<&str> = queries.iter().map(String::as_str).collect();
    let (a, b) = (
        f32_model.embed_queries(&refs).unwrap(),
        int8_model.embed_queries(&refs).unwrap(),
    );
    report(
        "queries of 9 words",
        a.iter().zip(&b).map(|(a, b)| cosine(a, b)).collect(),
    );
    if let Some(corpus) = std::env::var_os("TWINMCP_BENCH_CORPUS") {
        let chunks = corpus_chunks(&PathBuf::from(&corpus), 512);
        let refs: Vec<&str> = chunks.iter().map(String::as_str).collect();
        let (a, b) = (
            f32_model.embed_passages(&refs).unwrap(),
            int8_model.embed_passages(&refs).unwrap(),
        );
        report(
            "real chunks",
            a.iter().zip(&b).map(|(a, b)| cosine(a, b)).collect(),
        );
    }
}

fn throughput(embedder: &BertEmbedder, peak: f64) {
    // One short query at a time, as `query-docs` embeds them.
    let queries = [
        "how do I retry a failing job",
        "stop a task after 5 seconds",
        "configure middleware for one route",
        "add a --verbose flag",
        "graceful shutdown of the server",
    ];
    for q in queries {
        embedder.embed_query(q).unwrap();
    }
    let mut ms: Vec<f64> = (0..200)
        .map(|i| {
            let q = format!("{} {i}", queries[i % queries.len()]);
            let t = Instant::now();
            embedder.embed_query(&q).unwrap();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    println!(
        "query embedding (one short query): p50 {:.2} ms, p99 {:.2} ms",
        ms[ms.len() / 2],
        ms[ms.len() * 99 / 100]
    );

    // Concurrent queries, embedded together as the server batches them.
    for n in [4usize, 16, 32] {
        let batch: Vec<String> = (0..n)
            .map(|i| format!("{} {i}", queries[i % queries.len()]))
            .collect();
        let refs: Vec<&str> = batch.iter().map(String::as_str).collect();
        let secs = median_secs(|| {
            embedder.embed_queries(&refs).unwrap();
        });
        println!(
            "{n} queries in one pass: {:.2} ms ({:.2} ms a query)",
            secs * 1e3,
            secs * 1e3 / n as f64
        );
    }
    if std::env::var_os("TWINMCP_BENCH_QUERIES_ONLY").is_some() {
        return;
    }
    let words = sample_words();
    for target in [128usize, 256] {
        let texts = texts_of_length(embedder, &words, target, BATCH);
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let tokens: usize = texts
            .iter()
            .map(|t| embedder.count_tokens(t).min(256) + 2)
            .sum();
        embedder.embed_passages(&refs[..8]).unwrap();
        let secs = median_secs(|| {
            embedder.embed_passages(&refs).unwrap();
        });
        let gflops = tokens as f64 * flop_per_token(target as f64) / secs / 1e9;
        println!(
            "~{target} tokens/chunk: {:.1} chunks/s, {:.0} tokens/s, {gflops:.1} GFLOP/s ({:.0}% of matmul peak)",
            BATCH as f64 / secs,
            tokens as f64 / secs,
            100.0 * gflops / peak
        );
    }

    if let Some(corpus) = std::env::var_os("TWINMCP_BENCH_CORPUS") {
        let chunks = corpus_chunks(&PathBuf::from(&corpus), 512);
        let refs: Vec<&str> = chunks.iter().map(String::as_str).collect();
        let lens: Vec<usize> = chunks
            .iter()
            .map(|t| embedder.count_tokens(t).min(256) + 2)
            .collect();
        let tokens: usize = lens.iter().sum();
        let flop: f64 = lens
            .iter()
            .map(|&l| l as f64 * flop_per_token(l as f64))
            .sum();
        let secs = median_secs(|| {
            embedder.embed_passages(&refs).unwrap();
        });
        println!(
            "real corpus ({} chunks, mean {:.0} tokens): {:.1} chunks/s, {:.0} tokens/s, {:.1} GFLOP/s ({:.0}% of matmul peak)",
            chunks.len(),
            tokens as f64 / chunks.len() as f64,
            chunks.len() as f64 / secs,
            tokens as f64 / secs,
            flop / secs / 1e9,
            100.0 * flop / secs / 1e9 / peak
        );
    }
}

/// The CPU's f32 matrix-multiply peak as candle (gemm) reaches it: the best
/// of 5 runs, for the model's feed-forward shape and a large square one, the
/// higher of the two (a conservative denominator).
fn matmul_peak() -> f64 {
    let mut best = 0.0f64;
    for (m, k, n) in [(1024, 384, 1536), (2048, 1536, 1536)] {
        let a = Tensor::randn(0f32, 1.0, (m, k), &Device::Cpu).unwrap();
        let b = Tensor::randn(0f32, 1.0, (k, n), &Device::Cpu).unwrap();
        a.matmul(&b).unwrap();
        let reps = 10;
        let gflops = (0..5)
            .map(|_| {
                let t = Instant::now();
                for _ in 0..reps {
                    a.matmul(&b).unwrap();
                }
                reps as f64 * 2.0 * (m * k * n) as f64 / t.elapsed().as_secs_f64() / 1e9
            })
            .fold(0.0, f64::max);
        println!("candle f32 matmul ({m}x{k} · {k}x{n}): {gflops:.1} GFLOP/s (best of 5)");
        best = best.max(gflops);
    }
    best
}

/// Words of real documentation: the fixture library's pages.
fn sample_words() -> Vec<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/lanternfish");
    let crawl = crawl_folder(&root, &CrawlOptions::default()).unwrap();
    crawl
        .files
        .iter()
        .flat_map(|f| {
            f.text
                .split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// `n` texts of about `target` model tokens, cut from `words` at different offsets.
fn texts_of_length(
    embedder: &BertEmbedder,
    words: &[String],
    target: usize,
    n: usize,
) -> Vec<String> {
    (0..n)
        .map(|i| {
            let mut text = String::new();
            let mut k = i * 7;
            while embedder.count_tokens(&text) < target - 2 {
                text.push_str(&words[k % words.len()]);
                text.push(' ');
                k += 1;
            }
            text
        })
        .collect()
}

fn corpus_chunks(root: &std::path::Path, limit: usize) -> Vec<String> {
    let crawl = crawl_folder(root, &CrawlOptions::default()).unwrap();
    let mut out = Vec::new();
    for file in &crawl.files {
        let doc =
            parse_document(&file.text, &file.path, file.format, &|_| None).unwrap_or_default();
        for chunk in chunk_document(&doc, ChunkLimits::default()) {
            out.push(format!("{}\n{}", chunk.breadcrumb.join(" › "), chunk.text));
            if out.len() == limit {
                return out;
            }
        }
    }
    out
}
