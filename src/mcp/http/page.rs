//! The status page at `/`, for whoever runs the server: the model, every
//! library the caller may see with its versions (commit, files, chunks,
//! size, when indexed) and its last update job, and a search box that shows
//! what `query-docs` returns (the text, and each section's source, score and
//! tokens). Server-rendered HTML (maud escapes what it interpolates) with one
//! small inline script; no build step.
//!
//! When keys exist the page asks for one once: `POST /status/login` checks
//! it and keeps it in an HttpOnly, SameSite=Strict cookie, which the
//! middleware accepts on the page's own routes only (never on `/mcp` or the
//! REST API). The key never appears in a URL or on the page.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Form, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use cookie::{Cookie, SameSite};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use rmcp::model::JsonObject;
use serde::Deserialize;
use serde_json::{Value, json};

use super::rest::iso8601;
use super::{Shared, Trusted};
use crate::auth::LibraryAccess;
use crate::index::{Job, Library};
use crate::mcp::TwinServer;
use crate::mcp::tools::{Caller, DEFAULT_TOKENS, log_internal};
use crate::search::display_version;

pub(super) const PAGE_PATH: &str = "/";
pub(super) const LOGIN_PATH: &str = "/status/login";
pub(super) const LOGOUT_PATH: &str = "/status/logout";
pub(super) const SEARCH_PATH: &str = "/status/search";
const COOKIE: &str = "twinmcp_key";

/// Whether `path` is one of the page's routes (where the key cookie counts).
pub(super) fn is_page_route(path: &str) -> bool {
    path == PAGE_PATH || path.starts_with("/status/")
}

/// The key the page's cookie holds, if any.
pub(super) fn cookie_key(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == COOKIE)
        .map(|c| c.value().trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// `GET /`: the status page for a caller who may see it, else the key form.
pub(super) async fn status(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    if request.extensions().get::<Trusted>().is_none() {
        let stale = cookie_key(request.headers()).is_some();
        let note = stale.then_some("The saved key is no longer valid; enter a key.");
        return html_response(StatusCode::OK, login_page(note));
    }
    let access = request
        .extensions()
        .get::<LibraryAccess>()
        .cloned()
        .unwrap_or_default();
    let caller = request
        .extensions()
        .get::<Caller>()
        .map(|c| c.0.clone())
        .unwrap_or_default();
    let signed_in = cookie_key(request.headers()).is_some() && caller.starts_with("key:");
    let engine = shared.engine.clone();
    let read = tokio::task::spawn_blocking(move || engine.libraries().map(|l| (l, engine.jobs())));
    let (libraries, jobs) = match read.await {
        Ok(Ok(read)) => read,
        Ok(Err(e)) => return page_error(&format!("status page: {e}")),
        Err(e) => return page_error(&format!("status page: {e}")),
    };
    let libraries: Vec<Library> = libraries
        .into_iter()
        .filter(|l| access.allows(&l.id))
        .collect();
    let model = shared.engine.model();
    let view = View {
        libraries: &libraries,
        jobs: &jobs,
        model_state: model.status(),
        model: model.loaded_fingerprint(),
        key_name: signed_in.then(|| caller.trim_start_matches("key:").to_owned()),
    };
    html_response(StatusCode::OK, status_page(&view))
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    #[serde(default)]
    key: String,
}

/// `POST /status/login`: checks the key and keeps it in the cookie.
pub(super) async fn login(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let key = form.key.trim();
    let verified = {
        let keys = shared.keys.lock().unwrap_or_else(|e| e.into_inner());
        keys.verify(key)
    };
    match verified {
        Ok(Some(_)) => {
            let secure = headers
                .get("x-forwarded-proto")
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
            let cookie = Cookie::build((COOKIE, key.to_owned()))
                .http_only(true)
                .same_site(SameSite::Strict)
                .secure(secure)
                .path("/")
                .max_age(cookie::time::Duration::days(30))
                .build();
            see_other(&cookie)
        }
        Ok(None) => {
            let mut response = html_response(
                StatusCode::UNAUTHORIZED,
                login_page(Some("That key is not valid (unknown or revoked).")),
            );
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"twinmcp\""),
            );
            response
        }
        Err(e) => page_error(&format!("key store: {e}")),
    }
}

/// `POST /status/logout`: forgets the cookie.
pub(super) async fn logout() -> Response {
    let cookie = Cookie::build((COOKIE, ""))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .max_age(cookie::time::Duration::ZERO)
        .build();
    see_other(&cookie)
}

/// `GET /status/search?libraryId=…&query=…[&tokens=N]`: runs `query-docs`
/// for the caller and returns what the tool returns, as JSON `{isError,
/// text, structuredContent}`.
pub(super) async fn search(
    State(shared): State<Arc<Shared>>,
    Extension(access): Extension<LibraryAccess>,
    Extension(caller): Extension<Caller>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let started = std::time::Instant::now();
    let mut args = JsonObject::new();
    for name in ["libraryId", "query"] {
        if let Some(value) = params.get(name) {
            args.insert(name.into(), Value::String(value.clone()));
        }
    }
    if let Some(tokens) = params.get("tokens").filter(|t| !t.trim().is_empty()) {
        match tokens.trim().parse::<u64>() {
            Ok(n) => {
                args.insert("tokens".into(), json!(n));
            }
            Err(_) => {
                return json_response(
                    StatusCode::BAD_REQUEST,
                    json!({ "message": format!("`tokens` must be a whole number, not `{tokens}`") }),
                );
            }
        }
    }
    let server = TwinServer::new(shared.engine.clone());
    let run = tokio::task::spawn_blocking(move || server.dispatch_as("query-docs", &args, &access));
    let (response, results, status) = match run.await {
        Ok(Ok(result)) => {
            let text: Vec<&str> = result
                .content
                .iter()
                .filter_map(|c| c.as_text().map(|t| t.text.as_str()))
                .collect();
            let results = result
                .structured_content
                .as_ref()
                .and_then(|v| v.get("results"))
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            let is_error = result.is_error == Some(true);
            let body = json!({
                "isError": is_error,
                "text": text.join("\n"),
                "structuredContent": result.structured_content,
            });
            let status = if is_error { "error" } else { "ok" };
            (json_response(StatusCode::OK, body), results, status)
        }
        // An internal failure: the id is in the message, the detail in the log.
        Ok(Err(e)) => (
            json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({ "message": e.message }),
            ),
            0,
            "internal",
        ),
        Err(e) => (page_error(&format!("status search: {e}")), 0, "internal"),
    };
    let route = format!("GET {SEARCH_PATH}");
    super::rest::record(&shared, &caller, &route, &params, results, started, status);
    response
}

struct View<'a> {
    libraries: &'a [Library],
    jobs: &'a [Job],
    model_state: &'static str,
    model: Option<String>,
    key_name: Option<String>,
}

fn status_page(view: &View) -> Markup {
    let chunks: i64 = view
        .libraries
        .iter()
        .flat_map(|l| &l.versions)
        .map(|v| v.chunks)
        .sum();
    page(
        "TwinMCP status",
        html! {
            header {
                h1 { "TwinMCP" }
                p.meta {
                    "version " (env!("CARGO_PKG_VERSION"))
                    " · model "
                    span #model-state { (view.model_state) }
                    @if let Some(model) = &view.model { " · " code #model { (model) } }
                    " · " span #library-count { (view.libraries.len()) } " libraries, "
                    (chunks) " chunks"
                }
                @if let Some(name) = &view.key_name {
                    form.signout method="post" action=(LOGOUT_PATH) {
                        "key " b #key-name { (name) } " "
                        button type="submit" { "Sign out" }
                    }
                }
            }
            section {
                h2 { "Libraries" }
                @if view.libraries.is_empty() {
                    p #no-libraries { "No libraries are indexed yet: run " code { "twinmcp index <path>" } "." }
                } @else {
                    table #libraries {
                        thead { tr {
                            th { "Library" } th { "Version" } th { "Commit" } th.n { "Files" }
                            th.n { "Chunks" } th.n { "Size" } th { "Indexed" } th { "Last update" }
                        } }
                        tbody {
                            @for library in view.libraries {
                                (library_rows(library, view.jobs.iter().find(|j| j.library == library.id)))
                            }
                        }
                    }
                }
            }
            section {
                h2 { "Search" }
                p.hint { "Exactly what " code { "query-docs" } " returns for this key: the text an agent reads, and each section's source, score and tokens." }
                form #search-form {
                    select #library name="libraryId" aria-label="Library" {
                        @for library in view.libraries {
                            option value=(library.id) { (library.id) }
                            @for version in library.versions.iter().skip(1) {
                                @let id = format!("{}/{}", library.id, display_version(&version.name));
                                option value=(id) { (id) }
                            }
                        }
                    }
                    input #query name="query" type="search" required placeholder="What do you want to know?" aria-label="Question";
                    input #tokens name="tokens" type="number" min="500" max="50000" step="500" value=(DEFAULT_TOKENS) aria-label="Token budget";
                    button type="submit" { "Search" }
                }
                p #search-status role="status" {}
                table #results hidden {
                    thead { tr { th.n { "#" } th { "Section" } th { "Source" } th.n { "Score" } th.n { "Tokens" } } }
                    tbody {}
                }
                p #answer-summary {}
                pre #answer hidden {}
            }
            script { (PreEscaped(SCRIPT)) }
        },
    )
}

fn library_rows(library: &Library, job: Option<&Job>) -> Markup {
    let span = library.versions.len().max(1);
    html! {
        @for (i, version) in library.versions.iter().enumerate() {
            tr.library data-id=(library.id) {
                @if i == 0 {
                    td rowspan=(span) {
                        b.id { (library.id) }
                        @if !library.title.is_empty() && library.title != library.id { br; span.title { (library.title) } }
                        br; span.source { (library.source) }
                    }
                }
                td.version { (display_version(&version.name)) }
                td { code { (version.source_rev.as_deref().map_or("—", |r| &r[..r.len().min(12)])) } }
                td.n { (version.files) }
                td.n.chunks { (version.chunks) }
                td.n { (human_bytes(version.bytes)) }
                td { (iso8601(version.created_at)) }
                @if i == 0 {
                    td rowspan=(span) { (job_cell(job)) }
                }
            }
        }
    }
}

fn job_cell(job: Option<&Job>) -> Markup {
    let Some(job) = job else {
        return html! { span.muted { "none" } };
    };
    let when = iso8601(job.finished_at.unwrap_or(job.started_at));
    html! {
        span class={ "job " (job.state) } { (job.state) } " " (when)
        @if !job.result.is_empty() { br; span.result { (job.result) } }
    }
}

fn login_page(note: Option<&str>) -> Markup {
    page(
        "TwinMCP: sign in",
        html! {
            header { h1 { "TwinMCP" } }
            section {
                h2 { "Enter an API key" }
                @if let Some(note) = note { p #login-error role="alert" { (note) } }
                p.hint { "It is kept in a cookie only this server's pages can use, never in a URL." }
                form #login method="post" action=(LOGIN_PATH) {
                    input #key name="key" type="password" autocomplete="off" required placeholder="tmcp_…" aria-label="API key";
                    button type="submit" { "Sign in" }
                }
            }
        },
    )
}

fn page(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body { (body) }
        }
    }
}

fn human_bytes(bytes: i64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes.max(0) as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn html_response(status: StatusCode, markup: Markup) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            // The page's own script and style only; no frames of it elsewhere.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
                 connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
            // Not `no-referrer`: with it, browsers send `Origin: null` on the
            // page's own form posts, which the Origin check refuses.
            (header::REFERRER_POLICY, "same-origin"),
        ],
        markup.into_string(),
    )
        .into_response()
}

fn json_response(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

fn see_other(cookie: &Cookie) -> Response {
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, PAGE_PATH)]).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// A failure of this server: a generic message with an id, the detail in the log.
fn page_error(detail: &str) -> Response {
    json_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        json!({ "message": log_internal(detail) }),
    )
}

const STYLE: &str = r#"
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 72rem; padding: 1rem 1.5rem; color: #1d2330; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0 1.5rem; border-bottom: 1px solid #d6dbe4; }
h1 { font-size: 1.4rem; margin: .4rem 0; } h2 { font-size: 1.1rem; margin: 1.4rem 0 .5rem; }
.meta, .hint, .muted, .source, .title { color: #5b6577; } .signout { margin-left: auto; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #e6e9ef; vertical-align: top; }
th { background: #f3f5f8; } .n { text-align: right; font-variant-numeric: tabular-nums; }
code { font: 13px ui-monospace, monospace; } .source { font-size: 12px; word-break: break-all; }
.job.failed, #login-error, .error { color: #b42318; } .job.done { color: #1a7f37; } .job.running { color: #9a6700; }
form#search-form, form#login { display: flex; gap: .5rem; flex-wrap: wrap; }
input, select, button { font: inherit; padding: .35rem .5rem; } #query { flex: 1; min-width: 16rem; }
#tokens { width: 6.5rem; } pre { background: #f6f8fa; padding: .8rem; overflow: auto; white-space: pre-wrap; font-size: 13px; }
"#;

/// Runs a search through `/status/search` and shows what came back; every
/// value is set as text, never as HTML.
const SCRIPT: &str = r#"
const form = document.getElementById('search-form');
const statusLine = document.getElementById('search-status');
const table = document.getElementById('results');
const answer = document.getElementById('answer');
const summary = document.getElementById('answer-summary');
function cell(row, text, cls) { const td = row.insertCell(); td.textContent = text; if (cls) td.className = cls; return td; }
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  statusLine.textContent = 'Searching…'; statusLine.className = '';
  const params = new URLSearchParams(new FormData(form));
  let response;
  try {
    response = await fetch('/status/search?' + params, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  } catch (e) { statusLine.textContent = 'The server did not answer: ' + e; statusLine.className = 'error'; return; }
  if (response.status === 401) { location.reload(); return; }
  const body = await response.json();
  if (!response.ok) { statusLine.textContent = body.message || ('HTTP ' + response.status); statusLine.className = 'error'; return; }
  const tbody = table.tBodies[0];
  tbody.replaceChildren();
  const data = body.structuredContent || {};
  const results = data.results || [];
  results.forEach((r, i) => {
    const row = tbody.insertRow(); row.className = 'result';
    cell(row, String(i + 1), 'n');
    cell(row, r.breadcrumb || r.title);
    cell(row, r.ranges.map(g => r.path + '#L' + g.start_line + '-L' + g.end_line).join(', '), 'source');
    cell(row, Number(r.score).toFixed(4), 'n score');
    cell(row, String(r.tokens), 'n tokens');
  });
  table.hidden = results.length === 0;
  answer.textContent = body.text; answer.hidden = false;
  if (body.isError) {
    statusLine.textContent = 'The tool answered with an error:'; statusLine.className = 'error'; summary.textContent = '';
  } else {
    statusLine.textContent = results.length + ' sections from ' + data.libraryId + (data.version ? ' (' + data.version + ')' : '');
    summary.textContent = (data.tokens_used || 0) + ' tokens used' + (data.omitted ? ', ' + data.omitted + ' more sections did not fit' : '') + '. The text below is what the agent reads:';
  }
});
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_is_found_among_others_and_sizes_read_well() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; twinmcp_key=tmcp_abc; x=1"),
        );
        assert_eq!(cookie_key(&headers).as_deref(), Some("tmcp_abc"));
        headers.insert(header::COOKIE, HeaderValue::from_static("twinmcp_key="));
        assert_eq!(cookie_key(&headers), None);
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(37 * 1024 + 512), "37.5 KiB");
        assert_eq!(human_bytes(5 * 1024 * 1024), "5.0 MiB");
    }

    #[test]
    fn interpolated_text_is_escaped() {
        let job = Job {
            library: "/a/b".into(),
            state: "failed".into(),
            started_at: 0,
            finished_at: Some(60),
            result: "<script>alert(1)</script>".into(),
        };
        let html = job_cell(Some(&job)).into_string();
        assert!(
            html.contains("&lt;script&gt;") && !html.contains("<script>"),
            "{html}"
        );
    }
}
