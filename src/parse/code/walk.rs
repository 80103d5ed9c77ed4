//! What every language's extractor shares: the parse itself (with a time
//! limit), comment handling, signatures, and turning an item into a section.

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use tree_sitter::{Node, Parser, Tree};

use super::{Grammar, doc_blocks, module_sections};
use crate::parse::{
    Block, BlockKind, Document, Section, dedent_line, indent_of, parse_markdown, parse_rst,
};

/// Longest a single file may take to parse; a pathological file is cut off
/// here and whatever was extracted before is kept.
const PARSE_TIME_LIMIT: Duration = Duration::from_secs(5);

/// Longest signature kept, in lines; longer ones end with `…`.
const SIGNATURE_LINES: usize = 24;

/// Deepest nesting of scopes (modules, classes, namespaces) followed.
pub(super) const MAX_SCOPE_DEPTH: usize = 12;

/// Parses `source` with `grammar`; `None` when the parser gives up (time limit).
pub(super) fn parse_tree(source: &str, grammar: &Grammar) -> Option<Tree> {
    let mut parser = Parser::new();
    parser.set_language(&(grammar.tree_sitter)()).ok()?;
    let started = Instant::now();
    let mut over_time = |_: &tree_sitter::ParseState| {
        if started.elapsed() > PARSE_TIME_LIMIT {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let bytes = source.as_bytes();
    parser.parse_with_options(
        &mut |offset, _| bytes.get(offset..).unwrap_or_default(),
        None,
        Some(tree_sitter::ParseOptions::new().progress_callback(&mut over_time)),
    )
}

/// How an item's documentation text is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DocFormat {
    Markdown,
    Rst,
}

/// Doc text gathered from comments: one entry per text line, with the
/// 1-based source line it came from.
pub(super) type DocLines = Vec<(u32, String)>;

/// The extraction state for one parsed text.
pub(super) struct Ctx<'s> {
    pub src: &'s str,
    pub grammar: &'static Grammar,
    /// Lines before the parsed text in the file (for re-parsed macro bodies).
    pub line_base: u32,
    /// Qualified-name prefix of every item (module or package path).
    pub module: Vec<String>,
    pub sections: Vec<Section>,
}

impl<'s> Ctx<'s> {
    pub fn new(src: &'s str, grammar: &'static Grammar, module: Vec<String>) -> Ctx<'s> {
        Ctx {
            src,
            grammar,
            line_base: 0,
            module,
            sections: Vec::new(),
        }
    }

    pub fn text(&self, node: Node<'_>) -> &'s str {
        self.src.get(node.byte_range()).unwrap_or("")
    }

    pub fn field_text(&self, node: Node<'_>, field: &str) -> Option<&'s str> {
        node.child_by_field_name(field).map(|n| self.text(n))
    }

    /// 1-based first line of `node` in the file.
    pub fn line(&self, node: Node<'_>) -> u32 {
        node.start_position().row as u32 + 1 + self.line_base
    }

    pub fn end_line(&self, node: Node<'_>) -> u32 {
        node.end_position().row as u32 + 1 + self.line_base
    }

    /// The text of comment `node` without its markers, one entry per line.
    pub fn comment_lines(&self, node: Node<'_>) -> DocLines {
        let first = self.line(node);
        strip_comment(self.text(node))
            .into_iter()
            .enumerate()
            .map(|(i, l)| (first + i as u32, l))
            .collect()
    }

    /// The signature of an item spanning `start..end` bytes (its head, up
    /// to where the body begins), dedented and capped.
    pub fn signature(&self, start: Node<'_>, end_byte: usize) -> String {
        let end_byte = end_byte.clamp(start.start_byte(), self.src.len());
        let raw = self.src.get(start.start_byte()..end_byte).unwrap_or("");
        let column = start.start_position().column;
        let mut lines: Vec<String> = Vec::new();
        for (i, line) in raw.trim_end().lines().enumerate() {
            if i == 0 {
                lines.push(line.trim().to_owned());
                continue;
            }
            lines.push(dedent_line(line, column).trim_end().to_owned());
            if i + 1 >= SIGNATURE_LINES {
                lines.push("…".to_owned());
                break;
            }
        }
        let mut sig = lines.join("\n");
        for suffix in ["{", "where"] {
            sig = sig
                .trim_end()
                .trim_end_matches(suffix)
                .trim_end()
                .to_owned();
        }
        sig
    }

    /// Adds one item: `path` is its qualified name, `head` the node its
    /// signature starts at, `item` the whole item (for its line range).
    pub fn emit(
        &mut self,
        path: &[String],
        head: Node<'_>,
        sig_end: usize,
        item: Node<'_>,
        docs: &DocLines,
        format: DocFormat,
    ) {
        if docs.iter().all(|(_, l)| l.trim().is_empty()) {
            return;
        }
        let signature = self.signature(head, sig_end);
        let qualified = self.qualify(path);
        let blocks = parse_doc(docs, format);
        // What the section shows: the docs and the signature. Docs after the
        // head (a docstring, passed as `item`) end it; docs before it end at
        // the signature, not with the body (a trait's methods, a function's
        // 1,700 lines).
        let end_line = if item.start_byte() >= sig_end {
            self.end_line(item)
        } else {
            let end = sig_end.clamp(head.start_byte(), self.src.len());
            let body = self.src.get(head.start_byte()..end).unwrap_or("");
            let last = self.line(head) + body.trim_end().matches('\n').count() as u32;
            last.min(self.end_line(item))
        };
        let mut all = vec![Block {
            kind: BlockKind::Item,
            text: format!("```{}\n{signature}\n```", self.grammar.fence),
            start_line: self.line(head),
            end_line,
        }];
        all.extend(blocks);
        self.sections.push(Section {
            breadcrumb: vec![qualified],
            blocks: all,
            internal: false,
        });
    }

    /// Module-level documentation (`//!`, a module docstring, a package comment).
    pub fn emit_module_docs(&mut self, docs: &DocLines, format: DocFormat) -> Option<String> {
        if docs.iter().all(|(_, l)| l.trim().is_empty()) {
            return None;
        }
        let name = if self.module.is_empty() {
            self.grammar.root_name.to_owned()
        } else {
            self.module.join(self.grammar.separator)
        };
        let (title, mut sections) = module_sections(&name, docs, format);
        sections.append(&mut self.sections);
        self.sections = sections;
        title
    }

    pub fn qualify(&self, path: &[String]) -> String {
        self.module
            .iter()
            .chain(path)
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(self.grammar.separator)
    }

    pub fn into_document(self, title: Option<String>) -> Document {
        Document {
            title,
            sections: self.sections,
        }
    }
}

/// Appends a labelled list (`Messages:`, `Raises:`) to an item's section.
/// The block keeps the item's lines, not those of the list's sources: they
/// may lie anywhere in the file, and the section's `Source:` range is where
/// to read the item (with a trait impl's messages, `runtime::builder::Builder`
/// claimed lines 20-2256).
pub(super) fn push_list(section: &mut Section, label: &str, entries: &[String]) {
    let lines = section
        .blocks
        .first()
        .map_or((1, 1), |item| (item.start_line, item.end_line));
    section.blocks.push(list_block(label, entries, lines));
}

/// A labelled list as one prose block over lines `from..=to`.
pub(super) fn list_block(label: &str, entries: &[String], (from, to): (u32, u32)) -> Block {
    let list: Vec<String> = entries.iter().map(|e| format!("- {e}")).collect();
    Block {
        kind: BlockKind::Prose,
        text: format!("{label}:\n{}", list.join("\n")),
        start_line: from,
        end_line: to,
    }
}

/// Keeps the first `max` of `items` with distinct `key`s, in order.
pub(super) fn keep_distinct<T>(items: &mut Vec<T>, max: usize, key: impl Fn(&T) -> &str) {
    let mut seen = std::collections::HashSet::new();
    items.retain(|item| seen.insert(key(item).to_owned()));
    items.truncate(max);
}

/// Parses gathered doc lines and maps the blocks back to source lines.
pub(super) fn parse_doc(docs: &DocLines, format: DocFormat) -> Vec<Block> {
    let (parsed, line_map) = parse_lines(docs, format);
    doc_blocks(&parsed, &line_map)
}

/// Parses gathered doc lines as one document; also returns the source line
/// of each of its lines, for [`doc_blocks`].
pub(super) fn parse_lines(docs: &DocLines, format: DocFormat) -> (Document, Vec<u32>) {
    let text: String = docs
        .iter()
        .map(|(_, t)| t.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let line_map: Vec<u32> = docs.iter().map(|(l, _)| *l).collect();
    let parsed = match format {
        DocFormat::Markdown => parse_markdown(&text, false),
        DocFormat::Rst => parse_rst(&text),
    };
    (parsed, line_map)
}

/// The comments directly above `node` (no blank line between), in source
/// order, skipping over nodes `transparent` accepts (attributes, annotations).
pub(super) fn comments_above<'t>(
    node: Node<'t>,
    is_comment: impl Fn(Node<'t>) -> bool,
    transparent: impl Fn(Node<'t>) -> bool,
) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    let mut next_row = node.start_position().row;
    let mut cursor = node.prev_sibling();
    while let Some(prev) = cursor {
        if prev.end_position().row + 1 < next_row {
            break;
        }
        if is_comment(prev) {
            out.push(prev);
        } else if !transparent(prev) {
            break;
        }
        next_row = prev.start_position().row;
        cursor = prev.prev_sibling();
    }
    out.reverse();
    out
}

/// The nearest `/** … */` comment directly above `node` (JSDoc, Javadoc),
/// as Markdown lines; empty when there is none.
pub(super) fn doc_block_above<'t>(
    cx: &Ctx<'_>,
    node: Node<'t>,
    is_comment: impl Fn(Node<'t>) -> bool,
    transparent: impl Fn(Node<'t>) -> bool,
) -> DocLines {
    let Some(doc) = comments_above(node, is_comment, transparent)
        .into_iter()
        .rev()
        .find(|c| cx.text(*c).starts_with("/**"))
    else {
        return DocLines::new();
    };
    doc_markup_to_markdown(cx.comment_lines(doc), cx.grammar.fence)
}

/// Lines of a comment without `//`, `///`, `/** … */` or leading `*` markers.
pub(super) fn strip_comment(text: &str) -> Vec<String> {
    let text = text.trim_end();
    if let Some(body) = text.strip_prefix("/*") {
        let body = body.strip_suffix("*/").unwrap_or(body);
        let body = body.trim_start_matches(['*', '!']);
        let lines: Vec<&str> = body.lines().collect();
        let mut out: Vec<String> = lines
            .iter()
            .map(|l| {
                let t = l.trim_start();
                match t.strip_prefix('*') {
                    Some(rest) if !rest.starts_with('/') => strip_one_space(rest).to_owned(),
                    _ => t.to_owned(),
                }
            })
            .collect();
        // Continuation lines without `*` keep their relative indentation.
        if lines.len() > 1 && lines[1..].iter().all(|l| !l.trim_start().starts_with('*')) {
            let min = lines[1..]
                .iter()
                .filter(|l| !l.trim().is_empty())
                .map(|l| indent_of(l))
                .min()
                .unwrap_or(0);
            for (o, l) in out.iter_mut().zip(&lines).skip(1) {
                *o = dedent_line(l, min).trim_end().to_owned();
            }
        }
        if out.first().is_some_and(|l| l.trim().is_empty()) {
            out[0].clear();
        }
        while out.last().is_some_and(|l| l.trim().is_empty()) {
            out.pop();
        }
        return out;
    }
    text.lines()
        .map(|l| {
            let t = l.trim_start();
            let t = t.trim_start_matches('/');
            let t = t.strip_prefix('!').unwrap_or(t);
            let t = t.strip_prefix('<').unwrap_or(t);
            strip_one_space(t).to_owned()
        })
        .collect()
}

pub(super) fn strip_one_space(s: &str) -> &str {
    s.strip_prefix(' ').unwrap_or(s)
}

/// Named children of `node`, as a vector (cursor lifetimes stay local).
pub(super) fn named_children(node: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).collect()
}

/// Rewrites Javadoc/JSDoc/Doxygen markup into Markdown, line by line:
/// `{@code x}` and `{@link x}` become code spans, `<pre>` blocks and
/// `@example`/`\code` sections become fences, simple HTML tags go.
pub(super) fn doc_markup_to_markdown(docs: DocLines, fence: &str) -> DocLines {
    let mut out = Vec::with_capacity(docs.len());
    let mut in_example = false;
    let mut in_pre = false;
    for (line, text) in docs {
        let trimmed = text.trim();
        let lower = trimmed.to_ascii_lowercase();
        if in_example && (trimmed.starts_with('@') || trimmed.starts_with('\\')) {
            out.push((line, "```".to_owned()));
            in_example = false;
        }
        if !in_pre && (lower.starts_with("<pre") || lower == "\\code" || lower == "@code") {
            out.push((line, format!("```{fence}")));
            in_pre = true;
            continue;
        }
        if in_pre && (lower.ends_with("</pre>") || lower == "\\endcode" || lower == "@endcode") {
            let code = trimmed
                .trim_end_matches("</pre>")
                .trim_end()
                .trim_end_matches('}');
            if !code.trim().is_empty() && !code.starts_with('\\') && !code.starts_with('@') {
                out.push((line, code.to_owned()));
            }
            out.push((line, "```".to_owned()));
            in_pre = false;
            continue;
        }
        if in_pre || in_example {
            out.push((line, text));
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix("@example") {
            out.push((line, "Example:".to_owned()));
            if !rest.trim().is_empty() {
                out.push((line, rest.trim().to_owned()));
            }
            out.push((line, format!("```{fence}")));
            in_example = true;
            continue;
        }
        let rest = trimmed
            .strip_prefix("\\brief ")
            .or_else(|| trimmed.strip_prefix("@brief "));
        let text = match rest {
            Some(r) => r.to_owned(),
            None => text,
        };
        out.push((line, inline_markup(&text)));
    }
    if in_example || in_pre {
        let last = out.last().map_or(0, |(l, _)| *l);
        out.push((last, "```".to_owned()));
    }
    out
}

/// `{@code x}`/`{@link x}` → `` `x` ``; drops `<p>`, `<b>`, `<br>` and friends.
fn inline_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{@") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let inner = &after[..close];
        let value = inner.split_once(' ').map_or("", |(_, v)| v.trim());
        out.push('`');
        out.push_str(value);
        out.push('`');
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    for tag in [
        "<p>",
        "</p>",
        "<br>",
        "<br/>",
        "<br />",
        "<b>",
        "</b>",
        "<i>",
        "</i>",
        "<em>",
        "</em>",
        "<ul>",
        "</ul>",
        "<ol>",
        "</ol>",
        "</li>",
        "<strong>",
        "</strong>",
    ] {
        if out.contains(tag) {
            out = out.replace(tag, "");
        }
    }
    out.replace("<li>", "- ")
        .replace("<code>", "`")
        .replace("</code>", "`")
}
