//! What the data-dir benchmarks share: their settings and the dev questions.

use std::path::PathBuf;

/// `TWINMCP_BENCH_DATA`, `TWINMCP_BENCH_LIBRARY` and `TWINMCP_MODEL`.
pub struct BenchEnv {
    pub data: PathBuf,
    pub library: String,
    pub model: Option<PathBuf>,
}

impl BenchEnv {
    pub fn from_env() -> BenchEnv {
        BenchEnv {
            data: std::env::var_os("TWINMCP_BENCH_DATA")
                .map(PathBuf::from)
                .expect("set TWINMCP_BENCH_DATA"),
            library: std::env::var("TWINMCP_BENCH_LIBRARY").expect("set TWINMCP_BENCH_LIBRARY"),
            model: std::env::var_os("TWINMCP_MODEL").map(PathBuf::from),
        }
    }
}

/// The questions of `../shared/eval/queries.jsonl`; empty when it is absent.
pub fn dev_questions() -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/eval/queries.jsonl");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["query"].as_str().map(str::to_owned))
        .collect()
}
