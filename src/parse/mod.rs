//! Pure parsing: the bytes of one source file in, a [`Document`] of sections out.
//!
//! Nothing here does I/O or knows about indexes; every parser is a free function
//! `&str -> Document` so it can be unit-tested and fuzzed on its own.

mod asciidoc;
mod code;
mod html;
mod man;
mod markdown;
mod notebook;
mod rst;

pub use asciidoc::parse_asciidoc;
pub use code::{GRAMMARS, Grammar, Language, parse_code, parse_example};
pub use html::parse_html;
pub use man::parse_man;
pub use markdown::parse_markdown;
pub use notebook::parse_notebook;
pub use rst::parse_rst;

/// Version of what parsing and chunking produce from a file. Bump it when
/// either changes, so that indexes do not reuse chunks made the old way.
pub const PARSER_VERSION: u32 = 17;

/// Reads a file named by `include_str!` in a doc attribute, relative to the
/// including file; `None` when it cannot or should not be inlined. Injected
/// by the caller so that parsing itself never does I/O.
pub type Include<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Why a file could not be parsed at all.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("not a valid Jupyter notebook: {0}")]
    Notebook(String),
    #[error("the {0} parser gave up on this file (time limit)")]
    TimedOut(&'static str),
}

/// Parses `text`, the content of the file at `path`, as `format`.
pub fn parse_document(
    text: &str,
    path: &str,
    format: Format,
    include: Include<'_>,
) -> Result<Document, ParseError> {
    Ok(match format {
        Format::Markdown => parse_markdown(text, false),
        Format::Mdx => parse_markdown(text, true),
        Format::Rst => parse_rst(text),
        Format::Man => parse_man(text),
        Format::AsciiDoc => parse_asciidoc(text),
        Format::Html => parse_html(text),
        Format::Code(language) => parse_code(text, path, language, include)?,
        Format::Example(language) => parse_example(text, path, language),
        Format::Notebook => parse_notebook(text)?,
    })
}

/// The formats TwinMCP understands, chosen from a file's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Mdx,
    Rst,
    /// A manual page in roff (man or mdoc macros): `ls.1`, `git-rebase.1`.
    Man,
    /// AsciiDoc (`.adoc`, `.asciidoc`).
    AsciiDoc,
    /// An HTML page (`.html`, `.htm`, `.xhtml`): generated docs or written by hand.
    Html,
    Code(Language),
    /// A runnable example program (`examples/…`): indexed whole, as code.
    Example(Language),
    /// A Jupyter notebook: Markdown cells and code cells.
    Notebook,
}

impl Format {
    /// Picks the parser for `path`, or `None` when the file is not documentation.
    pub fn from_path(path: &str) -> Option<Format> {
        let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
        if name.ends_with(".rst.txt") {
            return Some(Format::Rst);
        }
        // A compressed manual page, as `/usr/share/man` keeps them.
        if let Some(inner) = name.strip_suffix(".gz") {
            return (Format::from_path(inner) == Some(Format::Man)).then_some(Format::Man);
        }
        if name == "llms.txt" || name == "llms-full.txt" {
            return Some(Format::Markdown);
        }
        let ext = name.rsplit_once('.').map(|(_, ext)| ext)?;
        match ext {
            "md" | "markdown" => Some(Format::Markdown),
            "mdx" => Some(Format::Mdx),
            "rst" => Some(Format::Rst),
            "ipynb" => Some(Format::Notebook),
            "man" => Some(Format::Man),
            "adoc" | "asciidoc" => Some(Format::AsciiDoc),
            "html" | "htm" | "xhtml" => Some(Format::Html),
            _ if is_man_section(ext) && !name.contains(".so.") && !name.contains(".log.") => {
                Some(Format::Man)
            }
            _ => {
                let language = Language::from_extension(ext)?;
                if name.ends_with(".min.js") {
                    return None;
                }
                Some(if in_dir(path, &["examples", "example"]) {
                    Format::Example(language)
                } else {
                    Format::Code(language)
                })
            }
        }
    }
}

/// Whether one of the folders `path` lies in is named one of `names`.
pub(crate) fn in_dir(path: &str, names: &[&str]) -> bool {
    path.split('/').rev().skip(1).any(|d| names.contains(&d))
}

/// A manual section as a file extension: `1`, `3p`, `1ssl`, `3pm`.
fn is_man_section(ext: &str) -> bool {
    let mut chars = ext.chars();
    chars.next().is_some_and(|c| ('1'..='9').contains(&c))
        && ext.len() <= 5
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

/// One parsed file: its title and its sections in source order.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Document {
    /// Title from front matter or the first top-level heading.
    pub title: Option<String>,
    pub sections: Vec<Section>,
}

/// A run of blocks under one heading path.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Section {
    /// Heading path from the document root to this section, outermost first.
    pub breadcrumb: Vec<String>,
    pub blocks: Vec<Block>,
    /// Documents an item that is not public API (`pub(crate)`, private):
    /// indexed, and ranked below public items.
    pub internal: bool,
}

impl Section {
    /// First line of the section's heading or first block, 1-based.
    #[cfg(test)]
    pub fn start_line(&self) -> u32 {
        self.blocks.first().map_or(0, |b| b.start_line)
    }
}

/// A unit that chunking never splits: a paragraph, a list, a code block, a heading.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub kind: BlockKind,
    pub text: String,
    /// 1-based inclusive line range in the source file.
    pub start_line: u32,
    pub end_line: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockKind {
    /// The heading line(s) that open a section.
    Heading,
    Prose,
    /// A code block; its text is a complete fence (or the literal block) and
    /// `lang` is the fence's language tag when it has one.
    Code {
        lang: Option<String>,
    },
    /// An API item extracted from source: its signature and documentation.
    Item,
}

/// A manual page's NAME line (`git-rebase - Reapply commits…`): the names
/// before the dash and what they do after it.
pub(crate) fn split_name_line(line: &str) -> Option<(&str, &str)> {
    let (names, about) = line.split_once(" - ").or_else(|| line.split_once(" — "))?;
    Some((names.trim(), about.trim()))
}

/// Appends a block to the last of `sections` when that one has `breadcrumb`;
/// a heading or an item, or another breadcrumb, opens a new section. The
/// block spans lines `from..=to` (at least its first line).
pub(crate) fn push_block(
    sections: &mut Vec<Section>,
    breadcrumb: Vec<String>,
    kind: BlockKind,
    text: String,
    (from, to): (u32, u32),
) {
    let fresh = matches!(kind, BlockKind::Heading | BlockKind::Item);
    match sections.last() {
        Some(last) if !fresh && last.breadcrumb == breadcrumb => {}
        _ => sections.push(Section {
            breadcrumb,
            blocks: Vec::new(),
            internal: false,
        }),
    }
    if let Some(last) = sections.last_mut() {
        last.blocks.push(Block {
            kind,
            text,
            start_line: from,
            end_line: to.max(from),
        });
    }
}

/// 1-based line number of byte `offset` in a text whose line starts are `line_starts`.
/// Width of a line's indentation: its leading spaces and tabs, in bytes
/// (other Unicode white space is text, and never split).
pub(crate) fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches([' ', '\t']).len()
}

/// `line` without up to `n` bytes of leading spaces and tabs.
pub(crate) fn dedent_line(line: &str, n: usize) -> &str {
    &line[indent_of(line).min(n)..]
}

pub(crate) fn line_of(line_starts: &[usize], offset: usize) -> u32 {
    match line_starts.binary_search(&offset) {
        Ok(i) => i as u32 + 1,
        Err(i) => i as u32,
    }
}

/// Byte offsets at which each line of `text` starts.
pub(crate) fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// What parser tests read back: section titles below the page's root, and
/// a section's text by the last part of its breadcrumb.
#[cfg(test)]
pub(crate) mod testing {
    use super::Document;

    pub fn titles(doc: &Document) -> Vec<String> {
        doc.sections
            .iter()
            .map(|s| s.breadcrumb[1..].join(" > "))
            .collect()
    }

    pub fn text_of(doc: &Document, last: &str) -> String {
        let section = doc
            .sections
            .iter()
            .find(|s| s.breadcrumb.last().is_some_and(|b| b == last))
            .unwrap_or_else(|| panic!("no section {last}: {:?}", titles(doc)));
        section
            .blocks
            .iter()
            .map(|b| b.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_follow_extensions() {
        assert_eq!(Format::from_path("docs/a.MD"), Some(Format::Markdown));
        assert_eq!(Format::from_path("a.mdx"), Some(Format::Mdx));
        assert_eq!(Format::from_path("x/y.rst.txt"), Some(Format::Rst));
        assert_eq!(
            Format::from_path("src/lib.rs"),
            Some(Format::Code(Language::Rust))
        );
        assert_eq!(
            Format::from_path("examples/tutorial/01.rs"),
            Some(Format::Example(Language::Rust))
        );
        assert_eq!(Format::from_path("man/man1/ls.1"), Some(Format::Man));
        assert_eq!(Format::from_path("doc/openssl.1ssl"), Some(Format::Man));
        assert_eq!(Format::from_path("doc/tool.man"), Some(Format::Man));
        assert_eq!(
            Format::from_path("Documentation/git-rebase.adoc"),
            Some(Format::AsciiDoc)
        );
        assert_eq!(Format::from_path("man/man1/ls.1.gz"), Some(Format::Man));
        assert_eq!(Format::from_path("docs/notes.md.gz"), None);
        assert_eq!(Format::from_path("lib/libz.so.1"), None);
        assert_eq!(Format::from_path("logs/app.log.1"), None);
        assert_eq!(Format::from_path("doc/html/json.html"), Some(Format::Html));
        assert_eq!(Format::from_path("api/Index.HTM"), Some(Format::Html));
        assert_eq!(Format::from_path("Makefile"), None);
        assert_eq!(Format::from_path("a.png"), None);
    }

    #[test]
    fn line_numbers_are_one_based() {
        let starts = line_starts("ab\ncd\n\nef");
        assert_eq!(line_of(&starts, 0), 1);
        assert_eq!(line_of(&starts, 1), 1);
        assert_eq!(line_of(&starts, 3), 2);
        assert_eq!(line_of(&starts, 6), 3);
        assert_eq!(line_of(&starts, 7), 4);
    }
}
