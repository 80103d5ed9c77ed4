//! Entry points of the fuzz targets in `fuzz/`, one per reader of untrusted
//! bytes. They live here so that `tests/fuzz_regressions.rs` replays every
//! input the fuzzers found (`fuzz/regressions/<target>/`) through the very
//! same code on every test run. Each must return normally for any input:
//! a panic, a hang or a crash is a bug.

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::chunk::{Chunk, ChunkLimits, chunk_document};
use crate::parse::{Document, Format, GRAMMARS, parse_document};

fn chunk(doc: &Document) -> Vec<Chunk> {
    chunk_document(doc, ChunkLimits::default())
}

fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// Markdown and MDX: parse and chunk.
pub fn markdown(data: &[u8]) {
    let text = text(data);
    for format in [Format::Markdown, Format::Mdx] {
        if let Ok(doc) = parse_document(&text, "docs/page.md", format, &|_| None) {
            chunk(&doc);
        }
    }
}

/// reStructuredText: parse and chunk.
pub fn rst(data: &[u8]) {
    if let Ok(doc) = parse_document(&text(data), "docs/page.rst", Format::Rst, &|_| None) {
        chunk(&doc);
    }
}

/// Manual pages (roff): parse and chunk.
pub fn man(data: &[u8]) {
    if let Ok(doc) = parse_document(&text(data), "man/man1/page.1", Format::Man, &|_| None) {
        chunk(&doc);
    }
}

/// AsciiDoc: parse and chunk.
pub fn asciidoc(data: &[u8]) {
    if let Ok(doc) = parse_document(&text(data), "docs/page.adoc", Format::AsciiDoc, &|_| None) {
        chunk(&doc);
    }
}

/// HTML pages: parse and chunk.
pub fn html(data: &[u8]) {
    if let Ok(doc) = parse_document(&text(data), "docs/page.html", Format::Html, &|_| None) {
        chunk(&doc);
    }
}

/// Jupyter notebooks: parse and chunk.
pub fn notebook(data: &[u8]) {
    if let Ok(doc) = parse_document(&text(data), "docs/n.ipynb", Format::Notebook, &|_| None) {
        chunk(&doc);
    }
}

/// Source code: the first byte picks the grammar, the rest is the file,
/// parsed as library code and as an example; `include_str!` gets the same
/// bytes back.
pub fn code(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let grammar = &GRAMMARS[pick as usize % GRAMMARS.len()];
    let source = text(body);
    let include = |_: &str| Some(source.to_string());
    for path in ["src/lib", "examples/demo"] {
        let path = format!("{path}.{}", grammar.extensions[0]);
        let Some(format) = Format::from_path(&path) else {
            continue;
        };
        if let Ok(doc) = parse_document(&source, &path, format, &include) {
            chunk(&doc);
        }
    }
}

/// Library config files (`context7.json`, `twinmcp.json`) and the path
/// filter they make.
pub fn config(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let name = crate::source::CONFIG_FILES[pick as usize % crate::source::CONFIG_FILES.len()];
    let mut config = crate::source::LibraryConfig::default();
    let mut warnings = Vec::new();
    crate::source::apply_config(&mut config, name, &text(body), &mut warnings);
    let filter = crate::source::PathFilter::new(&config);
    for path in ["README.md", "docs/a.md", "docs/internal/b.md", "src/x/y.rs"] {
        filter.allows(path);
    }
}

/// File bytes to text (encodings, NULs).
pub fn decode(data: &[u8]) {
    let _ = crate::source::decode_text(data.to_vec(), "fuzz");
}

/// Snapshot files: read and check the whole file (nothing is written).
pub fn snapshot(data: &[u8]) {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    let path = FILE.get_or_init(|| {
        std::env::temp_dir().join(format!("twinmcp-fuzz-{}.twinmcp", std::process::id()))
    });
    if std::fs::write(path, data).is_ok() {
        let _ = crate::snapshot::verify(path, 1 << 30);
    }
}

/// MCP tool calls: the first byte picks the tool, the rest is its
/// arguments as JSON, run against a small BM25-only library.
pub fn tool_args(data: &[u8]) {
    static SERVER: OnceLock<crate::mcp::TwinServer> = OnceLock::new();
    let server = SERVER.get_or_init(small_library_server);
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let tool = ["resolve-library-id", "query-docs", "get-library-docs", "x"][pick as usize % 4];
    if let Ok(serde_json::Value::Object(args)) = serde_json::from_slice(body) {
        let _ = server.dispatch(tool, &args);
    }
}

/// A server over a temporary data dir holding `/fuzz/lib`, indexed without
/// vectors (no model is needed; queries run in degraded mode).
fn small_library_server() -> crate::mcp::TwinServer {
    use crate::index::{DataDir, IndexWriter, Library};
    let root = std::env::temp_dir().join(format!("twinmcp-fuzz-data-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let data = DataDir::open(&root).expect("temp data dir");
    let library = Library {
        id: "/fuzz/lib".into(),
        title: "Fuzz".into(),
        description: "A library for fuzzing tool arguments".into(),
        source: root.display().to_string(),
        rules: vec!["Use the queue".into()],
        aliases: vec!["fuzz-lib".into()],
        ..Library::default()
    };
    let mut writer = IndexWriter::begin(&data, library, "", None, None).expect("writer");
    let doc = crate::parse::parse_markdown(
        "# Queue\n\nEnqueue jobs with `queue.add()`.\n\n## Retries\n\nRetry with backoff.\n\n\
         ## Scheduling\n\nCron schedules in a time zone.\n",
        false,
    );
    let id = writer
        .add_document("README.md", doc.title.as_deref(), "h")
        .expect("doc");
    for (n, c) in chunk(&doc).iter().enumerate() {
        writer
            .add_chunk(
                id,
                "README.md",
                "Queue",
                c,
                10,
                &format!("c{n}"),
                None,
                None,
            )
            .expect("chunk");
    }
    writer.commit().expect("commit");
    let slot = crate::search::ModelSlot::new(Some(root.join("no-model")), data.models_dir());
    let engine = crate::search::Engine::open(&data, slot).expect("engine");
    crate::mcp::TwinServer::new(std::sync::Arc::new(engine))
}
