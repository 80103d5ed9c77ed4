//! Tool output in Context7's text format, plus the structured content.

use serde_json::{Value, json};

use crate::search::{Answer, Resolved, display_version};

/// Separator Context7 clients expect between `query-docs` results.
pub const RESULT_SEPARATOR: &str = "--------------------------------";

/// `resolve-library-id` text: one block per library.
pub fn render_libraries(resolved: &[Resolved]) -> String {
    let mut out = String::from("Available Libraries:\n\n");
    let blocks: Vec<String> = resolved
        .iter()
        .map(|r| {
            let lib = &r.library;
            let snippets: i64 = lib.versions.iter().filter(|v| v.name.is_empty()).map(|v| v.chunks).sum::<i64>().max(
                lib.versions.first().map_or(0, |v| v.chunks),
            );
            let versions: Vec<String> = lib.versions.iter().map(|v| display_version(&v.name)).collect();
            format!(
                "- Title: {}\n- Context7-compatible library ID: {}\n- Description: {}\n- Code Snippets: {}\n- Versions: {}",
                lib.title,
                lib.id,
                if lib.description.is_empty() { "(none)" } else { &lib.description },
                snippets,
                versions.join(", ")
            )
        })
        .collect();
    out.push_str(&blocks.join("\n----------\n"));
    out
}

pub fn libraries_structured(resolved: &[Resolved]) -> Value {
    let libraries: Vec<Value> = resolved
        .iter()
        .map(|r| {
            let lib = &r.library;
            json!({
                "id": lib.id,
                "title": lib.title,
                "description": lib.description,
                "snippets": lib.versions.first().map_or(0, |v| v.chunks),
                "versions": lib.versions.iter().map(|v| display_version(&v.name)).collect::<Vec<_>>(),
                "score": (r.score * 1000.0).round() / 1000.0,
            })
        })
        .collect();
    json!({ "libraries": libraries })
}

/// `query-docs` text: each section under its breadcrumb with its source.
/// `rules` (from the library's config file) come first, as the maintainers'
/// instructions for using the library.
pub fn render_answer(
    answer: &Answer,
    rules: &[String],
    budget: u32,
    degraded: Option<&str>,
) -> String {
    let mut out = String::new();
    if !rules.is_empty() {
        out.push_str(
            "### Rules from the library's maintainers

",
        );
        for rule in rules {
            out.push_str(&format!(
                "- {rule}
"
            ));
        }
        out.push_str(&format!(
            "
{RESULT_SEPARATOR}

"
        ));
    }
    if let Some(reason) = degraded {
        out.push_str(&format!("Note: semantic search is unavailable ({reason}); these results come from keyword search only.\n\n"));
    }
    for part in &answer.parts {
        let chunk = &part.hit.chunk;
        let title = if chunk.breadcrumb.is_empty() {
            chunk.title.as_deref().unwrap_or(&chunk.path)
        } else {
            &chunk.breadcrumb
        };
        out.push_str(&format!(
            "### {title}\n\nSource: {}#L{}-L{}\n\n{}\n",
            chunk.path, chunk.start_line, chunk.end_line, part.text
        ));
        if part.truncated {
            out.push_str("\n(section shortened to fit the token budget)\n");
        }
        out.push_str(&format!("\n{RESULT_SEPARATOR}\n\n"));
    }
    if answer.parts.is_empty() {
        out.push_str("No documentation matched this query. Try other words, or check the library ID with resolve-library-id.\n");
    }
    if answer.omitted > 0 {
        out.push_str(&format!(
            "{} more result{} left out to stay within {budget} tokens; raise `tokens` to see more.\n",
            answer.omitted,
            if answer.omitted == 1 { " was" } else { "s were" }
        ));
    }
    out
}

pub fn answer_structured(library: &str, version: &str, rules: &[String], answer: &Answer) -> Value {
    let results: Vec<Value> = answer
        .parts
        .iter()
        .map(|p| {
            let c = &p.hit.chunk;
            let title = c
                .breadcrumb
                .rsplit(" › ")
                .next()
                .filter(|t| !t.is_empty())
                .or(c.title.as_deref())
                .unwrap_or(&c.path);
            json!({
                "title": title,
                "breadcrumb": c.breadcrumb,
                "path": c.path,
                "start_line": c.start_line,
                "end_line": c.end_line,
                "score": (p.hit.score as f64 * 10000.0).round() / 10000.0,
                "tokens": p.tokens,
            })
        })
        .collect();
    json!({
        "libraryId": library,
        "version": display_version(version),
        "results": results,
        "tokens_used": answer.tokens_used,
        "omitted": answer.omitted,
        "rules": rules,
    })
}
