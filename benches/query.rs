//! `query-docs` latency and serve start-up, on an indexed data dir.
//!
//! Warm latency: the engine is open and the model loaded; each query is new
//! (its vector is computed) and, separately, repeated (vector cached).
//! Start-up: spawn `twinmcp serve`, initialize over stdio, time to the first
//! `query-docs` answer.
//!
//! With `TWINMCP_BENCH_SNAPSHOT=<file>` both run from a snapshot instead:
//! the engine over the snapshot unpacked as `serve --snapshot` does it, and
//! start-up of `serve --snapshot <file>` (unpacking included).
//!
//! `TWINMCP_MODEL=<model> TWINMCP_BENCH_DATA=<data dir> TWINMCP_BENCH_LIBRARY=/org/lib cargo bench --bench query`
//! (`TWINMCP_PRECISION=f32|int8|auto` as for `serve`; default auto; the
//! ranking knobs from the environment as `serve` reads them:
//! `TWINMCP_LENGTH_WEIGHT`, `TWINMCP_POPULARITY_WEIGHT`, `TWINMCP_TASK_ALPHA`, …).

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

use clap::{Parser, ValueEnum};
use twinmcp::embed::Precision;
use twinmcp::index::DataDir;

mod common;
use common::{BenchEnv, dev_questions};
use twinmcp::search::{Engine, Mode, ModelSlot, assemble_answer};

#[derive(clap::Parser)]
struct Ranking {
    #[command(flatten)]
    ranking: twinmcp::cli::RankingArgs,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn queries() -> Vec<String> {
    let mut base = dev_questions();
    if base.is_empty() {
        base = vec![
            "how do I retry a failing job".into(),
            "configure the runtime".into(),
        ];
    }
    // Distinct variants so every timed query computes its own vector.
    let variants = ["", "how to ", "example: ", "docs: ", "explain "];
    variants
        .iter()
        .flat_map(|v| base.iter().map(move |q| format!("{v}{q}")))
        .collect()
}

fn main() {
    let BenchEnv {
        data,
        library,
        model,
    } = BenchEnv::from_env();
    let snapshot = std::env::var_os("TWINMCP_BENCH_SNAPSHOT").map(std::path::PathBuf::from);
    let unpacked = std::env::temp_dir().join(format!("twinmcp-bench-{}", std::process::id()));
    let data = match &snapshot {
        None => DataDir::open(&data).unwrap(),
        Some(file) => {
            let _ = std::fs::remove_dir_all(&unpacked);
            let dir = DataDir::open(&unpacked).unwrap();
            twinmcp::snapshot::import(&dir, file, u64::MAX, None).unwrap();
            dir
        }
    };
    let precision = std::env::var("TWINMCP_PRECISION").map_or(Precision::Auto, |p| {
        Precision::from_str(&p, true).expect("TWINMCP_PRECISION is f32, int8 or auto")
    });
    println!("precision {precision:?}");
    let slot = ModelSlot::new(model, data.models_dir()).with_precision(precision);
    let mut engine = Engine::open(&data, slot).unwrap();
    // The ranking knobs as `serve` reads them from the environment.
    Ranking::parse_from(["query"]).ranking.apply(&mut engine);
    println!(
        "length weight {} (tasks' API items {}), popularity weight {}, summary weight {}",
        engine.length_weight,
        engine.task_length_weight,
        engine.popularity_weight,
        engine.summary_weight
    );
    let lib = engine
        .libraries()
        .unwrap()
        .into_iter()
        .find(|l| l.id == library)
        .expect("library is indexed");
    println!("library {library}: {} chunks", lib.versions[0].chunks);

    let queries = queries();
    // Warm-up: open the indexes, load the model.
    engine
        .search(&library, "warm up", Mode::Hybrid, 40)
        .unwrap();
    for mode in [Mode::Hybrid, Mode::Bm25, Mode::Vector] {
        for pass in ["new", "repeated"] {
            let mut ms: Vec<f64> = queries
                .iter()
                .map(|q| {
                    let t = Instant::now();
                    let ranked = engine.search(&library, q, mode, 40).unwrap();
                    let answer = assemble_answer(ranked.hits, 5000, 20);
                    std::hint::black_box(answer);
                    t.elapsed().as_secs_f64() * 1000.0
                })
                .collect();
            ms.sort_by(f64::total_cmp);
            println!(
                "{mode:?} ({pass} queries, n={}): p50 {:.2} ms, p99 {:.2} ms",
                ms.len(),
                percentile(&ms, 0.5),
                percentile(&ms, 0.99)
            );
            if mode == Mode::Bm25 {
                break;
            }
        }
    }
    match &snapshot {
        None => serve_startup(data.root(), &[], &library),
        Some(file) => {
            let empty = unpacked.join("empty");
            serve_startup(&empty, &["--snapshot", file.to_str().unwrap()], &library);
            let _ = std::fs::remove_dir_all(&unpacked);
        }
    }
}

fn serve_startup(data: &std::path::Path, serve_args: &[&str], library: &str) {
    let mut times = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_twinmcp"))
            .arg("--data-dir")
            .arg(data)
            .arg("serve")
            .args(serve_args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let call = serde_json::json!({
            "jsonrpc": "2.0", "id": 2, "method": "tools/call",
            "params": {"name": "query-docs", "arguments": {"libraryId": library, "query": "getting started"}}
        });
        let init = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}"#;
        writeln!(stdin, "{init}").unwrap();
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        writeln!(
            stdin,
            r#"{{"jsonrpc":"2.0","method":"notifications/initialized"}}"#
        )
        .unwrap();
        writeln!(stdin, "{call}").unwrap();
        loop {
            line.clear();
            if stdout.read_line(&mut line).unwrap() == 0 {
                panic!("server exited before answering");
            }
            if line.contains(r#""id":2"#) {
                break;
            }
        }
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        drop(stdin);
        let _ = child.kill();
        let _ = child.wait();
    }
    times.sort_by(f64::total_cmp);
    println!(
        "serve start-up to first query-docs answer: median {:.0} ms (n=5)",
        times[2]
    );
}
