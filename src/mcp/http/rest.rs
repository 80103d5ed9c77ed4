//! Context7's HTTP API beside `/mcp`, so that Context7's own clients (the
//! official `@upstash/context7-mcp` server with `CONTEXT7_API_URL` set to
//! `http://HOST/api`) use TwinMCP unchanged: `GET /api/v2/libs/search` ranks
//! libraries as `resolve-library-id` does, `GET /api/v2/context` answers as
//! `query-docs` does (text by default, Context7's snippet JSON with
//! `type=json`). Keys and rate limits are the middleware's, as for `/mcp`;
//! errors are JSON `{"message": …}`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Shared;
use crate::auth::LibraryAccess;
use crate::mcp::audit::{AuditEntry, millis, now};
use crate::mcp::format;
use crate::mcp::tools::Caller;
use crate::mcp::tools::{DEFAULT_TOKENS, MAX_RESULTS, MAX_TOKENS, MIN_TOKENS, log_internal};
use crate::search::{Answer, SearchError, assemble_answer, display_version, resolve_libraries};

/// Longest query or name accepted, in bytes (as for the MCP tools).
const MAX_PARAM_BYTES: usize = 4096;

fn message(status: StatusCode, text: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        json!({ "message": text }).to_string(),
    )
        .into_response()
}

/// A failure of this server: a generic message with an id, the detail in the log.
fn internal(detail: &str) -> Response {
    message(StatusCode::INTERNAL_SERVER_ERROR, &log_internal(detail))
}

/// The named parameter, trimmed and non-empty, or why not.
fn required<'a>(params: &'a HashMap<String, String>, name: &str) -> Result<&'a str, String> {
    match params.get(name).map(|v| v.trim()) {
        Some(v) if v.len() > MAX_PARAM_BYTES => Err(format!(
            "`{name}` is {} bytes long; the limit is {MAX_PARAM_BYTES}",
            v.len()
        )),
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(format!("the `{name}` query parameter is required")),
    }
}

fn bad_request(why: String) -> Response {
    message(StatusCode::BAD_REQUEST, &why)
}

/// Records one REST call in the audit log, if there is one, with the
/// status its HTTP status says.
fn audit(
    shared: &Shared,
    caller: &Caller,
    route: &str,
    params: &HashMap<String, String>,
    results: usize,
    started: std::time::Instant,
    response: &Response,
) {
    let status = response.status();
    let status = if status.is_success() {
        "ok"
    } else if status.is_server_error() {
        "internal"
    } else {
        "error"
    };
    record(shared, caller, route, params, results, started, status);
}

/// Records one HTTP call (REST or the status page's search) in the audit
/// log, if there is one: `status` is `ok`, `error` or `internal`.
pub(super) fn record(
    shared: &Shared,
    caller: &Caller,
    route: &str,
    params: &HashMap<String, String>,
    results: usize,
    started: std::time::Instant,
    status: &'static str,
) {
    let Some(log) = &shared.audit else {
        return;
    };
    log.record(&AuditEntry {
        time: now(),
        caller: caller.0.clone(),
        tool: route.to_owned(),
        library: params
            .get("libraryId")
            .or_else(|| params.get("libraryName"))
            .cloned(),
        query_bytes: params.get("query").map_or(0, |q| q.len()),
        results,
        latency_ms: millis(started.elapsed()),
        status,
    });
}

/// `GET /api/v2/libs/search?libraryName=…&query=…`.
pub(super) async fn libs_search(
    State(shared): State<Arc<Shared>>,
    Extension(access): Extension<LibraryAccess>,
    Extension(caller): Extension<Caller>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let started = std::time::Instant::now();
    let (response, results) = search_response(&shared, access, &params).await;
    audit(
        &shared,
        &caller,
        "GET /api/v2/libs/search",
        &params,
        results,
        started,
        &response,
    );
    response
}

async fn search_response(
    shared: &Arc<Shared>,
    access: LibraryAccess,
    params: &HashMap<String, String>,
) -> (Response, usize) {
    let name = match required(params, "libraryName") {
        Ok(n) => n.to_owned(),
        Err(why) => return (bad_request(why), 0),
    };
    let query = params
        .get("query")
        .cloned()
        .filter(|q| !q.trim().is_empty());
    let engine = shared.engine.clone();
    let found = tokio::task::spawn_blocking(move || {
        engine.libraries().map(|libs| {
            let visible: Vec<_> = libs.into_iter().filter(|l| access.allows(&l.id)).collect();
            resolve_libraries(&name, query.as_deref(), &visible)
        })
    })
    .await;
    let resolved = match found {
        Ok(Ok(resolved)) => resolved,
        Ok(Err(e)) => return (internal(&e.to_string()), 0),
        Err(e) => return (internal(&e.to_string()), 0),
    };
    let results: Vec<Value> = resolved
        .iter()
        .map(|r| {
            let lib = &r.library;
            let default = lib
                .versions
                .iter()
                .find(|v| v.name.is_empty())
                .or(lib.versions.first());
            let updated = lib.versions.iter().map(|v| v.created_at).max().unwrap_or(0);
            json!({
                "id": lib.id,
                "title": lib.title,
                "description": lib.description,
                "branch": lib.options.git_ref.clone().unwrap_or_else(|| "main".to_owned()),
                "lastUpdateDate": iso8601(updated),
                "state": "finalized",
                "totalTokens": default.map_or(0, |v| v.bytes / 4),
                "totalSnippets": default.map_or(0, |v| v.chunks),
                "versions": lib.versions.iter()
                    .filter(|v| !v.name.is_empty())
                    .map(|v| v.name.clone())
                    .collect::<Vec<_>>(),
                "source": lib.source,
            })
        })
        .collect();
    let count = results.len();
    let response = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        json!({ "results": results }).to_string(),
    )
        .into_response();
    (response, count)
}

/// `GET /api/v2/context?libraryId=…&query=…[&type=txt|json][&tokens=N]`.
pub(super) async fn context(
    State(shared): State<Arc<Shared>>,
    Extension(access): Extension<LibraryAccess>,
    Extension(caller): Extension<Caller>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let started = std::time::Instant::now();
    let mut results = 0;
    let response = context_response(&shared, access, &params, &mut results).await;
    audit(
        &shared,
        &caller,
        "GET /api/v2/context",
        &params,
        results,
        started,
        &response,
    );
    response
}

async fn context_response(
    shared: &Arc<Shared>,
    access: LibraryAccess,
    params: &HashMap<String, String>,
    results: &mut usize,
) -> Response {
    let library = match required(params, "libraryId") {
        Ok(id) => context7_id(id),
        Err(why) => return bad_request(why),
    };
    let query = match required(params, "query") {
        Ok(q) => q.to_owned(),
        Err(why) => return bad_request(why),
    };
    let json_wanted = match params.get("type").map(|t| t.trim()) {
        None | Some("") | Some("txt") => false,
        Some("json") => true,
        Some(other) => {
            return message(
                StatusCode::BAD_REQUEST,
                &format!("`type` must be txt or json, got `{other}`"),
            );
        }
    };
    let budget = match params.get("tokens").map(|t| t.trim().parse::<u32>()) {
        None => DEFAULT_TOKENS,
        Some(Ok(n)) if (MIN_TOKENS..=MAX_TOKENS).contains(&n) => n,
        Some(_) => {
            return message(
                StatusCode::BAD_REQUEST,
                &format!("`tokens` must be an integer between {MIN_TOKENS} and {MAX_TOKENS}"),
            );
        }
    };
    // For a key limited to some libraries, the others do not exist.
    let (id, _) = crate::search::split_library_id(&library);
    if !access.allows(&id) {
        return message(
            StatusCode::NOT_FOUND,
            &format!("unknown library `{}`", library.trim()),
        );
    }
    let engine = shared.engine.clone();
    let searched = tokio::task::spawn_blocking(move || {
        engine.search(&library, &query, engine.mode, MAX_RESULTS * 2)
    })
    .await;
    let ranked = match searched {
        Ok(Ok(ranked)) => ranked,
        Ok(Err(SearchError::UnknownLibrary { id, .. })) if access.is_limited() => {
            return message(StatusCode::NOT_FOUND, &format!("unknown library `{id}`"));
        }
        Ok(Err(e @ (SearchError::UnknownLibrary { .. } | SearchError::UnknownVersion { .. }))) => {
            return message(StatusCode::NOT_FOUND, &e.to_string());
        }
        Ok(Err(e)) if e.is_user_error() => return message(StatusCode::BAD_REQUEST, &e.to_string()),
        Ok(Err(e)) => return internal(&e.to_string()),
        Err(e) => return internal(&e.to_string()),
    };
    let answer = assemble_answer(ranked.hits, budget, MAX_RESULTS);
    *results = answer.parts.len();
    if json_wanted {
        let body = snippets(&answer, &ranked.library, &ranked.version);
        return (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response();
    }
    let text = format::render_answer(
        &answer,
        &ranked.library,
        &ranked.rules,
        budget,
        ranked.degraded.as_deref(),
    );
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

/// `/org/project@version` is Context7's other spelling of `/org/project/version`.
fn context7_id(id: &str) -> String {
    let id = id.trim();
    match id.rsplit_once('@') {
        Some((base, version))
            if base.matches('/').count() == 2 && !version.is_empty() && !version.contains('/') =>
        {
            format!("{base}/{version}")
        }
        _ => id.to_owned(),
    }
}

/// Context7's snippet JSON: a section holding code is a code snippet (its
/// fenced blocks in `codeList`), the others info snippets.
fn snippets(answer: &Answer, library: &str, version: &str) -> Value {
    let mut code = Vec::new();
    let mut info = Vec::new();
    for part in &answer.parts {
        let c = &part.hit.chunk;
        let page = c.title.clone().unwrap_or_else(|| c.path.clone());
        let title = c
            .breadcrumb
            .rsplit(" › ")
            .next()
            .filter(|t| !t.is_empty())
            .unwrap_or(&page)
            .to_owned();
        let source = part.hit.source();
        let (blocks, prose) = split_code(&part.text);
        if blocks.is_empty() {
            info.push(json!({
                "pageId": source,
                "breadcrumb": c.breadcrumb,
                "content": part.text,
                "contentTokens": part.tokens,
            }));
        } else {
            code.push(json!({
                "codeTitle": title,
                "codeDescription": prose.trim(),
                "codeLanguage": blocks[0].0,
                "codeTokens": part.tokens,
                "codeId": source,
                "pageTitle": page,
                "codeList": blocks.iter().map(|(language, code)| json!({
                    "language": language, "code": code,
                })).collect::<Vec<_>>(),
            }));
        }
    }
    json!({
        "library": library,
        "version": display_version(version),
        "codeSnippets": code,
        "infoSnippets": info,
    })
}

/// The fenced code blocks of `text` (language, code) and the prose around them.
fn split_code(text: &str) -> (Vec<(String, String)>, String) {
    let mut blocks = Vec::new();
    let mut prose = String::new();
    let mut open: Option<(String, String, String)> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        match &mut open {
            Some((fence, _, body)) => {
                if trimmed.starts_with(fence.as_str())
                    && trimmed.trim_matches(|c| c == '`' || c == '~').is_empty()
                {
                    let (_, language, body) = open.take().expect("open");
                    blocks.push((language, body.trim_end().to_owned()));
                } else {
                    body.push_str(line);
                    body.push('\n');
                }
            }
            None => {
                let fence: String = trimmed
                    .chars()
                    .take_while(|&c| c == '`' || c == '~')
                    .collect();
                if fence.len() >= 3 {
                    let language = trimmed[fence.len()..]
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_owned();
                    open = Some((fence, language, String::new()));
                } else {
                    prose.push_str(line);
                    prose.push('\n');
                }
            }
        }
    }
    if let Some((_, language, body)) = open {
        blocks.push((language, body.trim_end().to_owned()));
    }
    (blocks, prose)
}

/// `2026-12-01T21:18:36Z` for seconds since the epoch.
pub(super) fn iso8601(secs: i64) -> String {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs.max(0) as u64);
    humantime::format_rfc3339_seconds(time).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_dates_and_code_blocks() {
        assert_eq!(context7_id("/org/p@1.2.3"), "/org/p/1.2.3");
        assert_eq!(context7_id("/org/p/1.2.3"), "/org/p/1.2.3");
        assert_eq!(context7_id("/@types/node"), "/@types/node");
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_764_623_916), "2025-12-01T21:18:36Z");
        let (blocks, prose) = split_code("Intro.\n\n```rust\nfn main() {}\n```\n\nAfter.\n");
        assert_eq!(blocks, [("rust".to_owned(), "fn main() {}".to_owned())]);
        assert!(prose.contains("Intro.") && prose.contains("After.") && !prose.contains("fn main"));
    }
}
