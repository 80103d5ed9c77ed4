//! C and C++: documented functions (definitions and prototypes), structs,
//! unions, enums, classes and their public members, typedefs, `using`
//! aliases and macros. The doc comment is the comment block directly above
//! (Doxygen `/** */`, `///`, or plain comments). `static` functions are
//! private; class members follow `public:`/`private:`. Names are
//! `namespace::Class::member`.

use tree_sitter::Node;

use super::Grammar;
use super::walk::{
    Ctx, DocFormat, DocLines, MAX_SCOPE_DEPTH, comments_above, doc_markup_to_markdown,
    named_children,
};
use crate::parse::Document;

/// Longest struct or enum kept whole in a signature, in lines.
const TYPE_LINES: usize = 40;

pub(super) fn extract(source: &str, grammar: &'static Grammar, root: Node<'_>) -> Document {
    let mut cx = Ctx::new(source, grammar, Vec::new());
    items(&mut cx, root, &[], true);
    cx.into_document(None)
}

/// The declarations in `container`; `public` is the access in force
/// (always true outside classes).
fn items(cx: &mut Ctx<'_>, container: Node<'_>, path: &[String], mut public: bool) {
    if path.len() > MAX_SCOPE_DEPTH {
        return;
    }
    for node in named_children(container) {
        match node.kind() {
            "access_specifier" => {
                public = cx.text(node).trim_end_matches(':').trim() == "public";
            }
            // Transparent wrappers: include guards, `extern "C" { … }`.
            "preproc_ifdef" | "preproc_if" | "preproc_else" | "preproc_elif"
            | "preproc_elifdef" => {
                items(cx, node, path, public);
            }
            "linkage_specification" => {
                if let Some(body) = node.child_by_field_name("body") {
                    if body.kind() == "declaration_list" {
                        items(cx, body, path, public);
                    } else {
                        item(cx, body, node, path, public);
                    }
                }
            }
            "namespace_definition" => {
                let mut inner = path.to_vec();
                if let Some(name) = cx.field_text(node, "name") {
                    inner.push(name.to_owned());
                }
                if let Some(body) = node.child_by_field_name("body") {
                    items(cx, body, &inner, public);
                }
            }
            "template_declaration" => {
                if let Some(inner) = named_children(node)
                    .into_iter()
                    .rev()
                    .find(|c| !matches!(c.kind(), "template_parameter_list" | "comment"))
                {
                    item(cx, inner, node, path, public);
                }
            }
            _ => item(cx, node, node, path, public),
        }
    }
}

/// One declaration; `head` is where its signature and docs start (a
/// `template <…>` line, for instance).
fn item(cx: &mut Ctx<'_>, node: Node<'_>, head: Node<'_>, path: &[String], public: bool) {
    if !public {
        return;
    }
    let docs = doc_comment(cx, head);
    let kind = node.kind();
    match kind {
        "function_definition" => {
            if is_static(cx, node) && path.is_empty() {
                return;
            }
            let Some(name) = node
                .child_by_field_name("declarator")
                .and_then(|d| declarator_name(cx, d))
            else {
                return;
            };
            let end = node
                .child_by_field_name("body")
                .map_or(node.end_byte(), |b| b.start_byte());
            emit(cx, path, name, head, end, node, &docs);
        }
        "declaration" | "field_declaration" => {
            let declarator = node.child_by_field_name("declarator");
            if let Some(d) = declarator {
                if is_static(cx, node) && path.is_empty() && has_function(d) {
                    return;
                }
                if let Some(name) = declarator_name(cx, d) {
                    let end =
                        cx.text(node).trim_end().trim_end_matches(';').len() + node.start_byte();
                    emit(cx, path, name, head, end, node, &docs);
                    return;
                }
            }
            // `struct s { … };` written as a declaration of a type only.
            if let Some(ty) = node.child_by_field_name("type") {
                type_item(cx, ty, head, path, &docs);
            }
        }
        "struct_specifier" | "union_specifier" | "enum_specifier" | "class_specifier" => {
            type_item(cx, node, head, path, &docs);
        }
        "type_definition" => {
            let Some(name) = node
                .child_by_field_name("declarator")
                .and_then(|d| declarator_name(cx, d))
            else {
                return;
            };
            let end = capped_end(cx, node);
            emit(cx, path, name, head, end, node, &docs);
        }
        "alias_declaration" | "preproc_def" | "preproc_function_def" | "concept_definition" => {
            let Some(name) = cx.field_text(node, "name").map(str::to_owned) else {
                return;
            };
            let end = capped_end(cx, node);
            emit(cx, path, name, head, end, node, &docs);
        }
        _ => {}
    }
}

/// A struct, union, enum or class with a body: the type itself, and for
/// classes and structs (C++) their members.
fn type_item(cx: &mut Ctx<'_>, node: Node<'_>, head: Node<'_>, path: &[String], docs: &DocLines) {
    let (Some(name), Some(body)) = (
        cx.field_text(node, "name").map(str::to_owned),
        node.child_by_field_name("body"),
    ) else {
        return;
    };
    let has_methods = named_children(body).iter().any(|m| {
        m.kind() == "function_definition"
            || m.child_by_field_name("declarator")
                .is_some_and(has_function)
    });
    let class_like = node.kind() == "class_specifier" || has_methods;
    let end = if class_like {
        body.start_byte()
    } else {
        capped_end(cx, node)
    };
    emit(cx, path, name.clone(), head, end, node, docs);
    if class_like {
        let mut inner = path.to_vec();
        inner.push(name);
        items(cx, body, &inner, node.kind() != "class_specifier");
    }
}

fn emit(
    cx: &mut Ctx<'_>,
    path: &[String],
    name: String,
    head: Node<'_>,
    end: usize,
    item: Node<'_>,
    docs: &DocLines,
) {
    let mut full = path.to_vec();
    full.push(name);
    cx.emit(&full, head, end, item, docs, DocFormat::Markdown);
}

/// The comment block directly above `node`. Separator comments (`/*****/`)
/// and file banners before the first code are not docs.
fn doc_comment(cx: &Ctx<'_>, node: Node<'_>) -> DocLines {
    let comments = comments_above(node, |c| c.kind() == "comment", |_| false);
    let mut lines = DocLines::new();
    for comment in comments {
        let text = cx.text(comment);
        if text.starts_with("//!<") || text.starts_with("///<") || text.starts_with("/**<") {
            continue;
        }
        lines.extend(cx.comment_lines(comment));
    }
    if lines
        .iter()
        .all(|(_, l)| l.trim().chars().all(|c| !c.is_alphanumeric()))
    {
        return DocLines::new();
    }
    doc_markup_to_markdown(lines, cx.grammar.fence)
}

fn is_static(cx: &Ctx<'_>, node: Node<'_>) -> bool {
    named_children(node)
        .into_iter()
        .any(|c| c.kind() == "storage_class_specifier" && cx.text(c) == "static")
}

/// The declared name, through pointer, reference, array and init declarators.
fn declarator_name(cx: &Ctx<'_>, mut node: Node<'_>) -> Option<String> {
    for _ in 0..16 {
        match node.kind() {
            "identifier"
            | "field_identifier"
            | "type_identifier"
            | "primitive_type"
            | "destructor_name"
            | "operator_name"
            | "qualified_identifier"
            | "template_function" => {
                return Some(cx.text(node).to_owned());
            }
            _ => {
                node = node
                    .child_by_field_name("declarator")
                    .or_else(|| node.named_child(0))?;
            }
        }
    }
    None
}

fn has_function(mut node: Node<'_>) -> bool {
    for _ in 0..16 {
        if node.kind() == "function_declarator" {
            return true;
        }
        match node.child_by_field_name("declarator") {
            Some(inner) => node = inner,
            None => return false,
        }
    }
    false
}

fn capped_end(cx: &Ctx<'_>, node: Node<'_>) -> usize {
    let text = cx.text(node);
    match text.match_indices('\n').nth(TYPE_LINES) {
        Some((at, _)) => node.start_byte() + at,
        None => node.start_byte() + text.trim_end().trim_end_matches(';').len(),
    }
}
