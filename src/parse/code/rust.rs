//! Rust: `pub` items with `///` docs, `//!` module docs, `#[doc = include_str!(…)]`,
//! and items declared inside wrapper macros (`cfg_rt! { … }`). Documented items
//! that are not public API (`pub(crate)`, private, inside a private module)
//! are kept too, marked internal: in an application or a tool they can be
//! the only documentation of what its users see (a linter's rules).

use std::collections::HashMap;

use tree_sitter::Node;

use super::walk::{self, Ctx, DocFormat, DocLines, MAX_SCOPE_DEPTH, named_children};
use super::{Grammar, module_path};
use crate::parse::{Document, Include, Section};

pub(super) fn extract(
    source: &str,
    path: &str,
    grammar: &'static Grammar,
    root: Node<'_>,
    include: Include<'_>,
) -> Document {
    let mut cx = Ctx::new(source, grammar, module_path(path, grammar.language));
    let mut rust = Rust {
        include,
        macro_depth: 0,
        doc_macros: doc_macros(&cx, root),
    };
    let mut inner = DocLines::new();
    for child in named_children(root) {
        match child.kind() {
            "line_comment" | "block_comment" => {
                let text = cx.text(child);
                if text.starts_with("//!") || text.starts_with("/*!") {
                    inner.extend(cx.comment_lines(child));
                }
            }
            "inner_attribute_item" => {
                if let Some(text) = rust.doc_attribute(&cx, child) {
                    let line = cx.line(child);
                    inner.extend(text.lines().map(|l| (line, l.to_owned())));
                }
            }
            _ => {}
        }
    }
    rust.items(&mut cx, root, &[], Scope::default(), &DocLines::new());
    attach_messages(&mut cx, root);
    panic_messages(&mut cx, root, &[], 0);
    let title = cx.emit_module_docs(&inner, DocFormat::Markdown);
    cx.into_document(title)
}

/// What a container says about the items in it.
#[derive(Clone, Copy, Default)]
struct Scope {
    /// Items are public API without `pub` (trait bodies, enum variants, trait impls).
    implicit_pub: bool,
    /// Inside `#[cfg(test)]`: nothing is indexed.
    hidden: bool,
    /// Inside a container that is not public: nothing is public API.
    internal: bool,
}

struct Rust<'i> {
    include: Include<'i>,
    macro_depth: usize,
    /// Macros of this file that only document the item given to them.
    doc_macros: HashMap<String, DocLines>,
}

impl Rust<'_> {
    /// Walks the items of `container` (a file, `mod`/`impl`/`trait` body,
    /// field or variant list). `outer_docs` are docs written above a wrapper
    /// macro, given to the first item inside it that has none of its own.
    fn items(
        &mut self,
        cx: &mut Ctx<'_>,
        container: Node<'_>,
        path: &[String],
        scope: Scope,
        outer_docs: &DocLines,
    ) {
        if path.len() > MAX_SCOPE_DEPTH || scope.hidden {
            return;
        }
        let mut outer_docs = outer_docs.clone();
        for node in named_children(container) {
            let kind = node.kind();
            if matches!(
                kind,
                "line_comment" | "block_comment" | "attribute_item" | "inner_attribute_item"
            ) {
                continue;
            }
            let attrs = Attrs::above(self, cx, node);
            if attrs.test || attrs.hidden {
                continue;
            }
            let mut docs = attrs.docs;
            if docs.is_empty() {
                docs = std::mem::take(&mut outer_docs);
            }
            let public = !scope.internal && (scope.implicit_pub || is_pub(cx, node));
            let name = cx.field_text(node, "name").map(str::to_owned);
            let body = node.child_by_field_name("body");
            let sig_end = body.map_or(node.end_byte(), |b| b.start_byte());
            let mut child_path = path.to_vec();
            match kind {
                "function_item"
                | "function_signature_item"
                | "const_item"
                | "static_item"
                | "type_item"
                | "associated_type"
                | "union_item" => {
                    if let Some(name) = name {
                        child_path.push(name);
                        let end = if kind == "function_item" {
                            sig_end
                        } else {
                            value_cut(cx, node)
                        };
                        emit(cx, public, &child_path, node, end, &docs);
                    }
                }
                "struct_item" | "enum_item" | "trait_item" => {
                    let Some(name) = name else { continue };
                    child_path.push(name);
                    emit(cx, public, &child_path, node, sig_end, &docs);
                    if let Some(body) = body {
                        let inner = Scope {
                            implicit_pub: kind != "struct_item",
                            hidden: false,
                            internal: !public,
                        };
                        self.items(cx, body, &child_path, inner, &DocLines::new());
                    }
                }
                "field_declaration" | "enum_variant" => {
                    if let Some(name) = name {
                        child_path.push(name);
                        let end = cx.text(node).trim_end_matches(',').len() + node.start_byte();
                        emit(cx, public, &child_path, node, end, &docs);
                    }
                }
                "mod_item" => {
                    let Some(name) = name else { continue };
                    child_path.push(name);
                    emit(cx, public, &child_path, node, sig_end, &docs);
                    if let Some(body) = body {
                        let inner = Scope {
                            implicit_pub: false,
                            hidden: false,
                            internal: !public,
                        };
                        self.items(cx, body, &child_path, inner, &DocLines::new());
                    }
                }
                "impl_item" => {
                    let Some(ty) = node
                        .child_by_field_name("type")
                        .and_then(|t| type_name(cx, t))
                    else {
                        continue;
                    };
                    child_path.push(ty);
                    if let Some(body) = body {
                        let inner = Scope {
                            implicit_pub: node.child_by_field_name("trait").is_some(),
                            hidden: false,
                            internal: scope.internal,
                        };
                        self.items(cx, body, &child_path, inner, &DocLines::new());
                    }
                }
                "macro_definition" => {
                    if let Some(name) = name {
                        child_path.push(format!("{name}!"));
                        let end = node
                            .child_by_field_name("name")
                            .map_or(node.end_byte(), |n| n.end_byte());
                        cx.emit(&child_path, node, end, node, &docs, DocFormat::Markdown);
                    }
                }
                "macro_invocation" => self.wrapper_macro(cx, node, path, scope, &docs),
                _ => {}
            }
        }
    }

    /// Items declared inside a macro call at item level (`cfg_net! { pub fn … }`):
    /// the token tree is parsed again as Rust.
    fn wrapper_macro(
        &mut self,
        cx: &mut Ctx<'_>,
        node: Node<'_>,
        path: &[String],
        scope: Scope,
        docs: &DocLines,
    ) {
        let Some(tree) = named_children(node)
            .into_iter()
            .find(|c| c.kind() == "token_tree")
        else {
            return;
        };
        let text = cx.text(tree);
        if self.macro_depth >= 4
            || text.len() < 2
            || !(text.contains("///") || text.contains("pub ") || text.contains("macro_rules!"))
        {
            return;
        }
        // Inside the delimiters; a token tree cut short by a syntax error
        // may lack the closing one.
        let inner_src = text.strip_prefix(['(', '[', '{']).unwrap_or(text);
        let inner_src = inner_src.strip_suffix([')', ']', '}']).unwrap_or(inner_src);
        let Some(inner_tree) = walk::parse_tree(inner_src, cx.grammar) else {
            return;
        };
        let mut inner = Ctx::new(inner_src, cx.grammar, cx.module.clone());
        inner.line_base = cx.line(tree) - 1;
        // `doc! { macro_rules! select { … } }`: the docs `doc!` writes.
        // Given once: the variants of one macro behind `#[cfg(doc)]` and
        // `#[cfg(not(doc))]` are one item to document.
        let docs = match macro_name(cx, node).and_then(|name| self.doc_macros.remove(name)) {
            Some(written) if docs.is_empty() => written,
            _ => docs.clone(),
        };
        self.macro_depth += 1;
        self.items(&mut inner, inner_tree.root_node(), path, scope, &docs);
        self.macro_depth -= 1;
        cx.sections.append(&mut inner.sections);
    }

    /// The doc text of `#[doc = "…"]` or `#[doc = include_str!("…")]`.
    fn doc_attribute(&self, cx: &Ctx<'_>, attr: Node<'_>) -> Option<String> {
        let text = cx.text(attr);
        let inner = text
            .trim_start_matches('#')
            .trim_start_matches('!')
            .trim_start_matches('[');
        let value = inner.strip_prefix("doc")?.trim_start().strip_prefix('=')?;
        let value = value.trim().trim_end_matches(']').trim();
        if let Some(rest) = value.strip_prefix("include_str!(") {
            let start = rest.find('"')? + 1;
            let len = rest[start..].find('"')?;
            return (self.include)(&rest[start..start + len]);
        }
        let quoted = value.strip_prefix('"')?.strip_suffix('"')?;
        Some(quoted.replace("\\n", "\n").replace("\\\"", "\""))
    }
}

/// The attributes and doc comments directly above an item.
struct Attrs {
    docs: DocLines,
    /// `#[cfg(test)]` or `#[test]`.
    test: bool,
    /// `#[doc(hidden)]`.
    hidden: bool,
}

impl Attrs {
    fn above(rust: &Rust<'_>, cx: &Ctx<'_>, node: Node<'_>) -> Attrs {
        let mut attrs = Attrs {
            docs: DocLines::new(),
            test: false,
            hidden: false,
        };
        let mut cursor = node.prev_sibling();
        let mut found = Vec::new();
        while let Some(prev) = cursor {
            match prev.kind() {
                "attribute_item" => found.push(prev),
                "line_comment" | "block_comment" => {
                    let text = cx.text(prev);
                    if is_outer_doc(text) {
                        found.push(prev);
                    } else if text.starts_with("//!") || text.starts_with("/*!") {
                        break;
                    }
                }
                _ => break,
            }
            cursor = prev.prev_sibling();
        }
        for node in found.into_iter().rev() {
            if node.kind() == "attribute_item" {
                let text: String = cx.text(node).split_whitespace().collect();
                attrs.test |= text == "#[test]"
                    || text.starts_with("#[cfg(test")
                    || text.ends_with("::test]");
                attrs.hidden |= text.starts_with("#[doc(hidden");
                if let Some(doc) = rust.doc_attribute(cx, node) {
                    let line = cx.line(node);
                    attrs.docs.extend(doc.lines().map(|l| (line, l.to_owned())));
                }
            } else {
                attrs.docs.extend(cx.comment_lines(node));
            }
        }
        attrs
    }
}

fn is_outer_doc(comment: &str) -> bool {
    (comment.starts_with("///") && !comment.starts_with("////"))
        || (comment.starts_with("/**") && !comment.starts_with("/***") && comment != "/**/")
}

/// Macros that only put doc comments on the item given to them, by name:
/// `macro_rules! doc { ($select:item) => { /// Waits on … $select } }`, as
/// tokio documents `select!` (whose docs cannot sit on a `macro_rules!`
/// that other macros expand). Their doc lines keep their own line numbers.
fn doc_macros(cx: &Ctx<'_>, root: Node<'_>) -> HashMap<String, DocLines> {
    let mut out = HashMap::new();
    for node in named_children(root) {
        if node.kind() != "macro_definition" {
            continue;
        }
        let (Some(name), Some(body)) = (
            cx.field_text(node, "name"),
            named_children(node)
                .into_iter()
                .find(|r| r.kind() == "macro_rule")
                .and_then(|r| r.child_by_field_name("right")),
        ) else {
            continue;
        };
        let start = cx.line(body);
        let mut docs = DocLines::new();
        let mut rest = String::new();
        for (i, line) in cx.text(body).lines().enumerate() {
            let line = line.trim();
            match line.strip_prefix("///") {
                Some(doc) if !doc.starts_with('/') => {
                    docs.push((
                        start + i as u32,
                        doc.strip_prefix(' ').unwrap_or(doc).to_owned(),
                    ));
                }
                // Attributes go with the item too (`#[macro_export]`).
                _ if line.starts_with("#[") => {}
                _ => rest.push_str(line),
            }
        }
        let rest = rest.trim_matches(|c: char| {
            matches!(c, '{' | '}' | '(' | ')' | '[' | ']') || c.is_whitespace()
        });
        let item = rest
            .strip_prefix('$')
            .is_some_and(|v| !v.is_empty() && v.chars().all(|c| c.is_alphanumeric() || c == '_'));
        if item && !docs.is_empty() {
            out.insert(name.to_owned(), docs);
        }
    }
    out
}

/// The name a macro call invokes: `bail` for `anyhow::bail!(…)`.
fn macro_name<'s>(cx: &Ctx<'s>, invocation: Node<'_>) -> Option<&'s str> {
    let path = cx.text(invocation.child_by_field_name("macro")?);
    path.rsplit("::").next()
}

/// Macros whose string arguments a user sees when they fire.
const PANICKING: &[&str] = &[
    "panic",
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "unreachable",
    "unimplemented",
    "todo",
    "bail",
    "ensure",
];

/// A section per function whose body panics or bails with a message
/// (`panic!("Command {}: Short option names must be unique …")`), named by
/// the function and spanning the lines of those calls, so that a pasted
/// panic finds the check that raised it even where the function has no
/// docs. Public or not: the message is what its users see.
fn panic_messages(cx: &mut Ctx<'_>, node: Node<'_>, path: &[String], depth: usize) {
    if depth > MAX_SCOPE_DEPTH * 4 {
        return;
    }
    for child in named_children(node) {
        match child.kind() {
            "function_item" => {
                let Some(name) = cx.field_text(child, "name").map(str::to_owned) else {
                    continue;
                };
                let mut messages = Vec::new();
                if let Some(body) = child.child_by_field_name("body") {
                    collect_panics(cx, body, 0, &mut messages);
                }
                walk::keep_distinct(&mut messages, MAX_MESSAGES, |(_, _, m)| m.as_str());
                if messages.is_empty() {
                    continue;
                }
                let mut fn_path = path.to_vec();
                fn_path.push(name);
                let from = messages.iter().map(|m| m.0).min().unwrap_or(1);
                let to = messages.iter().map(|m| m.1).max().unwrap_or(from);
                let list: Vec<String> = messages.into_iter().map(|(_, _, m)| m).collect();
                cx.sections.push(Section {
                    breadcrumb: vec![cx.qualify(&fn_path)],
                    blocks: vec![walk::list_block("Messages", &list, (from, to))],
                    internal: false,
                });
            }
            "mod_item" | "impl_item" | "trait_item" => {
                let mut inner = path.to_vec();
                let name = match child.kind() {
                    "impl_item" => child
                        .child_by_field_name("type")
                        .and_then(|t| type_name(cx, t)),
                    _ => cx.field_text(child, "name").map(str::to_owned),
                };
                inner.extend(name);
                if let Some(body) = child.child_by_field_name("body") {
                    panic_messages(cx, body, &inner, depth + 1);
                }
            }
            _ => {}
        }
    }
}

/// The messages of the panicking macros called under `node`; a nested
/// function's are its own.
fn collect_panics(cx: &Ctx<'_>, node: Node<'_>, depth: usize, out: &mut Vec<Message>) {
    if depth > 64 || out.len() >= 4 * MAX_MESSAGES {
        return;
    }
    for child in named_children(node) {
        match child.kind() {
            "function_item" | "closure_expression" => {}
            "macro_invocation" => {
                if macro_name(cx, child).is_some_and(|n| PANICKING.contains(&n))
                    && let Some(tree) = named_children(child)
                        .into_iter()
                        .find(|c| c.kind() == "token_tree")
                {
                    let before = out.len();
                    collect_strings(cx, tree, 0, out);
                    // Runs of white space as one space; the lines are the call's.
                    for message in &mut out[before..] {
                        message.2 = message.2.split_whitespace().collect::<Vec<_>>().join(" ");
                        message.0 = cx.line(child);
                        message.1 = cx.end_line(child);
                    }
                } else {
                    collect_panics(cx, child, depth + 1, out);
                }
            }
            _ => collect_panics(cx, child, depth + 1, out),
        }
    }
}

/// A message string: its first and last line, and its text.
type Message = (u32, u32, String);

/// Most messages kept per type, and the longest kept.
const MAX_MESSAGES: usize = 8;
const MAX_MESSAGE_BYTES: usize = 300;

/// The user-facing strings of a type's trait impls in this file (a lint
/// rule's `message`, an error's `Display`), added to the type's own section
/// as a "Messages" block, so that a pasted message finds the item that
/// emits it. Placeholders (`{name}`) stay as they are.
fn attach_messages(cx: &mut Ctx<'_>, root: Node<'_>) {
    let mut found: Vec<(String, Vec<Message>)> = Vec::new();
    for node in named_children(root) {
        if node.kind() != "impl_item" || node.child_by_field_name("trait").is_none() {
            continue;
        }
        let (Some(ty), Some(body)) = (
            node.child_by_field_name("type")
                .and_then(|t| type_name(cx, t)),
            node.child_by_field_name("body"),
        ) else {
            continue;
        };
        let mut messages = Vec::new();
        collect_strings(cx, body, 0, &mut messages);
        if messages.is_empty() {
            continue;
        }
        match found.iter_mut().find(|(name, _)| *name == ty) {
            Some((_, all)) => all.extend(messages),
            None => found.push((ty, messages)),
        }
    }
    for (ty, mut messages) in found {
        let qualified = cx.qualify(&[ty]);
        let Some(section) = cx
            .sections
            .iter_mut()
            .find(|s| s.breadcrumb.len() == 1 && s.breadcrumb[0] == qualified)
        else {
            continue;
        };
        walk::keep_distinct(&mut messages, MAX_MESSAGES, |(_, _, m)| m.as_str());
        let list: Vec<String> = messages.into_iter().map(|(_, _, m)| m).collect();
        walk::push_list(section, "Messages", &list);
    }
}

/// String literals under `node` that read as a message: several words, or
/// words around a placeholder; not paths, identifiers or format specs.
fn collect_strings(cx: &Ctx<'_>, node: Node<'_>, depth: usize, out: &mut Vec<Message>) {
    if depth > 40 || out.len() >= 4 * MAX_MESSAGES {
        return;
    }
    if matches!(node.kind(), "string_literal" | "raw_string_literal") {
        let text = cx.text(node);
        let inner = text
            .trim_start_matches('b')
            .trim_start_matches('r')
            .trim_matches('#')
            .trim_matches('"');
        // A line ending in `\` goes on, without its indentation, on the next.
        let inner: String = inner
            .split("\\\n")
            .enumerate()
            .map(|(i, part)| if i == 0 { part } else { part.trim_start() })
            .collect();
        let words = inner
            .split_whitespace()
            .filter(|w| w.chars().any(char::is_alphabetic));
        if words.count() >= 3 && inner.len() <= MAX_MESSAGE_BYTES && !inner.contains('\n') {
            out.push((cx.line(node), cx.end_line(node), inner));
        }
        return;
    }
    for child in named_children(node) {
        collect_strings(cx, child, depth + 1, out);
    }
}

/// A documented item's section: public API, or marked internal.
fn emit(
    cx: &mut Ctx<'_>,
    public: bool,
    path: &[String],
    node: Node<'_>,
    end: usize,
    docs: &DocLines,
) {
    let before = cx.sections.len();
    cx.emit(path, node, end, node, docs, DocFormat::Markdown);
    for section in &mut cx.sections[before..] {
        section.internal = !public;
    }
}

/// `pub` exactly: `pub(crate)` and friends are not public API.
fn is_pub(cx: &Ctx<'_>, node: Node<'_>) -> bool {
    named_children(node)
        .into_iter()
        .any(|c| c.kind() == "visibility_modifier" && cx.text(c) == "pub")
}

/// The end of a `const`/`static`/`type` head: before a long value.
fn value_cut(cx: &Ctx<'_>, node: Node<'_>) -> usize {
    let text = cx.text(node);
    match node.child_by_field_name("value") {
        Some(value) if text.len() > 200 => value.start_byte(),
        _ => node.end_byte(),
    }
}

/// The plain name of an implemented type: `Builder` for `&'a mut Builder<T>`.
fn type_name(cx: &Ctx<'_>, ty: Node<'_>) -> Option<String> {
    match ty.kind() {
        "type_identifier" | "primitive_type" => Some(cx.text(ty).to_owned()),
        "generic_type" => type_name(cx, ty.child_by_field_name("type")?),
        "scoped_type_identifier" => type_name(cx, ty.child_by_field_name("name")?),
        "reference_type" | "pointer_type" => type_name(cx, ty.child_by_field_name("type")?),
        _ => None,
    }
}
