//! Source files: documented public API items and module docs.
//!
//! Rust `///`/`//!` comments and Python docstrings are extracted line by line;
//! each item becomes one section whose breadcrumb is its qualified name and
//! whose first block is its signature. Doc text is parsed as Markdown (Rust)
//! or reStructuredText (Python), so fenced examples stay whole.

use super::{Block, BlockKind, Document, Include, Language, Section, parse_markdown, parse_rst};

/// Extracts the documented public items of one source file at `path`.
/// `include` resolves `include_str!` in Rust doc attributes.
pub fn parse_code(source: &str, path: &str, language: Language, include: Include<'_>) -> Document {
    match language {
        Language::Rust => parse_rust(source, path, include),
        Language::Python => parse_python(source, path),
    }
}

/// Longest example file kept in one code block, in bytes; longer ones are
/// cut between blank lines.
const EXAMPLE_BLOCK_BYTES: usize = 6000;

/// An example program: one section named after the file, its code in fenced
/// blocks cut only at blank lines.
pub fn parse_example(source: &str, path: &str, language: Language) -> Document {
    let tag = match language {
        Language::Rust => "rust",
        Language::Python => "python",
    };
    let name = path.rsplit('/').next().unwrap_or(path).to_owned();
    let mut section = Section {
        breadcrumb: vec![format!("Example: {path}")],
        blocks: Vec::new(),
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

/// The file named by `include_str!("…")` in a doc attribute line, if any.
fn included_file(line: &str) -> Option<&str> {
    let rest = line.split_once("include_str!(")?.1;
    let start = rest.find('"')? + 1;
    let len = rest[start..].find('"')?;
    Some(&rest[start..start + len])
}

/// Module path of a source file: `src/time/timeout.rs` → `["time", "timeout"]`.
/// A Rust crate nested in a workspace (`clap_builder/src/…`) keeps its name;
/// Python's `src/` layout holds the package itself.
fn module_path(path: &str, separator_ext: &str) -> Vec<String> {
    let path = path.strip_suffix(separator_ext).unwrap_or(path);
    let mut parts: Vec<&str> = path.split('/').collect();
    if let Some(src) = parts.iter().rposition(|p| *p == "src") {
        let krate = src
            .checked_sub(1)
            .filter(|_| separator_ext == ".rs")
            .map(|i| parts[i]);
        parts.drain(..=src);
        if let Some(k) = krate {
            parts.insert(0, k);
        }
    }
    parts
        .into_iter()
        .filter(|p| !matches!(*p, "lib" | "main" | "mod" | "__init__" | "" | "."))
        .map(|p| p.trim_start_matches('_').to_owned())
        .filter(|p| !p.is_empty())
        .collect()
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

fn item_section(breadcrumb: Vec<String>, signature: Block, mut docs: Vec<Block>) -> Section {
    let mut blocks = vec![signature];
    blocks.append(&mut docs);
    Section { breadcrumb, blocks }
}

// ---------------------------------------------------------------- Rust

struct Scope {
    /// Brace depth at which this scope's body is open.
    depth: i32,
    name: String,
    /// Items inside are public API even without `pub` (traits, enums, trait impls).
    implicit_pub: bool,
}

fn parse_rust(source: &str, path: &str, include: Include<'_>) -> Document {
    let lines: Vec<&str> = source.lines().collect();
    let module = module_path(path, ".rs");
    let mut doc = Document::default();
    let mut scopes: Vec<Scope> = Vec::new();
    let mut depth = 0i32;
    let mut docs: Vec<(u32, String)> = Vec::new();
    let mut inner_docs: Vec<(u32, String)> = Vec::new();
    // `#[cfg(test)]` seen and not yet applied; brace depth outside the test module.
    let mut pending_test = false;
    let mut test_depth: Option<i32> = None;
    // A scope (`impl X`) whose `{` is on a later line (after a `where` clause).
    let mut pending_scope: Option<(String, bool)> = None;
    let mut i = 0;
    while i < lines.len() {
        let trimmed = lines[i].trim();
        if let Some(rest) = trimmed.strip_prefix("//!") {
            inner_docs.push((i as u32 + 1, strip_one_space(rest).to_owned()));
            i += 1;
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix("///")
            && !rest.starts_with('/')
        {
            docs.push((i as u32 + 1, strip_one_space(rest).to_owned()));
            i += 1;
            continue;
        }
        if trimmed.is_empty() || trimmed.starts_with("//") {
            i += 1;
            continue;
        }
        if trimmed.starts_with("#[") || trimmed.starts_with("#![") {
            pending_test |= trimmed.starts_with("#[cfg(test)]");
            // `#[doc = include_str!("…")]`: the included text is doc text at this line.
            if trimmed.contains("doc = include_str!")
                && let Some(text) = included_file(trimmed).and_then(include)
            {
                let target = if trimmed.starts_with("#![") {
                    &mut inner_docs
                } else {
                    &mut docs
                };
                target.extend(text.lines().map(|l| (i as u32 + 1, l.to_owned())));
            }
            depth += brace_delta(trimmed);
            i += 1;
            continue;
        }
        // An item (or plain code) starts here. A documented item's signature
        // runs to its `{` or `;` (through `where` clauses); other code is
        // read a line at a time, only for brace depth.
        let sig_start = i;
        let mut sig_end = i;
        if !docs.is_empty() {
            loop {
                let t = strip_line_comment(lines[sig_end]).trim_end();
                let first = sig_end == sig_start;
                if t.contains('{')
                    || t.contains('}')
                    || t.ends_with(';')
                    || first && t.ends_with(',')
                {
                    break;
                }
                let next = lines.get(sig_end + 1).map(|l| l.trim());
                if sig_end - sig_start >= 12
                    || next
                        .is_none_or(|n| n.is_empty() || n.starts_with("//") || n.starts_with("#["))
                {
                    break;
                }
                sig_end += 1;
            }
        }
        let signature: String = lines[sig_start..=sig_end]
            .iter()
            .map(|l| strip_line_comment(l).trim_end())
            .collect::<Vec<_>>()
            .join("\n");
        // An item declared inside a wrapper macro (`doc! {macro_rules! select {`).
        let signature = match signature.find("macro_rules!") {
            Some(at) if at > 0 => signature[at..].to_owned(),
            _ => signature,
        };
        let signature = signature
            .split('{')
            .next()
            .unwrap_or("")
            .trim()
            .trim_end_matches(" where")
            .to_owned();
        let scope_pub = scopes.last().is_some_and(|s| s.implicit_pub);
        let is_test = test_depth.is_some() || pending_test;
        let public =
            signature.starts_with("pub ") || scope_pub || signature.starts_with("macro_rules!");
        if !docs.is_empty()
            && !is_test
            && public
            && let Some(name) = rust_item_name(&signature)
        {
            let mut crumb = module.clone();
            crumb.extend(scopes.iter().map(|s| s.name.clone()));
            crumb.push(name);
            let qualified = crumb.join("::");
            let text: String = docs
                .iter()
                .map(|(_, t)| t.as_str())
                .collect::<Vec<_>>()
                .join("\n");
            let line_map: Vec<u32> = docs.iter().map(|(l, _)| *l).collect();
            let blocks = doc_blocks(&parse_markdown(&text, false), &line_map);
            let sig_block = Block {
                kind: BlockKind::Item,
                text: format!("```rust\n{}\n```", dedent_signature(&signature)),
                start_line: sig_start as u32 + 1,
                end_line: sig_end as u32 + 1,
            };
            doc.sections
                .push(item_section(vec![qualified], sig_block, blocks));
        }
        docs.clear();
        // Track scopes opened by this item's line(s).
        let depth_before = depth;
        if let Some(scope) = rust_scope(&signature) {
            pending_scope = Some(scope);
        }
        for l in &lines[sig_start..=sig_end] {
            let delta = brace_delta(l);
            if delta > 0
                && let Some((name, implicit)) = pending_scope.take()
            {
                scopes.push(Scope {
                    depth: depth + 1,
                    name,
                    implicit_pub: implicit,
                });
            }
            depth += delta;
        }
        if signature.trim_end().ends_with(';') {
            pending_scope = None;
        }
        while scopes.last().is_some_and(|s| depth < s.depth) {
            scopes.pop();
        }
        if pending_test {
            pending_test = false;
            if depth > depth_before {
                test_depth = Some(depth_before);
            }
        }
        if test_depth.is_some_and(|d| depth <= d) {
            test_depth = None;
        }
        i = sig_end + 1;
    }
    if !inner_docs.is_empty() {
        let text: String = inner_docs
            .iter()
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let line_map: Vec<u32> = inner_docs.iter().map(|(l, _)| *l).collect();
        let parsed = parse_markdown(&text, false);
        doc.title = parsed.title.clone();
        let name = if module.is_empty() {
            "crate".to_owned()
        } else {
            module.join("::")
        };
        let mut module_sections: Vec<Section> = parsed
            .sections
            .iter()
            .map(|s| {
                let mut breadcrumb = vec![name.clone()];
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
                Section { breadcrumb, blocks }
            })
            .collect();
        module_sections.append(&mut doc.sections);
        doc.sections = module_sections;
    }
    doc
}

fn strip_one_space(s: &str) -> &str {
    s.strip_prefix(' ').unwrap_or(s)
}

fn dedent_signature(sig: &str) -> String {
    let min = sig
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut lines = sig.lines();
    let first = lines.next().unwrap_or("").trim().to_owned();
    std::iter::once(first)
        .chain(lines.map(|l| {
            if l.len() >= min {
                l[min.saturating_sub(4)..].to_owned()
            } else {
                l.to_owned()
            }
        }))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Removes a trailing `// comment`, ignoring `//` inside string literals.
fn strip_line_comment(line: &str) -> &str {
    let mut in_str = false;
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if in_str => i += 1,
            b'"' => in_str = !in_str,
            b'/' if !in_str && bytes.get(i + 1) == Some(&b'/') => return &line[..i],
            _ => {}
        }
        i += 1;
    }
    line
}

/// Net `{` minus `}` on a line, outside strings, char literals and comments.
fn brace_delta(line: &str) -> i32 {
    let line = strip_line_comment(line);
    let mut delta = 0;
    let mut in_str = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if in_str => {
                chars.next();
            }
            '"' => in_str = !in_str,
            '\'' if !in_str => {
                // A char literal such as '{' or '\'' (lifetimes have no closing quote).
                let mut look = chars.clone();
                match (look.next(), look.next()) {
                    (Some('\\'), _) => {
                        chars.next();
                        chars.next();
                        if chars.peek() == Some(&'\'') {
                            chars.next();
                        }
                    }
                    (Some(_), Some('\'')) => {
                        chars.next();
                        chars.next();
                    }
                    _ => {}
                }
            }
            '{' if !in_str => delta += 1,
            '}' if !in_str => delta -= 1,
            _ => {}
        }
    }
    delta
}

const RUST_KEYWORDS: &[&str] = &[
    "fn",
    "struct",
    "enum",
    "trait",
    "type",
    "const",
    "static",
    "mod",
    "union",
    "macro_rules!",
];

/// The name an item signature declares, if it declares one.
fn rust_item_name(signature: &str) -> Option<String> {
    let words: Vec<&str> = signature
        .split(|c: char| {
            c.is_whitespace()
                || c == '('
                || c == '<'
                || c == ':'
                || c == '{'
                || c == ';'
                || c == '='
                || c == ','
        })
        .filter(|w| !w.is_empty())
        .collect();
    for (i, w) in words.iter().enumerate() {
        if w.starts_with("macro_rules!") {
            return words.get(i + 1).map(|n| format!("{n}!"));
        }
        if RUST_KEYWORDS.contains(w) {
            let name = words.get(i + 1)?;
            return is_ident(name).then(|| name.to_string());
        }
        if *w == "impl" {
            return None;
        }
    }
    // A field (`pub name: Type,`) or an enum variant (`Name(..)`, `Name { .. }`, `Name,`).
    let first = words.iter().find(|w| {
        !w.starts_with("pub") && !matches!(**w, "crate" | "super" | "unsafe" | "async" | "extern")
    })?;
    is_ident(first).then(|| first.to_string())
}

fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|f| f.is_alphabetic() || f == '_')
        && c.all(|x| x.is_alphanumeric() || x == '_')
}

/// A scope that names the items inside it: `impl X`, `trait T`, `mod m`, `enum E`.
fn rust_scope(signature: &str) -> Option<(String, bool)> {
    let sig = signature
        .trim_start_matches("pub(crate) ")
        .trim_start_matches("pub ")
        .trim_start_matches("unsafe ");
    if let Some(rest) = sig.strip_prefix("impl") {
        let rest = skip_generics(rest.trim_start());
        let (ty, is_trait_impl) = match rest.split_once(" for ") {
            Some((_, ty)) => (ty, true),
            None => (rest, false),
        };
        let ty = ty
            .trim()
            .split(|c: char| c == '<' || c.is_whitespace())
            .next()?;
        let ty = ty.rsplit("::").next()?.trim_start_matches('&');
        return is_ident(ty).then(|| (ty.to_owned(), is_trait_impl));
    }
    for (kw, implicit) in [
        ("trait ", true),
        ("mod ", false),
        ("enum ", true),
        ("struct ", false),
    ] {
        if let Some(rest) = sig.strip_prefix(kw) {
            let name = rest
                .split(|c: char| !c.is_alphanumeric() && c != '_')
                .next()?;
            return is_ident(name).then(|| (name.to_owned(), implicit));
        }
    }
    None
}

fn skip_generics(s: &str) -> &str {
    if !s.starts_with('<') {
        return s;
    }
    let mut depth = 0;
    for (i, c) in s.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => {
                depth -= 1;
                if depth == 0 {
                    return s[i + 1..].trim_start();
                }
            }
            _ => {}
        }
    }
    s
}

// ---------------------------------------------------------------- Python

fn parse_python(source: &str, path: &str) -> Document {
    let lines: Vec<&str> = source.lines().collect();
    let module = module_path(path, ".py").join(".");
    let mut doc = Document::default();
    // Open classes: (indentation, name).
    let mut classes: Vec<(usize, String)> = Vec::new();
    let mut first_statement = true;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            i += 1;
            continue;
        }
        let indent = line.len() - trimmed.len();
        if first_statement {
            first_statement = false;
            if let Some((text, end)) = docstring_at(&lines, i) {
                let parsed = parse_rst(&text);
                let line_map: Vec<u32> = (i as u32 + 1..=end as u32 + 1).collect();
                doc.title = Some(module.clone());
                let blocks = doc_blocks(&parsed, &line_map);
                if !blocks.is_empty() {
                    doc.sections.push(Section {
                        breadcrumb: vec![module.clone()],
                        blocks,
                    });
                }
                i = end + 1;
                continue;
            }
        }
        while classes.last().is_some_and(|(ci, _)| indent <= *ci) {
            classes.pop();
        }
        let def = trimmed.strip_prefix("async ").unwrap_or(trimmed);
        let kind = if def.starts_with("def ") {
            Some("def")
        } else if def.starts_with("class ") {
            Some("class")
        } else {
            None
        };
        let Some(kind) = kind else {
            i += 1;
            continue;
        };
        let name: String = def[kind.len() + 1..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        // The signature runs to the line whose brackets balance and that ends with ':'.
        let mut end = i;
        let mut balance = 0i32;
        loop {
            let l = lines[end];
            balance += l.matches(['(', '[']).count() as i32 - l.matches([')', ']']).count() as i32;
            if balance <= 0 && l.trim_end().ends_with(':') || end + 1 >= lines.len() || end - i > 20
            {
                break;
            }
            end += 1;
        }
        let mut crumb: Vec<String> = classes.iter().map(|(_, n)| n.clone()).collect();
        crumb.push(name.clone());
        let mut decorators = i;
        while decorators > 0 && lines[decorators - 1].trim_start().starts_with('@') {
            decorators -= 1;
        }
        let public = !name.starts_with('_') && classes.iter().all(|(_, n)| !n.starts_with('_'));
        if kind == "class" {
            classes.push((indent, name.clone()));
        }
        let body = (end + 1..lines.len()).find(|&j| !lines[j].trim().is_empty());
        if let Some(body) = body.filter(|_| public)
            && let Some((text, doc_end)) = docstring_at(&lines, body)
        {
            let parsed = parse_rst(&text);
            let line_map: Vec<u32> = (body as u32 + 1..=doc_end as u32 + 1).collect();
            let signature = lines[decorators..=end]
                .iter()
                .map(|l| l.get(indent..).unwrap_or(l.trim_start()))
                .collect::<Vec<_>>()
                .join("\n");
            let qualified = if module.is_empty() {
                crumb.join(".")
            } else {
                format!("{module}.{}", crumb.join("."))
            };
            let sig_block = Block {
                kind: BlockKind::Item,
                text: format!("```python\n{}\n```", signature.trim_end()),
                start_line: decorators as u32 + 1,
                end_line: end as u32 + 1,
            };
            doc.sections.push(item_section(
                vec![qualified],
                sig_block,
                doc_blocks(&parsed, &line_map),
            ));
            i = doc_end + 1;
            continue;
        }
        i = end + 1;
    }
    doc
}

/// A docstring starting at line `i`: its dedented text (one line per source
/// line, so line numbers map 1:1) and its last line.
fn docstring_at(lines: &[&str], i: usize) -> Option<(String, usize)> {
    let trimmed = lines[i].trim_start();
    let unprefixed = trimmed.trim_start_matches(['r', 'u', 'R', 'U']);
    let quote = ["\"\"\"", "'''"]
        .into_iter()
        .find(|q| unprefixed.starts_with(q))?;
    let first = &unprefixed[3..];
    if let Some(close) = first.find(quote) {
        return Some((first[..close].to_owned(), i));
    }
    let mut text = vec![first.to_owned()];
    for (j, l) in lines.iter().enumerate().skip(i + 1) {
        if let Some(close) = l.find(quote) {
            text.push(l[..close].to_owned());
            let body = &text[1..];
            let min = body
                .iter()
                .filter(|l| !l.trim().is_empty())
                .map(|l| l.len() - l.trim_start().len())
                .min()
                .unwrap_or(0);
            let dedented: Vec<String> = std::iter::once(text[0].trim().to_owned())
                .chain(
                    body.iter()
                        .map(|l| l.get(min..).unwrap_or(l.trim()).to_owned()),
                )
                .collect();
            return Some((dedented.join("\n"), j));
        }
        text.push((*l).to_owned());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_items_get_qualified_names_signatures_and_docs() {
        let src = r#"//! Utilities for tracking time.
//!
//! # Examples
//!
//! ```
//! let x = 1;
//! ```

/// Requires a future to complete before the deadline.
///
/// ```rust
/// timeout(d, f).await;
/// ```
#[track_caller]
pub fn timeout<F>(duration: Duration, future: F) -> Timeout<F>
where
    F: Future,
{
    todo!()
}

/// Private helper.
fn helper() {}

pub struct Builder { inner: u8 }

impl Builder {
    /// Creates a multi-threaded runtime builder.
    pub fn new_multi_thread() -> Builder {
        let s = "}";
        Builder { inner: 0 }
    }
}

/// A trait.
pub trait Service {
    /// Calls the service.
    fn call(&self);
}

#[cfg(test)]
mod tests {
    /// Not API.
    pub fn t() {}
}
"#;
        let doc = parse_code(src, "src/time/timeout.rs", Language::Rust, &|_| None);
        let names: Vec<String> = doc
            .sections
            .iter()
            .map(|s| s.breadcrumb.join(" › "))
            .collect();
        assert_eq!(
            names,
            [
                "time::timeout",
                "time::timeout › Examples",
                "time::timeout::timeout",
                "time::timeout::Builder::new_multi_thread",
                "time::timeout::Service",
                "time::timeout::Service::call",
            ]
        );
        let timeout = &doc.sections[2];
        assert_eq!(
            timeout.blocks[0].text,
            "```rust\npub fn timeout<F>(duration: Duration, future: F) -> Timeout<F>\nwhere\n    F: Future,\n```"
        );
        assert_eq!(
            (timeout.blocks[0].start_line, timeout.blocks[0].end_line),
            (15, 18)
        );
        assert!(
            timeout
                .blocks
                .iter()
                .any(|b| b.text.starts_with("```rust\ntimeout(d, f)") && b.start_line == 11)
        );
    }

    #[test]
    fn python_docstrings_become_items() {
        let src = "\"\"\"Flask app module.\"\"\"\n\nclass Flask:\n    \"\"\"The flask object.\n\n    :param name: the name.\n    \"\"\"\n\n    @setupmethod\n    def route(self, rule: str,\n              **options):\n        \"\"\"Decorate a view function.\n\n        Example::\n\n            @app.route('/')\n            def index(): ...\n        \"\"\"\n        pass\n\n    def _private(self):\n        \"\"\"Hidden.\"\"\"\n\ndef url_for(endpoint):\n    \"\"\"Generate a URL.\"\"\"\n";
        let doc = parse_code(src, "src/flask/app.py", Language::Python, &|_| None);
        let names: Vec<String> = doc
            .sections
            .iter()
            .map(|s| s.breadcrumb.join(" › "))
            .collect();
        assert_eq!(
            names,
            [
                "flask.app",
                "flask.app.Flask",
                "flask.app.Flask.route",
                "flask.app.url_for"
            ]
        );
        let route = &doc.sections[2];
        assert_eq!(
            route.blocks[0].text,
            "```python\n@setupmethod\ndef route(self, rule: str,\n          **options):\n```"
        );
        assert_eq!(route.blocks[0].start_line, 9);
        assert!(
            route
                .blocks
                .iter()
                .any(|b| b.kind == BlockKind::Code { lang: None } && b.start_line == 16)
        );
    }

    #[test]
    fn included_example_code_becomes_doc_text() {
        let src = "//! ### Flags\n//!\n//! ```rust\n#![doc = include_str!(\"../examples/flag.rs\")]\n//! ```\n//!\n//! Done.\n\n/// Sel.\ndoc! {macro_rules! select {\n    () => {}\n}}\n";
        let include =
            |p: &str| (p == "../examples/flag.rs").then(|| "fn main() {\n    cli();\n}".to_owned());
        let doc = parse_code(src, "src/_tutorial.rs", Language::Rust, &include);
        let flags = &doc.sections[0];
        assert_eq!(flags.breadcrumb, ["tutorial", "Flags"]);
        let code = flags
            .blocks
            .iter()
            .find(|b| matches!(b.kind, BlockKind::Code { .. }))
            .unwrap();
        assert_eq!(code.text, "```rust\nfn main() {\n    cli();\n}\n```");
        assert_eq!((code.start_line, code.end_line), (3, 5));
        assert_eq!(doc.sections[1].breadcrumb, ["tutorial::select!"]);
    }

    #[test]
    fn examples_are_whole_code_blocks() {
        let src = format!("use clap::Parser;\n\n{}", "fn a() {}\n\n".repeat(800));
        let doc = parse_example(&src, "examples/derive/flags.rs", Language::Rust);
        assert_eq!(
            doc.sections[0].breadcrumb,
            ["Example: examples/derive/flags.rs"]
        );
        let blocks = &doc.sections[0].blocks;
        assert!(blocks.len() > 1);
        assert!(
            blocks
                .iter()
                .all(|b| b.text.starts_with("```rust\n") && b.text.ends_with("\n```"))
        );
        assert_eq!(blocks[0].start_line, 1);
        assert_eq!(
            blocks.last().unwrap().end_line as usize,
            src.lines().count()
        );
    }

    #[test]
    fn module_paths_drop_src_and_mod_files() {
        assert_eq!(module_path("src/runtime/mod.rs", ".rs"), ["runtime"]);
        assert_eq!(
            module_path("clap_builder/src/builder/arg.rs", ".rs"),
            ["clap_builder", "builder", "arg"]
        );
        assert_eq!(module_path("src/_derive/mod.rs", ".rs"), ["derive"]);
        assert!(module_path("src/lib.rs", ".rs").is_empty());
        assert_eq!(
            module_path("python/src/lanternfish/queue.py", ".py"),
            ["lanternfish", "queue"]
        );
    }
}
