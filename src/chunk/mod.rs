//! Sections become chunks: the unit that is indexed, ranked and returned.
//!
//! A chunk is a whole section when it fits in [`ChunkLimits::max_chars`];
//! a longer section is split between blocks, each part keeping the section's
//! breadcrumb. A code block is never split; a single prose block longer than
//! [`ChunkLimits::hard_max_chars`] is split between lines as a last resort.
//! A prose section shorter than [`ChunkLimits::min_chars`] (an introduction
//! before its subsections, a two-line note) is joined with the section after
//! it, whose heading is kept in the text; API items are never joined.

use crate::parse::{Block, BlockKind, Document, Section};

/// Size limits for chunks, in characters of rendered text.
#[derive(Debug, Clone, Copy)]
pub struct ChunkLimits {
    pub min_chars: usize,
    pub max_chars: usize,
    pub hard_max_chars: usize,
}

impl Default for ChunkLimits {
    fn default() -> Self {
        ChunkLimits {
            min_chars: 500,
            max_chars: 2400,
            hard_max_chars: 12_000,
        }
    }
}

/// One indexed unit of documentation.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    /// Heading path, outermost first.
    pub breadcrumb: Vec<String>,
    /// Rendered text: prose and code blocks separated by blank lines.
    pub text: String,
    /// Code blocks only, for the BM25 `code` field.
    pub code: String,
    /// 1-based inclusive line range in the source file.
    pub start_line: u32,
    pub end_line: u32,
    /// From a section about an item that is not public API.
    pub internal: bool,
}

/// Splits every section of `doc` into chunks no longer than the limits allow.
pub fn chunk_document(doc: &Document, limits: ChunkLimits) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    for section in &join_small_sections(&doc.sections, limits) {
        let first = chunks.len();
        let mut part: Vec<Block> = Vec::new();
        let mut size = 0;
        for block in &section.blocks {
            for piece in split_oversized(block, limits.hard_max_chars) {
                let len = if piece.kind == BlockKind::Heading {
                    0
                } else {
                    piece.text.len() + 2
                };
                let has_text = part.iter().any(|b| b.kind != BlockKind::Heading);
                if has_text && size + len > limits.max_chars {
                    chunks.extend(make_chunk(&section.breadcrumb, &part));
                    part.clear();
                    size = 0;
                }
                size += len;
                part.push(piece);
            }
        }
        chunks.extend(make_chunk(&section.breadcrumb, &part));
        for chunk in &mut chunks[first..] {
            chunk.internal = section.internal;
        }
    }
    chunks
}

fn text_len(section: &Section) -> usize {
    section
        .blocks
        .iter()
        .filter(|b| b.kind != BlockKind::Heading)
        .map(|b| b.text.len() + 2)
        .sum()
}

fn is_item(section: &Section) -> bool {
    section.blocks.iter().any(|b| b.kind == BlockKind::Item)
}

/// Joins each short prose section with the ones after it until the result
/// reaches `min_chars` (or the next would push it past `max_chars`).
fn join_small_sections(sections: &[Section], limits: ChunkLimits) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::with_capacity(sections.len());
    for section in sections {
        // A heading with no text of its own: its first subsection takes its place.
        if let Some(last) = out.last_mut()
            && text_len(last) == 0
            && !is_item(section)
        {
            let mut merged = section.clone();
            merged.blocks.splice(0..0, last.blocks.iter().cloned());
            *last = merged;
            continue;
        }
        if let Some(last) = out.last_mut()
            && !is_item(last)
            && !is_item(section)
            && text_len(last) < limits.min_chars
            && text_len(last) + text_len(section) <= limits.max_chars
        {
            for block in &section.blocks {
                let mut block = block.clone();
                if block.kind == BlockKind::Heading {
                    // The joined section's heading stays visible in the text.
                    let depth = section.breadcrumb.len().clamp(1, 6);
                    let title = section.breadcrumb.last().cloned().unwrap_or(block.text);
                    block.kind = BlockKind::Prose;
                    block.text = format!("{} {title}", "#".repeat(depth));
                }
                last.blocks.push(block);
            }
            continue;
        }
        out.push(section.clone());
    }
    out
}

fn make_chunk(breadcrumb: &[String], blocks: &[Block]) -> Option<Chunk> {
    let body: Vec<&Block> = blocks
        .iter()
        .filter(|b| b.kind != BlockKind::Heading)
        .collect();
    if body.is_empty() {
        return None;
    }
    let text = body
        .iter()
        .map(|b| b.text.as_str())
        .collect::<Vec<_>>()
        .join("\n\n");
    let code = body
        .iter()
        .filter(|b| matches!(b.kind, BlockKind::Code { .. } | BlockKind::Item))
        .map(|b| b.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    Some(Chunk {
        breadcrumb: breadcrumb.to_vec(),
        text,
        code,
        start_line: blocks.iter().map(|b| b.start_line).min().unwrap_or(1),
        end_line: blocks.iter().map(|b| b.end_line).max().unwrap_or(1),
        internal: false,
    })
}

/// Splits a prose block longer than `hard_max` between lines; code stays whole.
fn split_oversized(block: &Block, hard_max: usize) -> Vec<Block> {
    if block.text.len() <= hard_max || block.kind != BlockKind::Prose {
        return vec![block.clone()];
    }
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = block.start_line;
    // Lines in the text may be fewer than in the source; clamp to the block.
    for (i, line) in block.text.lines().enumerate() {
        if !current.is_empty() && current.len() + line.len() + 1 > hard_max {
            let end = (block.start_line + i as u32)
                .saturating_sub(1)
                .max(start)
                .min(block.end_line);
            out.push(Block {
                kind: BlockKind::Prose,
                text: std::mem::take(&mut current),
                start_line: start,
                end_line: end,
            });
            start = (end + 1).min(block.end_line);
        }
        if !current.is_empty() {
            current.push('\n');
        }
        // A single line longer than the limit is cut at a character boundary.
        let mut line = line;
        while line.len() > hard_max {
            let cut = (0..=hard_max)
                .rev()
                .find(|&i| line.is_char_boundary(i))
                .unwrap_or(0)
                .max(1);
            let cut = (cut..=line.len())
                .find(|&i| line.is_char_boundary(i))
                .unwrap_or(line.len());
            out.push(Block {
                kind: BlockKind::Prose,
                text: line[..cut].to_owned(),
                start_line: start,
                end_line: start,
            });
            line = &line[cut..];
        }
        current.push_str(line);
    }
    if !current.is_empty() || out.is_empty() {
        out.push(Block {
            kind: BlockKind::Prose,
            text: current,
            start_line: start,
            end_line: block.end_line,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_markdown;

    #[test]
    fn a_section_that_fits_is_one_chunk_with_its_heading_lines() {
        let doc = parse_markdown("# A\n\n## B\n\nText.\n\n```js\nx()\n```\n", false);
        let chunks = chunk_document(&doc, ChunkLimits::default());
        assert_eq!(chunks.len(), 1);
        let c = &chunks[0];
        assert_eq!(c.breadcrumb, ["A", "B"]);
        assert_eq!((c.start_line, c.end_line), (1, 9));
        assert_eq!(c.text, "Text.\n\n```js\nx()\n```");
        assert_eq!(c.code, "```js\nx()\n```");
    }

    #[test]
    fn short_prose_sections_join_the_next_but_items_stay_alone() {
        let doc = parse_markdown(
            "# Guide\n\nIntro.\n\n## Install\n\nRun it.\n\n## Use\n\nUse it.\n",
            false,
        );
        let chunks = chunk_document(
            &doc,
            ChunkLimits {
                min_chars: 20,
                ..ChunkLimits::default()
            },
        );
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[0].breadcrumb, ["Guide"]);
        assert_eq!(chunks[0].text, "Intro.\n\n## Install\n\nRun it.");
        assert_eq!((chunks[0].start_line, chunks[0].end_line), (1, 7));
        assert_eq!(chunks[1].breadcrumb, ["Guide", "Use"]);

        let code = crate::parse::parse_code(
            "/// A.\npub fn a() {}\n/// B.\npub fn b() {}\n",
            "src/lib.rs",
            crate::parse::Language::Rust,
            &|_| None,
        )
        .unwrap();
        assert_eq!(chunk_document(&code, ChunkLimits::default()).len(), 2);
    }

    #[test]
    fn long_sections_split_between_blocks_and_never_inside_code() {
        let para = "word ".repeat(40);
        let code = format!("```\n{}\n```", "let x = 1;\n".repeat(30));
        let src = format!("# T\n\n{para}\n\n{code}\n\n{para}\n\n{para}\n");
        let doc = parse_markdown(&src, false);
        let chunks = chunk_document(
            &doc,
            ChunkLimits {
                min_chars: 0,
                max_chars: 300,
                hard_max_chars: 1000,
            },
        );
        assert!(chunks.len() >= 3, "{chunks:#?}");
        assert!(chunks.iter().all(|c| c.breadcrumb == ["T"]));
        let with_code: Vec<_> = chunks.iter().filter(|c| c.text.contains("```")).collect();
        assert_eq!(with_code.len(), 1);
        assert_eq!(with_code[0].text.matches("let x = 1;").count(), 30);
        for pair in chunks.windows(2) {
            assert!(pair[0].end_line < pair[1].start_line);
        }
    }

    #[test]
    fn oversized_prose_is_cut_between_lines() {
        let long = "line of prose text\n".repeat(200);
        let doc = parse_markdown(&format!("# T\n\n{long}"), false);
        let chunks = chunk_document(
            &doc,
            ChunkLimits {
                min_chars: 0,
                max_chars: 500,
                hard_max_chars: 1000,
            },
        );
        assert!(chunks.len() >= 4);
        assert!(chunks.iter().all(|c| c.text.len() <= 1000));
        assert_eq!(
            chunks
                .iter()
                .map(|c| c.text.matches("line of prose").count())
                .sum::<usize>(),
            200
        );
    }
}

/// The summary of an API item's section in source code (its text opens
/// with the item's signature in a code fence): `name` and the first
/// paragraph after the signature. It gets a vector of its own, which
/// re-ranks answers; `None` for any other section, or an item without prose.
pub fn api_summary(path: &str, name: &str, text: &str, code: &str) -> Option<String> {
    let source = matches!(
        crate::parse::Format::from_path(path),
        Some(crate::parse::Format::Code(_))
    );
    if !source || !text.starts_with("```") || code.is_empty() {
        return None;
    }
    let body = text.splitn(3, "```").nth(2)?;
    let paragraph = body.trim().split("\n\n").next()?.trim();
    if paragraph.is_empty() {
        return None;
    }
    Some(format!("{name}\n{paragraph}"))
}

#[cfg(test)]
mod summary_tests {
    use super::api_summary;

    #[test]
    fn api_sections_of_source_code_have_summaries() {
        let text = "```python\ndef fillna(self, value=None)\n```\n\nFill NA/NaN values.\n\nParameters\n----------\nvalue : scalar";
        assert_eq!(
            api_summary(
                "pandas/core/generic.py",
                "NDFrame.fillna",
                text,
                "def fillna"
            )
            .as_deref(),
            Some("NDFrame.fillna\nFill NA/NaN values.")
        );
        // Prose, a section without a signature, one without words after it.
        assert!(api_summary("docs/guide.md", "Guide", text, "def fillna").is_none());
        assert!(api_summary("src/lib.rs", "x", "Plain words.", "").is_none());
        assert!(api_summary("src/lib.rs", "x", "```rust\nfn f()\n```\n", "fn f()").is_none());
    }
}
