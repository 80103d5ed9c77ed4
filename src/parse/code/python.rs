//! Python: classes, functions and methods with docstrings; the module docstring.
//! Names starting with `_` are private, and so is everything inside them.
//! Docstrings kept apart from what they document are sections too: a
//! template assigned at module level (`_shared_docs["to_sql"] = "…"`,
//! `_merge_doc = "…"`), and a docstring passed to a call along with the
//! names of what it documents (`add_newdoc("numpy", "array", "…")`).

use tree_sitter::Node;

use super::walk::{Ctx, DocFormat, DocLines, MAX_SCOPE_DEPTH, named_children};
use super::{Grammar, module_path};
use crate::parse::Document;

pub(super) fn extract(
    source: &str,
    path: &str,
    grammar: &'static Grammar,
    root: Node<'_>,
) -> Document {
    let module = module_path(path, grammar.language);
    let mut cx = Ctx::new(source, grammar, module.clone());
    let module_doc = docstring(&cx, root).map(|(doc, _)| doc);
    items(&mut cx, root, &[]);
    detached_docstrings(&mut cx, root);
    let title = cx.emit_module_docs(&module_doc.unwrap_or_default(), DocFormat::Rst);
    let title = title.or_else(|| (!module.is_empty()).then(|| module.join(".")));
    cx.into_document(title)
}

fn items(cx: &mut Ctx<'_>, block: Node<'_>, path: &[String]) {
    if path.len() > MAX_SCOPE_DEPTH {
        return;
    }
    for node in named_children(block) {
        let (head, def) = match node.kind() {
            "decorated_definition" => match node.child_by_field_name("definition") {
                Some(def) => (node, def),
                None => continue,
            },
            "function_definition" | "class_definition" => (node, node),
            _ => continue,
        };
        let Some(name) = cx.field_text(def, "name") else {
            continue;
        };
        if name.starts_with('_') {
            continue;
        }
        let Some(body) = def.child_by_field_name("body") else {
            continue;
        };
        let mut child_path = path.to_vec();
        child_path.push(name.to_owned());
        // The section runs from the first decorator to the end of the
        // docstring, not over a class's whole body.
        if let Some((doc, end)) = docstring(cx, body) {
            cx.emit(
                &child_path,
                head,
                body.start_byte(),
                end,
                &doc,
                DocFormat::Rst,
            );
        }
        if def.kind() == "class_definition" {
            items(cx, body, &child_path);
        }
    }
}

/// Fewest lines a detached string must have to count as a docstring.
const DETACHED_MIN_LINES: usize = 3;

/// Module-level docstring templates and docstrings passed to calls.
fn detached_docstrings<'t>(cx: &mut Ctx<'_>, root: Node<'t>) {
    for node in named_children(root) {
        if node.kind() != "expression_statement" {
            continue;
        }
        let Some(inner) = node.named_child(0) else {
            continue;
        };
        match inner.kind() {
            "assignment" => {
                let (Some(left), Some(right)) = (
                    inner.child_by_field_name("left"),
                    inner.child_by_field_name("right"),
                ) else {
                    continue;
                };
                let name = match left.kind() {
                    "identifier" => cx.text(left).to_owned(),
                    // `_shared_docs["to_sql"]`: named by its key.
                    "subscript" => match left
                        .child_by_field_name("subscript")
                        .and_then(|k| string_value(cx, k))
                    {
                        Some(key) => key,
                        None => continue,
                    },
                    _ => continue,
                };
                // The string itself, or inside a call such as `dedent(...)`.
                let string = match right.kind() {
                    "string" => Some(right),
                    "call" => right
                        .child_by_field_name("arguments")
                        .and_then(|a| named_children(a).into_iter().find(|n| n.kind() == "string")),
                    _ => None,
                };
                if let Some(string) = string {
                    emit_detached(cx, &[name], node, right.start_byte(), string);
                }
            }
            "call" => {
                let Some(args) = inner.child_by_field_name("arguments") else {
                    continue;
                };
                let mut names = Vec::new();
                let mut doc = None;
                let mut take = |item: Node<'t>, names: &mut Vec<String>| {
                    if is_docstring_like(cx, item) {
                        doc = Some(item);
                    } else {
                        names.extend(string_value(cx, item));
                    }
                };
                for arg in named_children(args) {
                    match arg.kind() {
                        "string" => take(arg, &mut names),
                        // `("method", docstring)`
                        "tuple" => {
                            for item in named_children(arg) {
                                if item.kind() == "string" {
                                    take(item, &mut names);
                                }
                            }
                        }
                        _ => {}
                    }
                }
                if let Some(doc) = doc
                    && !names.is_empty()
                {
                    // The call names what it documents in full.
                    let module = std::mem::take(&mut cx.module);
                    emit_detached(cx, &[names.join(".")], node, args.start_byte(), doc);
                    cx.module = module;
                }
            }
            _ => {}
        }
    }
    // Back in source order, among the definitions.
    cx.sections
        .sort_by_key(|s| s.blocks.first().map_or(0, |b| b.start_line));
}

fn emit_detached(
    cx: &mut Ctx<'_>,
    path: &[String],
    head: Node<'_>,
    sig_end: usize,
    string: Node<'_>,
) {
    if !is_docstring_like(cx, string) {
        return;
    }
    if let Some(doc) = string_doc(cx, string) {
        cx.emit(path, head, sig_end, string, &doc, DocFormat::Rst);
    }
}

fn is_docstring_like(cx: &Ctx<'_>, string: Node<'_>) -> bool {
    cx.text(string).lines().count() >= DETACHED_MIN_LINES
}

/// The value of a short plain string literal (`"to_sql"`).
fn string_value(cx: &Ctx<'_>, node: Node<'_>) -> Option<String> {
    if node.kind() != "string" {
        return None;
    }
    let value = cx.text(node).trim_matches(['"', '\'']);
    (!value.is_empty() && value.len() <= 100 && !value.contains(char::is_whitespace))
        .then(|| value.to_owned())
}

/// The docstring opening `body` (a module or a block), dedented, one entry
/// per source line, and the node it ends with.
fn docstring<'t>(cx: &Ctx<'_>, body: Node<'t>) -> Option<(DocLines, Node<'t>)> {
    let first = named_children(body)
        .into_iter()
        .find(|n| n.kind() != "comment")?;
    if first.kind() != "expression_statement" {
        return None;
    }
    let string = first.named_child(0).filter(|s| s.kind() == "string")?;
    Some((string_doc(cx, string)?, first))
}

/// A string literal's text as a docstring: dedented, one entry per line.
fn string_doc(cx: &Ctx<'_>, string: Node<'_>) -> Option<DocLines> {
    let raw = cx.text(string);
    let unprefixed = raw.trim_start_matches(['r', 'u', 'R', 'U', 'b', 'B', 'f', 'F']);
    let quote = ["\"\"\"", "'''", "\"", "'"]
        .into_iter()
        .find(|q| unprefixed.starts_with(q))?;
    let inner = unprefixed
        .strip_prefix(quote)?
        .strip_suffix(quote)
        .unwrap_or(&unprefixed[quote.len()..]);
    let lines: Vec<&str> = inner.lines().collect();
    let min = lines
        .iter()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| crate::parse::indent_of(l))
        .min()
        .unwrap_or(0);
    let start = cx.line(string);
    Some(
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let text = if i == 0 {
                    l.trim()
                } else {
                    crate::parse::dedent_line(l, min)
                };
                (start + i as u32, text.trim_end().to_owned())
            })
            .collect(),
    )
}
