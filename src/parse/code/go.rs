//! Go: exported (capitalised) functions, methods, types, constants and
//! variables with their `//` doc comments; the package comment. Names are
//! `package.Name` and `package.Type.Method`.

use tree_sitter::Node;

use super::Grammar;
use super::walk::{Ctx, DocFormat, DocLines, comments_above, named_children};
use crate::parse::Document;

/// Longest type or constant group kept whole in a signature, in lines.
const DECLARATION_LINES: usize = 40;

pub(super) fn extract(source: &str, grammar: &'static Grammar, root: Node<'_>) -> Document {
    let children = named_children(root);
    let package = children
        .iter()
        .find(|n| n.kind() == "package_clause")
        .and_then(|p| p.named_child(0))
        .map(|n| source[n.byte_range()].to_owned());
    let mut cx = Ctx::new(source, grammar, package.iter().cloned().collect());
    let mut package_doc = DocLines::new();
    for node in children {
        match node.kind() {
            "package_clause" => package_doc = go_doc(&cx, node),
            "function_declaration" => {
                let Some(name) = cx.field_text(node, "name") else {
                    continue;
                };
                if exported(name) {
                    emit(&mut cx, vec![name.to_owned()], node, node, body_start(node));
                }
            }
            "method_declaration" => {
                let (Some(name), Some(receiver)) = (
                    cx.field_text(node, "name"),
                    node.child_by_field_name("receiver")
                        .and_then(|r| receiver_type(&cx, r)),
                ) else {
                    continue;
                };
                if exported(name) && exported(&receiver) {
                    emit(
                        &mut cx,
                        vec![receiver, name.to_owned()],
                        node,
                        node,
                        body_start(node),
                    );
                }
            }
            "type_declaration" | "const_declaration" | "var_declaration" => {
                declaration(&mut cx, node);
            }
            _ => {}
        }
    }
    // Module docs are named after the package, not the file.
    let title = if package_doc.is_empty() {
        package.clone()
    } else {
        cx.emit_module_docs(&package_doc, DocFormat::Markdown)
            .or(package)
    };
    cx.into_document(title)
}

/// `type`, `const` and `var` declarations: a single spec is one item; in a
/// group, each documented exported spec is one, and a documented group of
/// undocumented specs is one item named after its first exported name.
fn declaration(cx: &mut Ctx<'_>, node: Node<'_>) {
    let specs: Vec<Node<'_>> = named_children(node)
        .into_iter()
        .filter(|s| s.kind().ends_with("_spec") || s.kind() == "type_alias")
        .collect();
    let grouped = cx.text(node).contains('(') && specs.len() > 1
        || named_children(node)
            .iter()
            .any(|n| n.kind().ends_with("_spec_list"));
    let specs = if specs.is_empty() {
        // `const ( … )` keeps its specs in a list node in some grammar versions.
        named_children(node)
            .into_iter()
            .flat_map(named_children)
            .filter(|s| s.kind().ends_with("_spec"))
            .collect()
    } else {
        specs
    };
    if !grouped && specs.len() == 1 {
        if let Some(name) = spec_name(cx, specs[0]).filter(|n| exported(n)) {
            emit(cx, vec![name], node, node, capped_end(cx, node));
        }
        return;
    }
    let mut any = false;
    for spec in &specs {
        if let Some(name) = spec_name(cx, *spec).filter(|n| exported(n)) {
            let docs = go_doc(cx, *spec);
            if !docs.is_empty() {
                cx.emit(
                    &[name],
                    *spec,
                    capped_end(cx, *spec),
                    *spec,
                    &docs,
                    DocFormat::Markdown,
                );
                any = true;
            }
        }
    }
    if !any
        && let Some(name) = specs
            .iter()
            .filter_map(|s| spec_name(cx, *s))
            .find(|n| exported(n))
    {
        emit(cx, vec![name], node, node, capped_end(cx, node));
    }
}

fn emit(cx: &mut Ctx<'_>, path: Vec<String>, head: Node<'_>, item: Node<'_>, end: usize) {
    let docs = go_doc(cx, head);
    cx.emit(&path, head, end, item, &docs, DocFormat::Markdown);
}

fn spec_name(cx: &Ctx<'_>, spec: Node<'_>) -> Option<String> {
    cx.field_text(spec, "name").map(str::to_owned)
}

fn exported(name: &str) -> bool {
    name.chars().next().is_some_and(char::is_uppercase)
}

fn body_start(node: Node<'_>) -> usize {
    node.child_by_field_name("body")
        .map_or(node.end_byte(), |b| b.start_byte())
}

/// The end of a declaration kept whole, or of its first lines when long.
fn capped_end(cx: &Ctx<'_>, node: Node<'_>) -> usize {
    let text = cx.text(node);
    match text.match_indices('\n').nth(DECLARATION_LINES) {
        Some((at, _)) => node.start_byte() + at,
        None => node.end_byte(),
    }
}

/// `T` for receivers `(c *Client)`, `(c Client[T])`.
fn receiver_type(cx: &Ctx<'_>, receiver: Node<'_>) -> Option<String> {
    let param = named_children(receiver)
        .into_iter()
        .find(|p| p.kind() == "parameter_declaration")?;
    let mut ty = param.child_by_field_name("type")?;
    loop {
        match ty.kind() {
            "pointer_type" => ty = ty.named_child(0)?,
            "generic_type" => ty = ty.child_by_field_name("type")?,
            "type_identifier" => return Some(cx.text(ty).to_owned()),
            _ => return None,
        }
    }
}

/// The doc comment above `node`, with Go's indented code blocks fenced.
fn go_doc(cx: &Ctx<'_>, node: Node<'_>) -> DocLines {
    let mut lines = DocLines::new();
    for comment in comments_above(node, |c| c.kind() == "comment", |_| false) {
        let text = cx.text(comment);
        if text.starts_with("//go:") || text.starts_with("//nolint") {
            continue;
        }
        lines.extend(cx.comment_lines(comment));
    }
    fence_indented(lines)
}

/// Go doc comments mark code by indentation; Markdown wants fences.
fn fence_indented(lines: DocLines) -> DocLines {
    let mut out = DocLines::new();
    let mut in_code = false;
    for (line, text) in lines {
        let indented = text.starts_with('\t') || text.starts_with("  ");
        if indented && !in_code {
            out.push((line, "```go".to_owned()));
            in_code = true;
        } else if !indented && in_code && !text.trim().is_empty() {
            out.push((line, "```".to_owned()));
            in_code = false;
        }
        let text = if in_code {
            text.strip_prefix('\t').unwrap_or(&text).to_owned()
        } else {
            text
        };
        out.push((line, text));
    }
    if in_code {
        let last = out.last().map_or(0, |(l, _)| *l);
        out.push((last, "```".to_owned()));
    }
    out
}
