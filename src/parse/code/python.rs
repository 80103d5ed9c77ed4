//! Python: classes, functions and methods with docstrings; the module docstring.
//! Names starting with `_` are private, and so is everything inside them.
//! Docstrings kept apart from what they document are sections too: a
//! template assigned at module level (`_shared_docs["to_sql"] = "…"`,
//! `_merge_doc = "…"`), and a docstring passed to a call along with the
//! names of what it documents (`add_newdoc("numpy", "array", "…")`). A
//! template that a decorator applies to a function of its module
//! (`@Appender(_merge_doc)`) is that function's section instead, at the
//! template's lines: the same text twice would fill an answer twice.
//! A documented function's section lists the messages of the exceptions it
//! raises (`raise ValueError("cannot reindex on an axis with duplicate
//! labels")`), so that a pasted error finds the function that raises it.

use std::collections::{HashMap, HashSet};

use tree_sitter::Node;

use super::walk::{self, Ctx, DocFormat, DocLines, MAX_SCOPE_DEPTH, named_children};
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
    let templates = templates(&cx, root);
    let mut applied = HashSet::new();
    items(&mut cx, root, &[], &templates, &mut applied);
    detached_docstrings(&mut cx, root, &applied);
    let title = cx.emit_module_docs(&module_doc.unwrap_or_default(), DocFormat::Rst);
    let title = title.or_else(|| (!module.is_empty()).then(|| module.join(".")));
    cx.into_document(title)
}

fn items(
    cx: &mut Ctx<'_>,
    block: Node<'_>,
    path: &[String],
    templates: &HashMap<String, Node<'_>>,
    applied: &mut HashSet<String>,
) {
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
        let before = cx.sections.len();
        if let Some((doc, end)) = docstring(cx, body) {
            cx.emit(
                &child_path,
                head,
                body.start_byte(),
                end,
                &doc,
                DocFormat::Rst,
            );
        } else if let Some((template, doc)) = applied_template(cx, head, templates) {
            cx.emit(
                &child_path,
                head,
                body.start_byte(),
                def,
                &doc,
                DocFormat::Rst,
            );
            // The signature is shown where its text is read, at the template.
            if let (Some(section), Some(&(line, _))) = (cx.sections.get_mut(before), doc.first())
                && let Some(signature) = section.blocks.first_mut()
            {
                signature.start_line = line;
                signature.end_line = line;
                applied.insert(template);
            }
        }
        if def.kind() == "function_definition" && cx.sections.len() > before {
            attach_raises(cx, before, body);
        }
        if def.kind() == "class_definition" {
            items(cx, body, &child_path, templates, applied);
        }
    }
}

/// Most raised messages listed per function, and the longest kept.
const MAX_RAISES: usize = 8;
const MAX_RAISE_BYTES: usize = 300;

/// Adds the messages `body` raises (`ValueError: cannot reindex …`) to the
/// function's section at `at` as a "Raises" list; placeholders (`{name}`,
/// `%s`) stay as they are. The block keeps the item's lines: where the
/// raises lie is not where to read the function.
fn attach_raises(cx: &mut Ctx<'_>, at: usize, body: Node<'_>) {
    let mut found = Vec::new();
    collect_raises(cx, body, 0, &mut found);
    walk::keep_distinct(&mut found, MAX_RAISES, String::as_str);
    if found.is_empty() {
        return;
    }
    let Some(section) = cx.sections.get_mut(at) else {
        return;
    };
    walk::push_list(section, "Raises", &found);
}

/// `Exception: message` for each `raise Exception("message")` under `node`,
/// not looking into nested functions and classes (their own sections).
fn collect_raises(cx: &Ctx<'_>, node: Node<'_>, depth: usize, out: &mut Vec<String>) {
    if depth > MAX_SCOPE_DEPTH * 8 || out.len() >= 4 * MAX_RAISES {
        return;
    }
    for child in named_children(node) {
        match child.kind() {
            "function_definition" | "class_definition" | "decorated_definition" | "lambda" => {}
            "raise_statement" => {
                if let Some(message) = raised_message(cx, child) {
                    out.push(message);
                }
            }
            _ => collect_raises(cx, child, depth + 1, out),
        }
    }
}

/// `ValueError: cannot reindex …` for `raise ValueError("cannot reindex …")`
/// (an f-string's `{fields}` kept), when the message reads as words.
fn raised_message(cx: &Ctx<'_>, raise: Node<'_>) -> Option<String> {
    let call = raise.named_child(0).filter(|n| n.kind() == "call")?;
    let function = call.child_by_field_name("function")?;
    let name = cx.text(function).rsplit('.').next()?.to_owned();
    if !name.starts_with(|c: char| c.is_ascii_uppercase()) {
        return None;
    }
    let first = named_children(call.child_by_field_name("arguments")?)
        .into_iter()
        .next()?;
    let pieces = match first.kind() {
        "string" => vec![first],
        "concatenated_string" => named_children(first)
            .into_iter()
            .filter(|n| n.kind() == "string")
            .collect(),
        _ => return None,
    };
    let text: String = pieces.iter().map(|p| string_content(cx, *p)).collect();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let words = text
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphabetic))
        .count();
    (words >= 3 && text.len() <= MAX_RAISE_BYTES).then(|| format!("{name}: {text}"))
}

/// A string literal without its prefix and quotes (a literal cut short
/// keeps its opening quote).
fn string_content<'s>(cx: &Ctx<'s>, string: Node<'_>) -> &'s str {
    let raw = cx.text(string);
    match unquote(raw) {
        Some((inner, true)) => inner,
        _ => raw.trim_start_matches(STRING_PREFIXES),
    }
}

/// Letters that may open a string literal: raw, bytes, f-string, unicode.
const STRING_PREFIXES: [char; 8] = ['r', 'u', 'R', 'U', 'b', 'B', 'f', 'F'];

/// A string literal's text between its quotes, after its prefix letters,
/// and whether the closing quote is there (a literal cut short by a syntax
/// error runs to its end).
fn unquote(raw: &str) -> Option<(&str, bool)> {
    let unprefixed = raw.trim_start_matches(STRING_PREFIXES);
    let quote = ["\"\"\"", "'''", "\"", "'"]
        .into_iter()
        .find(|q| unprefixed.starts_with(q))?;
    let body = &unprefixed[quote.len()..];
    Some(match body.strip_suffix(quote) {
        Some(inner) => (inner, true),
        None => (body, false),
    })
}

/// The string a module-level template assigns: the literal itself, in
/// parentheses, or inside a call such as `dedent(...)`.
fn template_string(right: Node<'_>) -> Option<Node<'_>> {
    match right.kind() {
        "string" => Some(right),
        "parenthesized_expression" => right.named_child(0).and_then(template_string),
        // `r"""…""" + fill(…) + """…"""`: its strings, in order.
        "binary_operator" => {
            let mut leaves = Vec::new();
            string_leaves(right, 0, &mut leaves);
            (!leaves.is_empty()).then_some(right)
        }
        "call" => right
            .child_by_field_name("arguments")
            .and_then(|a| named_children(a).into_iter().find(|n| n.kind() == "string")),
        _ => None,
    }
}

/// Module-level templates by name (`_merge_doc = """…"""`), for the
/// functions whose decorators apply them.
fn templates<'t>(cx: &Ctx<'_>, root: Node<'t>) -> HashMap<String, Node<'t>> {
    let mut out = HashMap::new();
    for node in named_children(root) {
        let Some(assignment) = node
            .named_child(0)
            .filter(|n| node.kind() == "expression_statement" && n.kind() == "assignment")
        else {
            continue;
        };
        let (Some(left), Some(right)) = (
            assignment.child_by_field_name("left"),
            assignment.child_by_field_name("right"),
        ) else {
            continue;
        };
        if left.kind() == "identifier"
            && let Some(string) = template_string(right)
            && is_docstring_like(cx, string)
        {
            out.insert(cx.text(left).to_owned(), string);
        }
    }
    out
}

/// The docs a decorator gives a function that has no docstring of its
/// own: a template of this module that it applies (`@Appender(_merge_doc)`,
/// `@Appender(_doc_read_csv.format(func_name="read_csv", …))`), its
/// `{fields}` filled from the call's literal arguments, each line at its
/// line in the template; with the template's name.
fn applied_template(
    cx: &Ctx<'_>,
    decorated: Node<'_>,
    templates: &HashMap<String, Node<'_>>,
) -> Option<(String, DocLines)> {
    if decorated.kind() != "decorated_definition" || templates.is_empty() {
        return None;
    }
    for decorator in named_children(decorated) {
        if decorator.kind() != "decorator" {
            continue;
        }
        let mut found = None;
        find_template(cx, decorator, templates, 0, &mut found);
        let Some((name, string, fields)) = found else {
            continue;
        };
        let doc = string_doc(cx, string)?;
        let filled = doc
            .into_iter()
            .map(|(line, text)| {
                let filled = fields.iter().fold(text, |text, (key, value)| {
                    text.replace(&format!("{{{key}}}"), value)
                });
                (line, filled)
            })
            .collect();
        return Some((name, filled));
    }
    None
}

/// A template a decorator names: its name, its string, and the literal
/// keyword arguments of a `.format(…)` called on it.
type NamedTemplate<'t> = (String, Node<'t>, Vec<(String, String)>);

/// The first template named under `node`.
fn find_template<'t>(
    cx: &Ctx<'_>,
    node: Node<'_>,
    templates: &HashMap<String, Node<'t>>,
    depth: usize,
    found: &mut Option<NamedTemplate<'t>>,
) {
    if found.is_some() || depth > 8 {
        return;
    }
    if node.kind() == "identifier"
        && let Some(string) = templates.get(cx.text(node))
    {
        let mut fields = Vec::new();
        // `_doc.format(k="v")`: the identifier's attribute's call.
        if let Some(call) = node
            .parent()
            .filter(|p| p.kind() == "attribute")
            .and_then(|a| a.parent())
            .filter(|c| c.kind() == "call")
            && let Some(args) = call.child_by_field_name("arguments")
        {
            for arg in named_children(args) {
                if arg.kind() == "keyword_argument"
                    && let (Some(key), Some(value)) = (
                        arg.child_by_field_name("name"),
                        arg.child_by_field_name("value"),
                    )
                    && value.kind() == "string"
                {
                    fields.push((
                        cx.text(key).to_owned(),
                        string_content(cx, value).to_owned(),
                    ));
                }
            }
        }
        *found = Some((cx.text(node).to_owned(), *string, fields));
        return;
    }
    for child in named_children(node) {
        find_template(cx, child, templates, depth + 1, found);
    }
}

/// Fewest lines a detached string must have to count as a docstring.
const DETACHED_MIN_LINES: usize = 3;

/// Module-level docstring templates, but for those in `applied`, and
/// docstrings passed to calls.
fn detached_docstrings<'t>(cx: &mut Ctx<'_>, root: Node<'t>, applied: &HashSet<String>) {
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
                    "identifier" if applied.contains(cx.text(left)) => continue,
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
                if let Some(string) = template_string(right) {
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

/// The string literals of a `+` concatenation, in order.
fn string_leaves<'t>(node: Node<'t>, depth: usize, out: &mut Vec<Node<'t>>) {
    match node.kind() {
        "string" => out.push(node),
        "binary_operator" | "parenthesized_expression" if depth < 64 => {
            for child in named_children(node) {
                string_leaves(child, depth + 1, out);
            }
        }
        _ => {}
    }
}

/// A string literal's text as a docstring: dedented, one entry per line;
/// a concatenation's strings one after another.
fn string_doc(cx: &Ctx<'_>, string: Node<'_>) -> Option<DocLines> {
    if string.kind() == "binary_operator" {
        let mut leaves = Vec::new();
        string_leaves(string, 0, &mut leaves);
        let lines: DocLines = leaves
            .into_iter()
            .filter_map(|leaf| string_doc(cx, leaf))
            .flatten()
            .collect();
        return (!lines.is_empty()).then_some(lines);
    }
    let (inner, _) = unquote(cx.text(string))?;
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
