//! all-MiniLM-L6-v2 against the reference implementation.
//!
//! Reference values are those of sentence-transformers for the same model;
//! the native encoder must agree with candle's `BertModel`; batching and
//! padding must not change a vector.

mod common;

use twinmcp::embed::{BertEmbedder, Embedder, Engine, INT8_AGREEMENT, Precision, locate_model};

fn embedder() -> BertEmbedder {
    embedder_with(Engine::Native)
}

fn embedder_with(engine: Engine) -> BertEmbedder {
    load(engine, Precision::F32)
}

fn load(engine: Engine, precision: Precision) -> BertEmbedder {
    let files = locate_model(
        Some(&common::model_dir()),
        std::path::Path::new("/nonexistent"),
    )
    .unwrap();
    BertEmbedder::load_with(&files, engine, precision).unwrap()
}

/// Texts of every length: empty, one token, a sentence, code, a paragraph,
/// past the model's 256 tokens, and scripts beyond Latin.
fn mixed_texts() -> Vec<String> {
    [
        String::new(),
        "x".to_owned(),
        "This is an example sentence".to_owned(),
        "fn main() { let rt = tokio::runtime::Runtime::new().unwrap(); }".to_owned(),
        "Spawns a new asynchronous task, returning a JoinHandle for it. ".repeat(4),
        "The runtime drives futures to completion; `block_on` waits for one. ".repeat(30),
        "Ünïcödé, 日本語のテキスト, and émoji 🚀 mixed in".to_owned(),
    ]
    .into()
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn matches_the_reference_embedding() {
    let e = embedder();
    assert_eq!(e.dimensions(), 384);
    let v = e.embed_query("This is an example sentence").unwrap();
    let reference = [0.0676569, 0.0634959, 0.0487131, 0.0793050, 0.0374480];
    for (got, want) in v.iter().zip(reference) {
        assert!((got - want).abs() < 2e-4, "{:?} vs {reference:?}", &v[..5]);
    }
    let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-4);
}

#[test]
fn native_encoder_agrees_with_candle() {
    let native = embedder();
    let candle = embedder_with(Engine::Candle);
    let owned = mixed_texts();
    let texts: Vec<&str> = owned.iter().map(String::as_str).collect();
    // One packed batch of mixed lengths against candle's padded batch.
    let a = native.embed_passages(&texts).unwrap();
    let b = candle.embed_passages(&texts).unwrap();
    for ((text, x), y) in texts.iter().zip(&a).zip(&b) {
        let c = cosine(x, y);
        assert!(c > 0.9999, "{text:?}: cosine {c}");
    }
    for text in [
        "how do I retry a failing job",
        "stop a task after 5 seconds",
    ] {
        let c = cosine(
            &native.embed_query(text).unwrap(),
            &candle.embed_query(text).unwrap(),
        );
        assert!(c > 0.9999, "{text:?}: cosine {c}");
    }
}

#[test]
fn batching_and_padding_do_not_change_vectors() {
    let e = embedder();
    let long = "Tokio is an asynchronous runtime for the Rust programming language. ".repeat(10);
    let texts = ["This is an example sentence", long.as_str(), "short"];
    let batch = e.embed_passages(&texts).unwrap();
    for (text, v) in texts.iter().zip(&batch) {
        let alone = e.embed_passages(&[text]).unwrap().remove(0);
        assert!(cosine(v, &alone) > 0.9999, "{text}");
    }
    // Over 256 word pieces the input is truncated, not rejected.
    let huge = "word ".repeat(2000);
    assert_eq!(e.embed_passages(&[&huge]).unwrap()[0].len(), 384);
    assert_eq!(e.count_tokens(&huge), 2000);
}

#[test]
fn paraphrases_are_closer_than_unrelated_text() {
    let e = embedder();
    let q = e.embed_query("stop a task after 5 seconds").unwrap();
    let v = e
        .embed_passages(&[
            "Requires a future to complete before the specified duration has elapsed; cancels it on timeout.",
            "Reads the entire contents of a file into a string.",
        ])
        .unwrap();
    assert!(cosine(&q, &v[0]) > cosine(&q, &v[1]) + 0.05);
}

#[test]
fn int8_weights_agree_with_f32_and_auto_uses_them_for_queries_only_and_bf16_for_passages() {
    let f32 = embedder();
    let int8 = load(Engine::Native, Precision::Int8);
    let auto = load(Engine::Native, Precision::Auto);
    let mut owned = mixed_texts();
    owned[0] = "error: unused variable `x` --> src/main.rs:2:9".to_owned();
    let texts: Vec<&str> = owned.iter().map(String::as_str).collect();
    let exact = f32.embed_passages(&texts).unwrap();
    let quantized = int8.embed_passages(&texts).unwrap();
    let mut worst = 1.0f32;
    for ((text, x), y) in texts.iter().zip(&exact).zip(&quantized) {
        let c = cosine(x, y);
        assert!(c >= INT8_AGREEMENT, "{text:?}: cosine {c}");
        assert!(c < 1.0 - 1e-7, "{text:?}: the 8-bit weights were not used");
        worst = worst.min(c);
    }
    eprintln!("least cosine int8 vs f32: {worst}");
    // Auto: passages in f32 (bfloat16 where the CPU has AVX-512 BF16),
    // queries as with 8-bit weights (where it has AVX2 and FMA), one at a
    // time or together.
    let passages = auto.embed_passages(&texts).unwrap();
    if Precision::Bf16.available() {
        let bf16 = load(Engine::Native, Precision::Bf16);
        assert_eq!(passages, bf16.embed_passages(&texts).unwrap());
    } else {
        assert_eq!(passages, exact);
    }
    let queries = [
        "how do I retry a failing job",
        "stop a task after 5 seconds",
    ];
    let together = auto.embed_queries(&queries).unwrap();
    for (q, v) in queries.iter().zip(&together) {
        let alone = auto.embed_query(q).unwrap();
        assert!(cosine(&alone, v) > 0.9999, "{q}");
        let want = if has_avx2_fma() {
            int8.embed_query(q).unwrap()
        } else {
            f32.embed_query(q).unwrap()
        };
        assert!(cosine(&alone, &want) > 0.99999, "{q}");
    }
}

/// bfloat16 where the CPU has AVX-512 BF16: vectors within a cosine of
/// 0.9999 of f32 (far inside `INT8_AGREEMENT`), for passages and queries,
/// one query alone as in a batch; elsewhere exactly the f32 vectors.
#[test]
fn bf16_agrees_with_f32_where_the_cpu_has_it_and_is_f32_elsewhere() {
    let f32 = embedder();
    let bf16 = load(Engine::Native, Precision::Bf16);
    let owned = mixed_texts();
    let texts: Vec<&str> = owned.iter().map(String::as_str).collect();
    let exact = f32.embed_passages(&texts).unwrap();
    let rounded = bf16.embed_passages(&texts).unwrap();
    if !Precision::Bf16.available() {
        assert_eq!(rounded, exact, "without AVX-512 BF16, bf16 computes in f32");
        return;
    }
    let mut worst = 1.0f32;
    for ((text, x), y) in texts.iter().zip(&exact).zip(&rounded) {
        let c = cosine(x, y);
        assert!(c >= 0.9999, "{text:?}: cosine {c}");
        assert!(x != y, "{text:?}: bfloat16 was not used");
        worst = worst.min(c);
    }
    eprintln!("least cosine bf16 vs f32: {worst}");
    let queries = [
        "how do I retry a failing job",
        "stop a task after 5 seconds",
    ];
    let together = bf16.embed_queries(&queries).unwrap();
    for (q, v) in queries.iter().zip(&together) {
        let alone = bf16.embed_query(q).unwrap();
        assert!(cosine(&alone, v) > 0.9999, "{q}");
        assert!(cosine(&alone, &f32.embed_query(q).unwrap()) > 0.9999, "{q}");
    }
}

fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// all-mpnet-base-v2 (the MPNet architecture: relative position buckets,
/// positions past the padding id, no token types) against
/// sentence-transformers' vectors for the same texts, at 256 tokens. The
/// model comes from `TWINMCP_MPNET_MODEL` (`.ci/setup.sh` installs it from
/// PyPI); the third text runs past 256 tokens and is truncated.
#[test]
fn mpnet_matches_the_reference_embedding() {
    let dir = std::env::var_os("TWINMCP_MPNET_MODEL")
        .map(std::path::PathBuf::from)
        .expect("TWINMCP_MPNET_MODEL must name all-mpnet-base-v2 (see .ci/setup.sh)");
    let files = locate_model(Some(&dir), std::path::Path::new("/nonexistent")).unwrap();
    let e = BertEmbedder::load_with(&files, Engine::Native, Precision::F32).unwrap();
    assert_eq!(e.dimensions(), 768);
    let texts = [
        "Remove missing values.".to_owned(),
        "How do I read a CSV file into a data frame with pandas?".to_owned(),
        "DataFrame.dropna\nDrop the rows where at least one element is missing. ".repeat(12),
    ];
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let v = e.embed_passages(&refs).unwrap();
    let reference: [[f32; 6]; 3] = [
        [
            -0.001041, 0.032171, -0.021817, 0.030611, -0.012921, 0.032583,
        ],
        [-0.00285, -0.02952, 0.004655, -0.001125, 0.038882, 0.071608],
        [0.037748, 0.041921, -0.021053, 0.028021, -0.030223, 0.095538],
    ];
    for (got, want) in v.iter().zip(reference) {
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 2e-4, "{:?} vs {want:?}", &got[..6]);
        }
    }
    for ((a, b), want) in [(0, 1), (0, 2), (1, 2)]
        .into_iter()
        .zip([0.08364, 0.51264, 0.34664])
    {
        let c = cosine(&v[a], &v[b]);
        assert!((c - want).abs() < 2e-4, "cosine {a}-{b}: {c} vs {want}");
    }
    // A query's vector is a passage's (no prefixes for this model).
    let q = e.embed_query(&texts[0]).unwrap();
    assert!(cosine(&q, &v[0]) > 0.9999);
    // candle has no MPNet: asking for it is a clear error, not wrong vectors.
    let candle = BertEmbedder::load_with(&files, Engine::Candle, Precision::F32);
    assert!(candle.is_err());
}
