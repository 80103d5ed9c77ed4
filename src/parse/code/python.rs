//! Python: classes, functions and methods with docstrings; the module docstring.
//! Names starting with `_` are private, and so is everything inside them.

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
    let module_doc = docstring(&cx, root);
    items(&mut cx, root, &[]);
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
        if let Some(doc) = docstring(cx, body) {
            cx.emit(
                &child_path,
                head,
                body.start_byte(),
                head,
                &doc,
                DocFormat::Rst,
            );
        }
        if def.kind() == "class_definition" {
            items(cx, body, &child_path);
        }
    }
}

/// The docstring opening `body` (a module or a block), dedented, one entry
/// per source line.
fn docstring(cx: &Ctx<'_>, body: Node<'_>) -> Option<DocLines> {
    let first = named_children(body)
        .into_iter()
        .find(|n| n.kind() != "comment")?;
    if first.kind() != "expression_statement" {
        return None;
    }
    let string = first.named_child(0).filter(|s| s.kind() == "string")?;
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
