//! Java: public and protected classes, interfaces, enums, records and their
//! methods, constructors, fields and constants with Javadoc (`/** … */`).
//! Names are `package.Class.member`.

use tree_sitter::Node;

use super::Grammar;
use super::walk::{Ctx, DocFormat, DocLines, MAX_SCOPE_DEPTH, doc_block_above, named_children};
use crate::parse::Document;

pub(super) fn extract(source: &str, grammar: &'static Grammar, root: Node<'_>) -> Document {
    let children = named_children(root);
    let package: Vec<String> = children
        .iter()
        .find(|n| n.kind() == "package_declaration")
        .and_then(|p| p.named_child(0))
        .map(|n| {
            source[n.byte_range()]
                .split('.')
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let mut cx = Ctx::new(source, grammar, package);
    members(&mut cx, root, &[], false);
    cx.into_document(None)
}

/// The declarations in `container`; `implicit_public` for interface bodies
/// and enum constants.
fn members(cx: &mut Ctx<'_>, container: Node<'_>, path: &[String], implicit_public: bool) {
    if path.len() > MAX_SCOPE_DEPTH {
        return;
    }
    for node in named_children(container) {
        let kind = node.kind();
        if kind == "enum_body_declarations" {
            members(cx, node, path, implicit_public);
            continue;
        }
        let public = implicit_public || kind == "enum_constant" || is_public(cx, node);
        if !public {
            continue;
        }
        let name = match kind {
            "field_declaration" | "constant_declaration" => node
                .child_by_field_name("declarator")
                .and_then(|d| cx.field_text(d, "name")),
            _ => cx.field_text(node, "name"),
        };
        let Some(name) = name.map(str::to_owned) else {
            continue;
        };
        let body = node.child_by_field_name("body");
        let mut child_path = path.to_vec();
        child_path.push(name);
        let docs = javadoc(cx, node);
        match kind {
            "class_declaration"
            | "interface_declaration"
            | "enum_declaration"
            | "record_declaration"
            | "annotation_type_declaration" => {
                let end = body.map_or(node.end_byte(), |b| b.start_byte());
                cx.emit(&child_path, node, end, node, &docs, DocFormat::Markdown);
                if let Some(body) = body {
                    let implicit = matches!(
                        kind,
                        "interface_declaration" | "annotation_type_declaration"
                    );
                    members(cx, body, &child_path, implicit);
                }
            }
            "method_declaration"
            | "constructor_declaration"
            | "annotation_type_element_declaration" => {
                let end = body.map_or(node.end_byte(), |b| b.start_byte());
                cx.emit(&child_path, node, end, node, &docs, DocFormat::Markdown);
            }
            "field_declaration" | "constant_declaration" | "enum_constant" => {
                let end = match node.child_by_field_name("body") {
                    Some(b) => b.start_byte(),
                    None => node.end_byte(),
                };
                cx.emit(&child_path, node, end, node, &docs, DocFormat::Markdown);
            }
            _ => {}
        }
    }
}

fn is_public(cx: &Ctx<'_>, node: Node<'_>) -> bool {
    named_children(node)
        .into_iter()
        .find(|c| c.kind() == "modifiers")
        .is_some_and(|m| {
            cx.text(m)
                .split_whitespace()
                .any(|w| w == "public" || w == "protected")
        })
}

fn javadoc(cx: &Ctx<'_>, node: Node<'_>) -> DocLines {
    doc_block_above(
        cx,
        node,
        |c| matches!(c.kind(), "block_comment" | "line_comment"),
        |_| false,
    )
}
