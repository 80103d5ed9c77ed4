//! reStructuredText: sections from the underline/overline hierarchy, directives
//! and literal blocks kept whole, roles rendered as inline code.
//!
//! A small hand parser: real Sphinx trees (Flask, click) use a handful of
//! constructs, and every one of them only needs line-level structure.

use super::{Block, BlockKind, Document, Section};

const ADORNMENT: &str = "=-`:'\"~^_*+#<>.";

/// Parses reStructuredText into sections.
pub fn parse_rst(source: &str) -> Document {
    let lines: Vec<&str> = source.lines().collect();
    let mut doc = Document::default();
    let mut styles: Vec<(char, bool)> = Vec::new();
    let mut headings: Vec<(usize, String)> = Vec::new();
    let mut section = Section::default();
    let mut literal_next = false;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.trim().is_empty() {
            i += 1;
            continue;
        }
        if let Some((title, style, len)) = heading_at(&lines, i) {
            let level = styles.iter().position(|s| *s == style).unwrap_or_else(|| {
                styles.push(style);
                styles.len() - 1
            });
            if doc.title.is_none() {
                doc.title = Some(title.clone());
            }
            push_section(&mut doc, &mut section);
            while headings.last().is_some_and(|(l, _)| *l >= level) {
                headings.pop();
            }
            headings.push((level, title.clone()));
            section.breadcrumb = headings.iter().map(|(_, t)| t.clone()).collect();
            section.blocks.push(Block {
                kind: BlockKind::Heading,
                text: title,
                start_line: i as u32 + 1,
                end_line: (i + len) as u32,
            });
            i += len;
            literal_next = false;
            continue;
        }
        let indent = indentation(line);
        let trimmed = line.trim_start();
        if let Some(directive) = trimmed.strip_prefix(".. ") {
            let end = indented_end(&lines, i + 1, indent);
            if let Some(block) = render_directive(directive, &lines[i + 1..end], i, end) {
                section.blocks.push(block);
            }
            i = end;
            literal_next = false;
            continue;
        }
        if literal_next && indent > 0 {
            let end = indented_end(&lines, i, indent - 1);
            let body = dedent(&lines[i..end]);
            section.blocks.push(Block {
                kind: BlockKind::Code { lang: None },
                text: format!("```\n{body}\n```"),
                start_line: i as u32 + 1,
                end_line: end as u32,
            });
            i = end;
            literal_next = false;
            continue;
        }
        let mut end = i + 1;
        while end < lines.len()
            && !lines[end].trim().is_empty()
            && heading_at(&lines, end).is_none()
        {
            end += 1;
        }
        let paragraph = lines[i..end]
            .iter()
            .map(|l| l.trim())
            .collect::<Vec<_>>()
            .join("\n");
        literal_next = paragraph.ends_with("::");
        let rendered = if paragraph == "::" {
            String::new()
        } else if literal_next {
            let cut = paragraph.len() - 2;
            let keep_colon = !paragraph[..cut].ends_with(char::is_whitespace);
            format!(
                "{}{}",
                render_inline(paragraph[..cut].trim_end()),
                if keep_colon { ":" } else { "" }
            )
        } else {
            render_inline(&paragraph)
        };
        if !rendered.trim().is_empty() {
            section.blocks.push(Block {
                kind: BlockKind::Prose,
                text: rendered,
                start_line: i as u32 + 1,
                end_line: end as u32,
            });
        }
        i = end;
    }
    push_section(&mut doc, &mut section);
    doc
}

fn push_section(doc: &mut Document, section: &mut Section) {
    let breadcrumb = section.breadcrumb.clone();
    let done = std::mem::replace(
        section,
        Section {
            breadcrumb,
            blocks: Vec::new(),
            internal: false,
        },
    );
    if !done.blocks.is_empty() {
        doc.sections.push(done);
    }
}

fn indentation(line: &str) -> usize {
    super::indent_of(line)
}

fn is_adornment(line: &str) -> Option<char> {
    let line = line.trim_end();
    let c = line.chars().next()?;
    (line.len() >= 3 && ADORNMENT.contains(c) && line.chars().all(|x| x == c)).then_some(c)
}

/// A section title at line `i`: (title, style, number of lines it spans).
fn heading_at(lines: &[&str], i: usize) -> Option<(String, (char, bool), usize)> {
    if let Some(c) = is_adornment(lines[i]) {
        // Overline, title, underline.
        let title = lines.get(i + 1)?.trim();
        let under = lines.get(i + 2)?;
        if !title.is_empty() && is_adornment(under) == Some(c) && is_adornment(title).is_none() {
            return Some((title.to_owned(), (c, true), 3));
        }
        return None;
    }
    let line = lines[i];
    if line.starts_with(char::is_whitespace) || line.trim().is_empty() {
        return None;
    }
    let under = lines.get(i + 1)?;
    let c = is_adornment(under)?;
    let title = line.trim();
    let follows_blank_or_start =
        i == 0 || lines[i - 1].trim().is_empty() || is_adornment(lines[i - 1]).is_some();
    (under.trim_end().chars().count() >= title.chars().count().min(under.len()).max(3)
        && under.trim_end().chars().count() + 2 >= title.chars().count()
        && follows_blank_or_start)
        .then(|| (render_inline(title), (c, false), 2))
}

/// End (exclusive) of the block whose lines are indented more than `indent`,
/// starting at `from`; trailing blank lines are not part of it.
fn indented_end(lines: &[&str], from: usize, indent: usize) -> usize {
    let mut end = from;
    let mut last = from;
    while end < lines.len() {
        let l = lines[end];
        if l.trim().is_empty() {
            end += 1;
            continue;
        }
        if indentation(l) <= indent {
            break;
        }
        end += 1;
        last = end;
    }
    last
}

fn dedent(lines: &[&str]) -> String {
    let min = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| indentation(l))
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .map(|l| super::dedent_line(l, min))
        .collect::<Vec<_>>()
        .join("\n")
        .trim_end()
        .to_owned()
}

/// Renders one directive (or comment) whose first line is `head` and whose
/// indented body is `body`; `start` and `end` are its 0-based line span.
fn render_directive(head: &str, body: &[&str], start: usize, end: usize) -> Option<Block> {
    let (name, arg) = match head.split_once("::") {
        Some((name, arg))
            if !name.contains(' ') && !name.starts_with('_') && !name.starts_with('[') =>
        {
            (name.trim(), arg.trim())
        }
        // Comments, hyperlink targets (`.. _label:`), substitutions: not text.
        _ => return None,
    };
    // Domain prefixes (`py:function`, `click:example`) do not change the meaning.
    let name = name.rsplit(':').next().unwrap_or(name);
    let is_code = matches!(
        name,
        "code-block"
            | "code"
            | "sourcecode"
            | "literalinclude"
            | "doctest"
            | "testcode"
            | "testoutput"
            | "example"
            | "run"
            | "prompt"
            | "ipython"
            | "jupyter-execute"
            | "parsed-literal"
    );
    // Options (`:linenos:`) come first in the body; content follows.
    let content_from = body
        .iter()
        .position(|l| !l.trim().is_empty() && !l.trim_start().starts_with(':'))
        .unwrap_or(body.len());
    let content = dedent(&body[content_from..]);
    let (kind, text) = match name {
        _ if is_code => {
            let lang = (!arg.is_empty() && name != "literalinclude").then(|| arg.to_owned());
            let tag = lang.clone().unwrap_or_default();
            (
                BlockKind::Code { lang },
                format!("```{tag}\n{content}\n```"),
            )
        }
        "function" | "method" | "class" | "attribute" | "data" | "exception" | "decorator"
        | "classmethod" | "staticmethod" | "property" | "module" | "autofunction" | "autoclass"
        | "automethod" | "automodule" | "autodata" | "autoexception" | "autoattribute" => (
            BlockKind::Item,
            format!("`{arg}`\n\n{}", render_inline(&content))
                .trim_end()
                .to_owned(),
        ),
        "toctree" | "image" | "figure" | "include" | "currentmodule" | "highlight" | "only"
        | "raw" | "meta" | "index" | "tabularcolumns" | "contents" | "sectionauthor" => {
            return None;
        }
        _ => {
            let label = capitalize(name);
            let text = [arg, &render_inline(&content)]
                .iter()
                .filter(|s| !s.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join(" ");
            (BlockKind::Prose, format!("{label}: {text}"))
        }
    };
    (!text.trim().is_empty()).then(|| Block {
        kind,
        text,
        start_line: start as u32 + 1,
        end_line: end as u32,
    })
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Renders inline markup: roles (`:func:\`x\``, `:ref:\`text <target>\``)
/// become inline code or their text, double-backquoted literals single.
pub(crate) fn render_inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let role = rest.find(":`");
        let literal = rest.find("``");
        let pos = match (role, literal) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => match a.or(b) {
                Some(p) => p,
                None => break,
            },
        };
        let (before, after) = rest.split_at(pos);
        if let Some(inner) = after.strip_prefix("``") {
            out.push_str(before);
            match inner.find("``") {
                Some(close) => {
                    out.push('`');
                    out.push_str(&inner[..close]);
                    out.push('`');
                    rest = &inner[close + 2..];
                }
                None => {
                    out.push_str(after);
                    rest = "";
                }
            }
            continue;
        }
        // A role: `:name:` directly before the backquote.
        let role_start = before
            .char_indices()
            .rev()
            .find(|&(_, c)| c.is_whitespace() || c == '(')
            .map_or(0, |(i, c)| i + c.len_utf8());
        let role = &before[role_start..];
        let Some(close) = after[2..].find('`') else {
            out.push_str(rest);
            rest = "";
            break;
        };
        let inner = &after[2..2 + close];
        if role.starts_with(':') {
            out.push_str(&before[..role_start]);
            let shown = match inner.rfind(" <") {
                Some(i) if inner.ends_with('>') => &inner[..i],
                _ => inner.trim_start_matches('~').trim_start_matches('!'),
            };
            let is_ref = matches!(role, ":ref" | ":doc" | ":term");
            if is_ref {
                out.push_str(shown);
            } else {
                out.push('`');
                out.push_str(shown);
                out.push('`');
            }
        } else {
            out.push_str(before);
            out.push_str(&after[1..3 + close]);
        }
        rest = &after[3 + close..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heading_hierarchy_follows_first_use_of_each_style() {
        let src = "=====\nTitle\n=====\n\nIntro.\n\nInstall\n-------\n\nText.\n\nFrom pip\n~~~~~~~~\n\nPip.\n\nUsage\n-----\n\nUse.\n";
        let doc = parse_rst(src);
        assert_eq!(doc.title.as_deref(), Some("Title"));
        let crumbs: Vec<String> = doc
            .sections
            .iter()
            .map(|s| s.breadcrumb.join(" › "))
            .collect();
        assert_eq!(
            crumbs,
            [
                "Title",
                "Title › Install",
                "Title › Install › From pip",
                "Title › Usage"
            ]
        );
        assert_eq!(doc.sections[1].start_line(), 7);
    }

    #[test]
    fn literal_and_code_blocks_stay_whole() {
        let src = "Guide\n=====\n\nExample::\n\n    def f():\n\n        return 1\n\nAfter.\n\n.. code-block:: python\n    :linenos:\n\n    x = 1\n\nEnd.\n";
        let doc = parse_rst(src);
        let blocks = &doc.sections[0].blocks;
        assert_eq!(blocks[1].text, "Example:");
        assert_eq!(blocks[2].kind, BlockKind::Code { lang: None });
        assert_eq!(blocks[2].text, "```\ndef f():\n\n    return 1\n```");
        assert_eq!((blocks[2].start_line, blocks[2].end_line), (6, 8));
        assert_eq!(
            blocks[4].kind,
            BlockKind::Code {
                lang: Some("python".into())
            }
        );
        assert_eq!(blocks[4].text, "```python\nx = 1\n```");
        assert_eq!(blocks[5].text, "End.");
    }

    #[test]
    fn example_directives_are_code() {
        let doc = parse_rst(
            ".. click:example::\n\n    @click.command()\n    def cli(): pass\n\n.. click:run::\n\n    invoke(cli)\n",
        );
        let blocks = &doc.sections[0].blocks;
        assert_eq!(blocks[0].kind, BlockKind::Code { lang: None });
        assert_eq!(
            blocks[0].text,
            "```\n@click.command()\ndef cli(): pass\n```"
        );
        assert_eq!(blocks[1].text, "```\ninvoke(cli)\n```");
    }

    #[test]
    fn roles_render_as_text() {
        assert_eq!(
            render_inline("Use :func:`flask.url_for` and :ref:`the guide <guide>` or ``x = 1``."),
            "Use `flask.url_for` and the guide or `x = 1`."
        );
        assert_eq!(
            render_inline("see :meth:`~Flask.route`"),
            "see `Flask.route`"
        );
    }

    #[test]
    fn api_directives_become_items_and_comments_vanish() {
        let src = ".. _target:\n\n.. function:: url_for(endpoint, **values)\n\n    Generates a URL.\n\n.. note::\n    Mind this.\n\n.. comment text\n";
        let doc = parse_rst(src);
        let blocks = &doc.sections[0].blocks;
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].kind, BlockKind::Item);
        assert!(
            blocks[0].text.contains("url_for(endpoint")
                && blocks[0].text.contains("Generates a URL.")
        );
        assert_eq!(blocks[1].text, "Note: Mind this.");
    }
}
