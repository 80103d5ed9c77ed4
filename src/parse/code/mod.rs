//! Source files: documented public API items and module docs, with tree-sitter.
//!
//! Each item becomes one section whose breadcrumb is its qualified name
//! (`tokio::time::timeout`, `flask.app.Flask.route`) and whose first block is
//! its signature; the doc comment or docstring follows, parsed as Markdown
//! (reStructuredText for Python) so fenced examples stay whole. Private or
//! undocumented items and test code are left out.
//!
//! Languages are one table, [`GRAMMARS`]: adding one is an entry there and an
//! extractor module.

mod c;
mod go;
mod java;
mod js;
mod python;
mod rust;
mod walk;

use walk::{DocFormat, DocLines};

use super::{Block, BlockKind, Document, Include, ParseError, Section};

/// Source languages whose documented API is extracted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Rust,
    Python,
    JavaScript,
    TypeScript,
    Tsx,
    Go,
    Java,
    C,
    Cpp,
}

/// One supported language: how files are recognised, parsed and named.
pub struct Grammar {
    pub language: Language,
    /// Code-fence tag for signatures and examples.
    pub fence: &'static str,
    /// File extensions, lower case, without the dot.
    pub extensions: &'static [&'static str],
    /// Joins the parts of a qualified name.
    pub separator: &'static str,
    /// Name of the module docs of a file at the package root.
    pub root_name: &'static str,
    tree_sitter: fn() -> tree_sitter::Language,
}

/// Every language TwinMCP extracts API documentation from.
pub static GRAMMARS: &[Grammar] = &[
    Grammar {
        language: Language::Rust,
        fence: "rust",
        extensions: &["rs"],
        separator: "::",
        root_name: "crate",
        tree_sitter: || tree_sitter_rust::LANGUAGE.into(),
    },
    Grammar {
        language: Language::Python,
        fence: "python",
        extensions: &["py", "pyi"],
        separator: ".",
        root_name: "package",
        tree_sitter: || tree_sitter_python::LANGUAGE.into(),
    },
    Grammar {
        language: Language::JavaScript,
        fence: "javascript",
        extensions: &["js", "mjs", "cjs", "jsx"],
        separator: ".",
        root_name: "module",
        tree_sitter: || tree_sitter_javascript::LANGUAGE.into(),
    },
    Grammar {
        language: Language::TypeScript,
        fence: "typescript",
        extensions: &["ts", "mts", "cts"],
        separator: ".",
        root_name: "module",
        tree_sitter: || tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
    },
    Grammar {
        language: Language::Tsx,
        fence: "tsx",
        extensions: &["tsx"],
        separator: ".",
        root_name: "module",
        tree_sitter: || tree_sitter_typescript::LANGUAGE_TSX.into(),
    },
    Grammar {
        language: Language::Go,
        fence: "go",
        extensions: &["go"],
        separator: ".",
        root_name: "package",
        tree_sitter: || tree_sitter_go::LANGUAGE.into(),
    },
    Grammar {
        language: Language::Java,
        fence: "java",
        extensions: &["java"],
        separator: ".",
        root_name: "package",
        tree_sitter: || tree_sitter_java::LANGUAGE.into(),
    },
    Grammar {
        language: Language::C,
        fence: "c",
        extensions: &["c"],
        separator: "::",
        root_name: "file",
        tree_sitter: || tree_sitter_c::LANGUAGE.into(),
    },
    // Headers are parsed as C++, which reads C headers too.
    Grammar {
        language: Language::Cpp,
        fence: "cpp",
        extensions: &[
            "h", "hh", "hpp", "hxx", "cc", "cpp", "cxx", "c++", "ipp", "tpp",
        ],
        separator: "::",
        root_name: "file",
        tree_sitter: || tree_sitter_cpp::LANGUAGE.into(),
    },
];

impl Language {
    /// The language of files with extension `ext` (lower case, no dot).
    pub fn from_extension(ext: &str) -> Option<Language> {
        GRAMMARS
            .iter()
            .find(|g| g.extensions.contains(&ext))
            .map(|g| g.language)
    }

    pub fn grammar(self) -> &'static Grammar {
        GRAMMARS
            .iter()
            .find(|g| g.language == self)
            .expect("every language has a grammar")
    }

    /// Code-fence tag: `rust`, `python`, `typescript`, …
    pub fn fence(self) -> &'static str {
        self.grammar().fence
    }
}

/// Extracts the documented public items of one source file at `path`.
/// `include` resolves `include_str!` in Rust doc attributes. Syntax errors
/// are tolerated (tree-sitter recovers around them); a file the parser
/// cannot finish within its time limit is an error.
pub fn parse_code(
    source: &str,
    path: &str,
    language: Language,
    include: Include<'_>,
) -> Result<Document, ParseError> {
    let grammar = language.grammar();
    let tree = walk::parse_tree(source, grammar).ok_or(ParseError::TimedOut(grammar.fence))?;
    let root = tree.root_node();
    Ok(match language {
        Language::Rust => rust::extract(source, path, grammar, root, include),
        Language::Python => python::extract(source, path, grammar, root),
        Language::JavaScript | Language::TypeScript | Language::Tsx => {
            js::extract(source, path, grammar, root)
        }
        Language::Go => go::extract(source, grammar, root),
        Language::Java => java::extract(source, grammar, root),
        Language::C | Language::Cpp => c::extract(source, grammar, root),
    })
}

/// Longest example file kept in one code block, in bytes; longer ones are
/// cut between blank lines.
const EXAMPLE_BLOCK_BYTES: usize = 6000;

/// An example program: one section named after the file, its code in fenced
/// blocks cut only at blank lines.
pub fn parse_example(source: &str, path: &str, language: Language) -> Document {
    let tag = language.fence();
    let name = path.rsplit('/').next().unwrap_or(path).to_owned();
    let mut section = Section {
        breadcrumb: vec![format!("Example: {path}")],
        blocks: Vec::new(),
        internal: false,
    };
    let lines: Vec<&str> = source.lines().collect();
    let mut start = 0;
    while start < lines.len() {
        let mut end = start;
        let mut size = 0;
        while end < lines.len() && (size + lines[end].len() < EXAMPLE_BLOCK_BYTES || end == start) {
            size += lines[end].len() + 1;
            end += 1;
        }
        if end < lines.len() {
            // Back up to a blank line so that no item is cut in half, if there is one.
            if let Some(blank) = (start + 1..end).rev().find(|&i| lines[i].trim().is_empty()) {
                end = blank;
            }
        }
        let body = lines[start..end].join("\n");
        if !body.trim().is_empty() {
            section.blocks.push(Block {
                kind: BlockKind::Code {
                    lang: Some(tag.to_owned()),
                },
                text: format!("```{tag}\n{}\n```", body.trim_matches('\n')),
                start_line: start as u32 + 1,
                end_line: end as u32,
            });
        }
        start = end.max(start + 1);
    }
    let doc_sections = if section.blocks.is_empty() {
        Vec::new()
    } else {
        vec![section]
    };
    Document {
        title: Some(name),
        sections: doc_sections,
    }
}

/// Module path of a source file: `src/time/timeout.rs` → `["time", "timeout"]`.
/// A package nested in a workspace (`clap_builder/src/…`,
/// `packages/react/src/…`) keeps its name; Python's `src/` layout holds the
/// package itself. In Python a `lib/` inside a package is a subpackage
/// (`numpy/lib/_npyio_impl.py` is `numpy.lib.npyio_impl`), not a layout
/// root. File names that stand for their folder (`mod.rs`, `__init__.py`,
/// `index.ts`) are dropped.
fn module_path(path: &str, language: Language) -> Vec<String> {
    let path = path.rsplit_once('.').map_or(path, |(stem, _)| stem);
    let path = path.strip_suffix(".d").unwrap_or(path);
    let mut parts: Vec<&str> = path.split('/').collect();
    let dirs = parts.len().saturating_sub(1);
    let layout_root = |i: usize| match parts[i] {
        "src" => true,
        "lib" => language != Language::Python || i == 0 || !is_identifier(parts[i - 1]),
        _ => false,
    };
    if let Some(src) = (0..dirs).rev().find(|&i| layout_root(i)) {
        let package = src
            .checked_sub(1)
            .filter(|_| language != Language::Python)
            .map(|i| parts[i]);
        parts.drain(..=src);
        if let Some(k) = package {
            parts.insert(0, k);
        }
    }
    parts
        .into_iter()
        .filter(|p| !matches!(*p, "main" | "mod" | "__init__" | "index" | "" | "."))
        .filter(|p| *p != "lib" || language == Language::Python)
        .map(|p| p.trim_start_matches('_').to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Whether a folder name could be a Python package's.
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Turns doc text gathered from `lines` (source line numbers, 1-based) into
/// blocks carrying those line numbers.
fn doc_blocks(doc: &Document, lines: &[u32]) -> Vec<Block> {
    let map = |l: u32| {
        lines
            .get(l.saturating_sub(1) as usize)
            .copied()
            .unwrap_or(l)
    };
    doc.sections
        .iter()
        .flat_map(|s| s.blocks.iter())
        .map(|b| Block {
            kind: if b.kind == BlockKind::Heading {
                BlockKind::Prose
            } else {
                b.kind.clone()
            },
            text: if b.kind == BlockKind::Heading && !b.text.starts_with('#') {
                format!("**{}**", b.text)
            } else {
                b.text.clone()
            },
            start_line: map(b.start_line),
            end_line: map(b.end_line),
        })
        .collect()
}

/// Module docs as sections under the module's name, one per heading; also
/// returns the docs' own title, if they have one.
fn module_sections(
    name: &str,
    docs: &DocLines,
    format: DocFormat,
) -> (Option<String>, Vec<Section>) {
    let (parsed, line_map) = walk::parse_lines(docs, format);
    let sections = parsed
        .sections
        .iter()
        .map(|s| {
            let mut breadcrumb = vec![name.to_owned()];
            breadcrumb.extend(s.breadcrumb.iter().cloned());
            let single = Document {
                title: None,
                sections: vec![s.clone()],
            };
            let mut blocks = doc_blocks(&single, &line_map);
            // Keep the heading out of the text as Markdown sections do.
            if s.blocks
                .first()
                .is_some_and(|b| b.kind == BlockKind::Heading)
            {
                blocks[0].kind = BlockKind::Heading;
            }
            Section {
                breadcrumb,
                blocks,
                internal: false,
            }
        })
        .collect();
    (parsed.title, sections)
}
#[cfg(test)]
mod tests;
