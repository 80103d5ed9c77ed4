//! Markdown and MDX: CommonMark blocks grouped into sections by heading.
//!
//! Front matter is read for the title and blanked; MDX `import`/`export`
//! statements and JSX tags are blanked too. Blanking keeps every newline, so
//! line numbers always refer to the original file.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::{Block, BlockKind, Document, Section, line_of, line_starts};

/// Parses Markdown (or MDX when `mdx` is set) into sections.
pub fn parse_markdown(source: &str, mdx: bool) -> Document {
    let mut text = source.to_owned();
    let front_title = strip_front_matter(&mut text);
    if mdx {
        text = strip_mdx(&text);
    }
    let starts = line_starts(&text);
    let mut doc = Document {
        title: front_title,
        sections: Vec::new(),
    };
    let mut current = Section::default();
    // Open headings, outermost first: (level, text).
    let mut headings: Vec<(HeadingLevel, String)> = Vec::new();
    let mut depth = 0usize;
    // Image alt text is not part of a heading's title.
    let mut in_image = 0usize;
    let mut heading: Option<(HeadingLevel, String, std::ops::Range<usize>)> = None;

    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES;
    for (event, range) in Parser::new_ext(&text, options).into_offset_iter() {
        match event {
            Event::Start(tag) => {
                if matches!(tag, Tag::Image { .. }) {
                    in_image += 1;
                }
                if depth == 0 {
                    match &tag {
                        Tag::Heading { level, .. } => {
                            heading = Some((*level, String::new(), range.clone()));
                        }
                        Tag::CodeBlock(kind) => {
                            let lang = match kind {
                                CodeBlockKind::Fenced(info) => info
                                    .split(|c: char| c.is_whitespace() || c == ',' || c == '{')
                                    .next()
                                    .filter(|l| !l.is_empty())
                                    .map(str::to_owned),
                                CodeBlockKind::Indented => None,
                            };
                            push_block(
                                &mut current,
                                &text,
                                &starts,
                                range.clone(),
                                BlockKind::Code { lang },
                            );
                        }
                        Tag::HtmlBlock => {
                            let html = text[range.clone()].trim();
                            if !(html.starts_with("<!--") && html.ends_with("-->")) {
                                push_block(
                                    &mut current,
                                    &text,
                                    &starts,
                                    range.clone(),
                                    BlockKind::Prose,
                                );
                            }
                        }
                        Tag::MetadataBlock(_) => {}
                        _ => push_block(
                            &mut current,
                            &text,
                            &starts,
                            range.clone(),
                            BlockKind::Prose,
                        ),
                    }
                }
                depth += 1;
            }
            Event::End(TagEnd::Heading(_)) if depth == 1 => {
                depth -= 1;
                let Some((level, title, range)) = heading.take() else {
                    continue;
                };
                let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
                if doc.title.is_none() && level == HeadingLevel::H1 && !title.is_empty() {
                    doc.title = Some(title.clone());
                }
                finish_section(&mut doc, &mut current);
                while headings.last().is_some_and(|(l, _)| *l >= level) {
                    headings.pop();
                }
                headings.push((level, title));
                current.breadcrumb = headings.iter().map(|(_, t)| t.clone()).collect();
                push_block(&mut current, &text, &starts, range, BlockKind::Heading);
            }
            Event::End(end) => {
                if end == TagEnd::Image {
                    in_image -= 1;
                }
                depth = depth.saturating_sub(1);
            }
            Event::Text(t) | Event::Code(t) if in_image == 0 => {
                if let Some((_, title, _)) = heading.as_mut() {
                    title.push_str(&t);
                }
            }
            _ => {}
        }
    }
    finish_section(&mut doc, &mut current);
    doc
}

fn push_block(
    section: &mut Section,
    text: &str,
    starts: &[usize],
    range: std::ops::Range<usize>,
    kind: BlockKind,
) {
    let slice = text[range.clone()].trim_end();
    if slice.trim().is_empty() {
        return;
    }
    let end = range.start + slice.len();
    section.blocks.push(Block {
        kind,
        text: slice.trim_start_matches('\n').to_owned(),
        start_line: line_of(starts, range.start),
        end_line: line_of(starts, end.saturating_sub(1).max(range.start)),
    });
}

fn finish_section(doc: &mut Document, current: &mut Section) {
    let breadcrumb = current.breadcrumb.clone();
    let done = std::mem::replace(
        current,
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

/// Blanks YAML (`---`) or TOML (`+++`) front matter and returns its title.
fn strip_front_matter(text: &mut String) -> Option<String> {
    let fence = if text.starts_with("---\n") || text.starts_with("---\r\n") {
        "---"
    } else if text.starts_with("+++\n") || text.starts_with("+++\r\n") {
        "+++"
    } else {
        return None;
    };
    let mut offset = 0;
    let mut end = None;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if i > 0 && line.trim_end() == fence {
            end = Some(offset + line.len());
            break;
        }
        offset += line.len();
    }
    let end = end?;
    let title = text[..end].lines().find_map(|line| {
        let (key, value) = line.split_once(if fence == "---" { ':' } else { '=' })?;
        (key.trim() == "title").then(|| unquote(value.trim()).to_owned())
    });
    let blanked: String = text[..end].chars().filter(|&c| c == '\n').collect();
    text.replace_range(..end, &blanked);
    title.filter(|t| !t.is_empty())
}

fn unquote(value: &str) -> &str {
    let v = value.trim();
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|v| v.strip_suffix(q)) {
            return inner;
        }
    }
    v
}

/// Removes MDX syntax that is not Markdown while keeping the text inside it:
/// `import`/`export` statements, JSX tags and `{/* comments */}`. Outside code
/// fences indentation is capped at three spaces, as MDX has no indented code.
fn strip_mdx(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Open fence: its character, length and the indentation of its opening line.
    let mut fence: Option<(char, usize, usize)> = None;
    let mut in_statement = false;
    let mut in_tag = false;
    for line in text.split_inclusive('\n') {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(b) => (b.strip_suffix('\r').unwrap_or(b), "\n"),
            None => (line, ""),
        };
        let trimmed = body.trim_start();
        if let Some((ch, len, indent)) = fence {
            // Fences nested in JSX are indented; shift their content back with them.
            let shift = (body.len() - trimmed.len()).min(indent);
            if trimmed.starts_with(&ch.to_string().repeat(len))
                && trimmed.trim_end().chars().all(|c| c == ch)
            {
                fence = None;
                out.push_str(trimmed);
            } else {
                out.push_str(&body[shift..]);
            }
            out.push_str(newline);
            continue;
        }
        if !in_tag {
            if let Some((ch, len)) = fence_open(trimmed) {
                fence = Some((ch, len, body.len() - trimmed.len()));
                out.push_str(trimmed);
                out.push_str(newline);
                continue;
            }
            if in_statement || trimmed.starts_with("import ") || trimmed.starts_with("export ") {
                // Multi-line statements end at a line closing their braces or with `;`.
                let opens = trimmed.matches('{').count();
                let closes = trimmed.matches('}').count();
                in_statement = if in_statement {
                    closes <= opens && !trimmed.ends_with(';') && !trimmed.contains(" from ")
                } else {
                    opens > closes
                };
                out.push_str(newline);
                continue;
            }
        }
        let (stripped, still_in_tag) = strip_jsx_tags(body, in_tag);
        in_tag = still_in_tag;
        let content = stripped.trim_start();
        let indent = (stripped.len() - content.len()).min(3);
        out.push_str(&" ".repeat(indent));
        out.push_str(content.trim_end());
        out.push_str(newline);
    }
    out
}

fn fence_open(trimmed: &str) -> Option<(char, usize)> {
    let ch = trimmed.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = trimmed.chars().take_while(|c| *c == ch).count();
    (len >= 3).then_some((ch, len))
}

/// Drops JSX tags (`<Tabs>`, `</Tab>`, `<Note type="x" />`, fragments) and
/// `{/* */}` comments from one line; `in_tag` carries a tag across lines.
fn strip_jsx_tags(line: &str, mut in_tag: bool) -> (String, bool) {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.char_indices().peekable();
    let mut quote: Option<char> = None;
    let mut braces = 0usize;
    while let Some((i, c)) = chars.next() {
        if in_tag {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '{') => braces += 1,
                (None, '}') => braces = braces.saturating_sub(1),
                (None, '>') if braces == 0 => in_tag = false,
                _ => {}
            }
            continue;
        }
        let rest = &line[i..];
        if c == '<' && is_jsx_tag_start(&rest[1..]) {
            in_tag = true;
            braces = 0;
            continue;
        }
        if rest.starts_with("{/*")
            && let Some(end) = rest.find("*/}")
        {
            for _ in 0..end + 2 {
                chars.next();
            }
            continue;
        }
        out.push(c);
    }
    (out, in_tag)
}

fn is_jsx_tag_start(after_lt: &str) -> bool {
    let name = after_lt.strip_prefix('/').unwrap_or(after_lt);
    name.starts_with('>') || name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crumbs(doc: &Document) -> Vec<String> {
        doc.sections
            .iter()
            .map(|s| s.breadcrumb.join(" › "))
            .collect()
    }

    #[test]
    fn sections_follow_heading_levels() {
        let doc = parse_markdown(
            "# Guide\n\nIntro.\n\n## Routing\n\nText.\n\n### Middleware\n\nMore.\n\n## Errors\n\nE.\n",
            false,
        );
        assert_eq!(doc.title.as_deref(), Some("Guide"));
        assert_eq!(
            crumbs(&doc),
            [
                "Guide",
                "Guide › Routing",
                "Guide › Routing › Middleware",
                "Guide › Errors"
            ]
        );
        let middleware = &doc.sections[2];
        assert_eq!(middleware.start_line(), 9);
        assert_eq!(middleware.blocks.last().unwrap().end_line, 11);
    }

    #[test]
    fn code_fences_keep_language_and_whole_text() {
        let doc = parse_markdown(
            "# A\n\n```rust,ignore\nfn main() {}\n\nlet x = 1;\n```\n",
            false,
        );
        let block = &doc.sections[0].blocks[1];
        assert_eq!(
            block.kind,
            BlockKind::Code {
                lang: Some("rust".into())
            }
        );
        assert!(block.text.starts_with("```rust") && block.text.ends_with("```"));
        assert_eq!((block.start_line, block.end_line), (3, 7));
    }

    #[test]
    fn front_matter_gives_title_and_keeps_line_numbers() {
        let doc = parse_markdown(
            "---\ntitle: \"Getting started\"\ntags: [a]\n---\n\nHello.\n",
            false,
        );
        assert_eq!(doc.title.as_deref(), Some("Getting started"));
        assert_eq!(doc.sections[0].blocks[0].start_line, 6);
        let toml = parse_markdown("+++\ntitle = 'T'\n+++\nBody\n", false);
        assert_eq!(toml.title.as_deref(), Some("T"));
    }

    #[test]
    fn mdx_drops_imports_and_tags_but_keeps_text() {
        let src = "import { Tabs, Tab } from './tabs'\nexport const meta = {\n  a: 1,\n}\n\n# Title\n\n<Tabs>\n  <Tab label=\"npm\">\n    Install with npm.\n  </Tab>\n</Tabs>\n\n<Note type=\"warn\" />\n{/* hidden */}\nDone.\n";
        let doc = parse_markdown(src, true);
        let text: Vec<&str> = doc.sections[0]
            .blocks
            .iter()
            .map(|b| b.text.as_str())
            .collect();
        assert_eq!(doc.sections[0].blocks[0].start_line, 6);
        assert!(
            text.iter().any(|t| t.contains("Install with npm.")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .all(|t| !t.contains('<') && !t.contains("import") && !t.contains("hidden")),
            "{text:?}"
        );
        assert!(
            doc.sections[0]
                .blocks
                .iter()
                .all(|b| b.kind != BlockKind::Code { lang: None })
        );
    }

    #[test]
    fn mdx_fences_nested_in_jsx_close_and_lose_their_indent() {
        let src = "# A\n\n<Tabs>\n  <Tab>\n    ```js\n    run();\n      nested();\n    ```\n  </Tab>\n</Tabs>\n\n## B\n\nAfter.\n";
        let doc = parse_markdown(src, true);
        let code = &doc.sections[0].blocks[1];
        assert_eq!(code.text, "```js\nrun();\n  nested();\n```");
        assert_eq!(doc.sections[1].breadcrumb, ["A", "B"]);
    }

    #[test]
    fn html_comments_are_dropped() {
        let doc = parse_markdown("# A\n\n<!-- YAML\nadded: v1\n-->\n\nText\n", false);
        assert_eq!(doc.sections[0].blocks.len(), 2);
    }
}
