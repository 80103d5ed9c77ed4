//! JavaScript, TypeScript and TSX: functions, classes and their members,
//! interfaces, type aliases, enums, namespaces and `const` functions with a
//! JSDoc (`/** … */`) comment. An item is public when it is exported, when it
//! is a member of a public class or interface (and not `private`/`#x`/`_x`),
//! or when its JSDoc documents it at the top level of a file without exports
//! (CommonJS); `@private`, `@internal`, `@ignore` and `@hidden` hide it.

use tree_sitter::Node;

use super::walk::{Ctx, DocFormat, DocLines, MAX_SCOPE_DEPTH, doc_block_above, named_children};
use super::{Grammar, module_path};
use crate::parse::Document;

pub(super) fn extract(
    source: &str,
    path: &str,
    grammar: &'static Grammar,
    root: Node<'_>,
) -> Document {
    let mut cx = Ctx::new(source, grammar, module_path(path, grammar.language));
    let has_exports = named_children(root)
        .iter()
        .any(|n| n.kind() == "export_statement");
    let mut js = Js {
        top_level_docs_public: !has_exports,
    };
    js.items(&mut cx, root, &[], Visibility::TopLevel);
    cx.into_document(None)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Visibility {
    /// File or namespace level: public when exported (or documented CommonJS).
    TopLevel,
    /// Inside an exported declaration: public unless marked private.
    Exported,
    /// Members of a class or interface that is public.
    Member,
}

struct Js {
    top_level_docs_public: bool,
}

impl Js {
    fn items(&mut self, cx: &mut Ctx<'_>, container: Node<'_>, path: &[String], vis: Visibility) {
        if path.len() > MAX_SCOPE_DEPTH {
            return;
        }
        for node in named_children(container) {
            self.item(cx, node, node, path, vis);
        }
    }

    /// One declaration; `anchor` is the node its docs sit above (an
    /// `export` statement around it, for instance).
    fn item(
        &mut self,
        cx: &mut Ctx<'_>,
        node: Node<'_>,
        anchor: Node<'_>,
        path: &[String],
        vis: Visibility,
    ) {
        let kind = node.kind();
        match kind {
            "export_statement" => {
                if let Some(decl) = node.child_by_field_name("declaration") {
                    self.item(cx, decl, anchor, path, Visibility::Exported);
                }
                return;
            }
            "ambient_declaration" | "expression_statement" => {
                // `declare …` in .d.ts files; `namespace X {}` and
                // `obj.method = function () {}` assignments.
                if let Some(inner) = node.named_child(0) {
                    if inner.kind() == "assignment_expression" {
                        self.assignment(cx, inner, anchor, path, vis);
                    } else {
                        self.item(cx, inner, anchor, path, vis);
                    }
                }
                return;
            }
            _ => {}
        }
        let docs = jsdoc(cx, anchor);
        if docs.iter().any(|(_, l)| {
            let l = l.trim_start();
            ["@private", "@internal", "@ignore", "@hidden"]
                .iter()
                .any(|t| l.starts_with(t))
        }) {
            return;
        }
        let public = match vis {
            Visibility::TopLevel => self.top_level_docs_public && !docs.is_empty(),
            Visibility::Exported => true,
            Visibility::Member => !is_private_member(cx, node),
        };
        match kind {
            "function_declaration"
            | "generator_function_declaration"
            | "function_signature"
            | "method_definition"
            | "method_signature"
            | "abstract_method_signature"
            | "property_signature"
            | "public_field_definition"
            | "field_definition"
            | "type_alias_declaration"
            | "enum_declaration" => {
                let Some(name) = name_of(cx, node) else {
                    return;
                };
                if !public {
                    return;
                }
                let end = match kind {
                    "type_alias_declaration" | "enum_declaration" | "property_signature" => {
                        node.end_byte()
                    }
                    _ => body_start(node),
                };
                let mut child_path = path.to_vec();
                child_path.push(name);
                cx.emit(&child_path, anchor, end, anchor, &docs, DocFormat::Markdown);
            }
            "class_declaration"
            | "abstract_class_declaration"
            | "class"
            | "interface_declaration" => {
                let Some(name) = name_of(cx, node) else {
                    return;
                };
                let mut child_path = path.to_vec();
                child_path.push(name);
                if !public {
                    return;
                }
                let body = node.child_by_field_name("body");
                let end = body.map_or(node.end_byte(), |b| b.start_byte());
                cx.emit(&child_path, anchor, end, anchor, &docs, DocFormat::Markdown);
                if let Some(body) = body {
                    self.items(cx, body, &child_path, Visibility::Member);
                }
            }
            "internal_module" | "module" => {
                let Some(name) = name_of(cx, node) else {
                    return;
                };
                if !public && vis != Visibility::TopLevel {
                    return;
                }
                let mut child_path = path.to_vec();
                child_path.push(name);
                if let Some(body) = node.child_by_field_name("body") {
                    let inner = if public {
                        Visibility::Exported
                    } else {
                        Visibility::TopLevel
                    };
                    self.items(cx, body, &child_path, inner);
                }
            }
            "lexical_declaration" | "variable_declaration" => {
                if !public {
                    return;
                }
                for decl in named_children(node) {
                    if decl.kind() != "variable_declarator" {
                        continue;
                    }
                    let Some(name) = cx.field_text(decl, "name") else {
                        continue;
                    };
                    let end = match decl.child_by_field_name("value") {
                        Some(v) if is_function(v) => body_start(v),
                        Some(v) if cx.text(node).len() > 300 => v.start_byte(),
                        _ => node.end_byte(),
                    };
                    let mut child_path = path.to_vec();
                    child_path.push(name.to_owned());
                    cx.emit(&child_path, anchor, end, anchor, &docs, DocFormat::Markdown);
                }
            }
            _ => {}
        }
    }

    /// `app.listen = function listen() {…}` or `exports.x = …` with a JSDoc.
    fn assignment(
        &mut self,
        cx: &mut Ctx<'_>,
        node: Node<'_>,
        anchor: Node<'_>,
        path: &[String],
        vis: Visibility,
    ) {
        let (Some(left), Some(right)) = (
            node.child_by_field_name("left"),
            node.child_by_field_name("right"),
        ) else {
            return;
        };
        if left.kind() != "member_expression" || vis == Visibility::Member {
            return;
        }
        let docs = jsdoc(cx, anchor);
        if docs.is_empty()
            || docs
                .iter()
                .any(|(_, l)| l.trim_start().starts_with("@private"))
        {
            return;
        }
        let name = cx.text(left).replace("module.exports", "exports");
        let name = name.strip_prefix("exports.").unwrap_or(&name).to_owned();
        if name.split('.').any(|p| p.starts_with('_')) {
            return;
        }
        let end = if is_function(right) {
            body_start(right)
        } else {
            right.start_byte()
        };
        let mut child_path = path.to_vec();
        child_path.push(name);
        cx.emit(&child_path, anchor, end, anchor, &docs, DocFormat::Markdown);
    }
}

/// The JSDoc comment directly above `node`, as Markdown lines.
fn jsdoc(cx: &Ctx<'_>, node: Node<'_>) -> DocLines {
    doc_block_above(
        cx,
        node,
        |c| c.kind() == "comment",
        |d| d.kind() == "decorator",
    )
}

fn name_of(cx: &Ctx<'_>, node: Node<'_>) -> Option<String> {
    let name = cx.field_text(node, "name")?;
    Some(name.trim_matches(['"', '\'']).to_owned())
}

fn is_private_member(cx: &Ctx<'_>, node: Node<'_>) -> bool {
    let name = cx.field_text(node, "name").unwrap_or("");
    name.starts_with('#')
        || name.starts_with('_')
        || named_children(node).into_iter().any(|c| {
            c.kind() == "accessibility_modifier" && matches!(cx.text(c), "private" | "protected")
        })
}

fn is_function(node: Node<'_>) -> bool {
    matches!(
        node.kind(),
        "arrow_function" | "function_expression" | "function" | "generator_function"
    )
}

/// Where a function's body starts (or its end when it has none).
fn body_start(node: Node<'_>) -> usize {
    node.child_by_field_name("body")
        .map_or(node.end_byte(), |b| b.start_byte())
}
