//! Tool definitions and dispatch: `resolve-library-id`, `query-docs`,
//! `get-library-docs`.

use std::collections::HashMap;
use std::sync::Arc;

#[allow(deprecated)] // logging/setLevel: deprecated by SEP-2577, still tested by clients
use rmcp::model::{
    CacheScope, CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock,
    DiscoverResult, Implementation, JsonObject, ListToolsResult, PaginatedRequestParams,
    ServerCapabilities, ServerConfig, SetLevelRequestParams, Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use serde_json::{Value, json};

use super::format;
use crate::auth::LibraryAccess;
use crate::search::{Engine, SearchError, assemble_answer, resolve_libraries};

pub const DEFAULT_TOKENS: u32 = 5000;
/// How long a client may reuse `server/discover` and `tools/list` (MCP
/// 2026-07-28 caching hints): both are the same for every caller and change
/// only with the binary.
const LIST_TTL_MS: u64 = 10 * 60 * 1000;
/// Longest a tool call may run.
const TOOL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
pub const MIN_TOKENS: u32 = 500;
pub const MAX_TOKENS: u32 = 50_000;
/// Longest query accepted, in bytes.
const MAX_QUERY_BYTES: usize = 4096;
/// The argument names a question may come under (Context7's and others').
const QUERY_NAMES: &[&str] = &["query", "topic", "question", "userQuery"];
/// Longest library name or ID accepted, in bytes.
const MAX_NAME_BYTES: usize = 512;
/// Most sections one answer can hold.
pub const MAX_RESULTS: usize = 20;

#[derive(Clone)]
pub struct TwinServer {
    engine: Arc<Engine>,
    /// The versions the projects of this session's MCP roots lock, by
    /// lowercased library ID (empty until the client lists roots); swapped
    /// whole, so a request takes it without holding the lock.
    roots: Arc<std::sync::RwLock<Arc<HashMap<String, String>>>>,
    /// `serve --audit-log`.
    audit: Option<Arc<super::audit::AuditLog>>,
}

/// Who is calling, as the audit log names it (set by the HTTP middleware).
#[derive(Debug, Clone)]
pub(crate) struct Caller(pub String);

fn object(value: Value) -> Arc<JsonObject> {
    match value {
        Value::Object(map) => Arc::new(map),
        _ => unreachable!("schemas are objects"),
    }
}

fn tools() -> Vec<Tool> {
    let read_only = ToolAnnotations::new()
        .read_only(true)
        .destructive(false)
        .idempotent(true)
        .open_world(false);
    let libraries_schema = object(json!({
        "type": "object",
        "properties": {
            "libraries": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "title": {"type": "string"},
                        "description": {"type": "string"},
                        "snippets": {"type": "integer"},
                        "versions": {"type": "array", "items": {"type": "string"}},
                        "score": {"type": "number"},
                        "projectVersion": {"type": ["string", "null"], "description": "The version a served project locks."}
                    },
                    "required": ["id", "title", "description", "snippets", "versions", "score"]
                }
            }
        },
        "required": ["libraries"]
    }));
    let answer_schema = object(json!({
        "type": "object",
        "properties": {
            "libraryId": {"type": "string"},
            "version": {"type": "string"},
            "results": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "title": {"type": "string"},
                        "breadcrumb": {"type": "string"},
                        "path": {"type": "string"},
                        "start_line": {"type": "integer"},
                        "end_line": {"type": "integer"},
                        "ranges": {
                            "description": "The line ranges the text shows, in source order: one, or one per part where neighbouring sections were joined (start_line and end_line are then their envelope)",
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "start_line": {"type": "integer"},
                                    "end_line": {"type": "integer"}
                                },
                                "required": ["start_line", "end_line"]
                            }
                        },
                        "score": {"type": "number"},
                        "tokens": {"type": "integer"}
                    },
                    "required": ["title", "breadcrumb", "path", "start_line", "end_line", "score", "tokens"]
                }
            },
            "tokens_used": {"type": "integer"},
            "omitted": {"type": "integer"},
            "rules": {"type": "array", "items": {"type": "string"}, "description": "The library maintainers' rules for using it."}
        },
        "required": ["libraryId", "version", "results", "tokens_used", "omitted"]
    }));
    let tokens = json!({
        "type": "integer",
        "minimum": MIN_TOKENS,
        "maximum": MAX_TOKENS,
        "default": DEFAULT_TOKENS,
        "description": "Most tokens of documentation to return (default 5000)."
    });
    vec![
        Tool::new(
            "resolve-library-id",
            "Resolves a package or product name to a Context7-compatible library ID and lists matching indexed \
             libraries. Call this before query-docs unless the user gave an ID in the form /org/project.",
            object(json!({
                "type": "object",
                "properties": {
                    "libraryName": {"type": "string", "description": "Library name to search for, e.g. 'axum' or 'next.js'."},
                    "query": {"type": "string", "description": "The user's question, used to break ties between libraries."}
                },
                "required": ["libraryName"]
            })),
        )
        .with_title("Resolve library ID")
        .with_raw_output_schema(libraries_schema)
        .with_annotations(read_only.clone()),
        Tool::new(
            "query-docs",
            "Returns the documentation sections of a library that best answer a question, whole, with their source \
             paths and line ranges, within a token budget.",
            object(json!({
                "type": "object",
                "properties": {
                    "libraryId": {"type": "string", "description": "Library ID from resolve-library-id, e.g. /tokio-rs/axum or /tokio-rs/axum/v0.8.9."},
                    "query": {"type": "string", "description": "The question or task, in the user's words."},
                    "tokens": tokens.clone()
                },
                "required": ["libraryId", "query"]
            })),
        )
        .with_title("Query documentation")
        .with_raw_output_schema(answer_schema.clone())
        .with_annotations(read_only.clone()),
        Tool::new(
            "get-library-docs",
            "Fetches documentation for a library (older Context7 tool; same as query-docs). `topic` focuses the answer.",
            object(json!({
                "type": "object",
                "properties": {
                    "context7CompatibleLibraryID": {"type": "string", "description": "Library ID, e.g. /tokio-rs/axum."},
                    "topic": {"type": "string", "description": "Topic to focus on, e.g. 'routing'."},
                    "tokens": tokens
                },
                "required": ["context7CompatibleLibraryID"]
            })),
        )
        .with_title("Get library docs")
        .with_raw_output_schema(answer_schema)
        .with_annotations(read_only),
    ]
}

/// `%20` and the like in a `file://` URI path.
fn percent_decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = path
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Why a tool call failed.
enum ToolError {
    /// Something the caller can fix (an unknown library, a bad argument):
    /// an `isError` result that says what to do.
    User(String),
    /// A failure of this server (storage, I/O): the caller gets a short
    /// generic message with an id, the log gets the detail.
    Internal(String),
}

impl From<SearchError> for ToolError {
    fn from(e: SearchError) -> Self {
        if e.is_user_error() {
            ToolError::User(e.to_string())
        } else {
            ToolError::Internal(e.to_string())
        }
    }
}

/// The answer to a failure inside the server: a generic message and an id
/// to find the detail by in the log (on stderr, never sent to the caller,
/// since it names paths of the data dir).
pub(crate) fn internal_error(detail: &str) -> McpError {
    McpError::internal_error(log_internal(detail), None)
}

/// Logs `detail` under a fresh id and returns what the caller is told
/// instead: a generic message naming that id (MCP and REST alike).
pub(crate) fn log_internal(detail: &str) -> String {
    let mut bytes = [0u8; 6];
    let _ = getrandom::fill(&mut bytes);
    let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    tracing::error!(error_id = %id, "internal error: {detail}");
    format!("internal error (id {id}); the server log has the details")
}

fn error_result(message: &str) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message.to_owned())])
}

/// The first of `names` present in `args`, as a string.
fn string_arg(args: &JsonObject, names: &[&str]) -> Result<Option<String>, ToolError> {
    for name in names {
        match args.get(*name) {
            None | Some(Value::Null) => continue,
            Some(Value::String(s)) if !QUERY_NAMES.contains(name) && s.len() > MAX_NAME_BYTES => {
                return Err(ToolError::User(format!(
                    "`{name}` is {} bytes long; the limit is {MAX_NAME_BYTES}",
                    s.len()
                )));
            }
            Some(Value::String(s)) => return Ok(Some(s.clone())),
            Some(other) => {
                return Err(ToolError::User(format!(
                    "`{name}` must be a string, got {}",
                    type_name(other)
                )));
            }
        }
    }
    Ok(None)
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn tokens_arg(args: &JsonObject) -> Result<u32, ToolError> {
    let Some(value) = args.get("tokens").filter(|v| !v.is_null()) else {
        return Ok(DEFAULT_TOKENS);
    };
    let n = match value {
        Value::Number(n) => n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    match n {
        Some(n) if (MIN_TOKENS as i64..=MAX_TOKENS as i64).contains(&n) => Ok(n as u32),
        Some(n) => Err(ToolError::User(format!(
            "`tokens` must be between {MIN_TOKENS} and {MAX_TOKENS}, got {n}"
        ))),
        None => Err(ToolError::User(format!(
            "`tokens` must be an integer between {MIN_TOKENS} and {MAX_TOKENS}, got {value}"
        ))),
    }
}

impl TwinServer {
    pub fn new(engine: Arc<Engine>) -> TwinServer {
        TwinServer {
            engine,
            roots: Arc::default(),
            audit: None,
        }
    }

    /// Records every tool call in `audit`.
    pub fn with_audit(mut self, audit: Option<Arc<super::audit::AuditLog>>) -> TwinServer {
        self.audit = audit;
        self
    }

    /// "unknown library" naming only the libraries `access` sees.
    fn unknown_library(&self, id: &str, access: &LibraryAccess) -> ToolError {
        let known: Vec<String> = self
            .engine
            .libraries()
            .unwrap_or_default()
            .into_iter()
            .filter(|l| access.allows(&l.id))
            .map(|l| l.id)
            .collect();
        ToolError::User(
            SearchError::UnknownLibrary {
                id: id.trim().to_owned(),
                known: if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                },
            }
            .to_string(),
        )
    }

    /// The version a project of this session (its roots, then `--project`)
    /// locks for `library`.
    fn project_version(&self, library: &str) -> Option<String> {
        let roots = self.roots.read().unwrap_or_else(|e| e.into_inner());
        roots
            .get(&library.to_ascii_lowercase())
            .cloned()
            .or_else(|| self.engine.project_version(library).map(str::to_owned))
    }

    /// Asks a client that declares roots for them and reads the projects
    /// they name (on its own task: the answer comes through the same
    /// connection this handler serves). Roots are deprecated by SEP-2577,
    /// but the editors of today still send them.
    #[allow(deprecated)]
    fn refresh_roots(&self, peer: rmcp::Peer<RoleServer>) {
        let declares = peer
            .peer_info()
            .is_some_and(|info| info.capabilities.roots.is_some());
        if !declares {
            return;
        }
        let roots = self.roots.clone();
        tokio::spawn(async move {
            let listed = match peer.list_roots().await {
                Ok(listed) => listed,
                Err(e) => {
                    tracing::warn!("roots/list failed: {e}");
                    return;
                }
            };
            let dirs: Vec<std::path::PathBuf> = listed
                .roots
                .iter()
                .filter_map(|r| r.uri.strip_prefix("file://"))
                .map(|p| std::path::PathBuf::from(percent_decode(p)))
                .filter(|p| p.is_dir())
                .collect();
            let versions =
                tokio::task::spawn_blocking(move || crate::deps::locked_versions(&dirs)).await;
            if let Ok(versions) = versions {
                *roots.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(versions);
            }
        });
    }

    fn resolve(
        &self,
        args: &JsonObject,
        access: &LibraryAccess,
    ) -> Result<CallToolResult, ToolError> {
        let name = string_arg(args, &["libraryName", "library_name", "name"])?
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| {
                ToolError::User(
                    "`libraryName` is required: the name of the library to look up".into(),
                )
            })?;
        let query = string_arg(args, &["query"])?;
        let libraries: Vec<crate::index::Library> = self
            .engine
            .libraries()?
            .into_iter()
            .filter(|l| access.allows(&l.id))
            .collect();
        let mut resolved = resolve_libraries(&name, query.as_deref(), &libraries);
        // The version a served project locks comes first, and says so.
        for r in &mut resolved {
            let Some(locked) = self.project_version(&r.library.id) else {
                continue;
            };
            let locked = locked.as_str();
            if let Some(at) = r.library.versions.iter().position(|v| v.name == locked) {
                let version = r.library.versions.remove(at);
                r.library.versions.insert(0, version);
                r.project_version = Some(locked.to_owned());
            }
        }
        if resolved.is_empty() {
            let known = if libraries.is_empty() {
                "No libraries are indexed yet; index one with `twinmcp index <path>`.".to_owned()
            } else {
                let ids: Vec<String> = libraries
                    .iter()
                    .map(|l| format!("- {} ({})", l.id, l.title))
                    .collect();
                format!("Indexed libraries:\n{}", ids.join("\n"))
            };
            let text = format!("No indexed library matches \"{name}\".\n\n{known}");
            let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
            result.structured_content = Some(json!({ "libraries": [] }));
            return Ok(result);
        }
        let mut result = CallToolResult::success(vec![ContentBlock::text(
            format::render_libraries(&resolved),
        )]);
        result.structured_content = Some(format::libraries_structured(&resolved));
        Ok(result)
    }

    fn query(
        &self,
        args: &JsonObject,
        legacy: bool,
        access: &LibraryAccess,
    ) -> Result<CallToolResult, ToolError> {
        let id_names: &[&str] = &[
            "libraryId",
            "context7CompatibleLibraryID",
            "libraryID",
            "library_id",
        ];
        let library = string_arg(args, id_names)?
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| {
                ToolError::User(format!(
                    "`{}` is required: a library ID such as /org/project (see resolve-library-id)",
                    id_names[usize::from(legacy)]
                ))
            })?;
        let query = string_arg(args, QUERY_NAMES)?.unwrap_or_default();
        let query = query.trim();
        if query.is_empty() && !legacy {
            return Err(ToolError::User(
                "`query` is required and must not be empty: say what you want to know".into(),
            ));
        }
        if query.len() > MAX_QUERY_BYTES {
            return Err(ToolError::User(format!(
                "`query` is {} bytes long; the limit is {MAX_QUERY_BYTES}",
                query.len()
            )));
        }
        let budget = tokens_arg(args)?;
        // `get-library-docs` without a topic still returns the library's best overview sections.
        let query = if query.is_empty() {
            "overview introduction getting started"
        } else {
            query
        };
        // An ID without a version means the version this session's projects
        // (roots), then the served ones, lock, where it is indexed.
        let (id, _) = crate::search::split_library_id(&library);
        // For a key limited to some libraries, the others do not exist.
        if !access.allows(&id) {
            return Err(self.unknown_library(&library, access));
        }
        let roots = self.roots.read().unwrap_or_else(|e| e.into_inner()).clone();
        let ranked =
            self.engine
                .search_for(&library, query, self.engine.mode, MAX_RESULTS * 2, &roots)?;
        let answer = assemble_answer(ranked.hits, budget, MAX_RESULTS);
        let text = format::render_answer(
            &answer,
            &ranked.library,
            &ranked.rules,
            budget,
            ranked.degraded.as_deref(),
        );
        let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
        result.structured_content = Some(format::answer_structured(
            &ranked.library,
            &ranked.version,
            &ranked.rules,
            &answer,
        ));
        Ok(result)
    }

    /// Runs tool `name` with `args` (what `tools/call` does, minus the
    /// thread and the time limit; also the entry point of the fuzz target).
    pub fn dispatch(&self, name: &str, args: &JsonObject) -> Result<CallToolResult, McpError> {
        self.dispatch_as(name, args, &LibraryAccess::all())
    }

    /// [`TwinServer::dispatch`] for a caller who sees the libraries of `access`.
    pub fn dispatch_as(
        &self,
        name: &str,
        args: &JsonObject,
        access: &LibraryAccess,
    ) -> Result<CallToolResult, McpError> {
        let outcome = match name {
            "resolve-library-id" => self.resolve(args, access),
            "query-docs" => self.query(args, false, access),
            "get-library-docs" => self.query(args, true, access),
            other => {
                return Err(McpError::invalid_params(
                    format!(
                        "unknown tool `{other}`; available: resolve-library-id, query-docs, get-library-docs"
                    ),
                    None,
                ));
            }
        };
        // A limited caller never reads the names of libraries it cannot see.
        let outcome = match outcome {
            Err(ToolError::User(_)) if access.is_limited() => outcome.map_err(|e| match e {
                ToolError::User(m) if m.starts_with("unknown library") => {
                    let id = m.split('`').nth(1).unwrap_or("").to_owned();
                    self.unknown_library(&id, access)
                }
                other => other,
            }),
            other => other,
        };
        match outcome {
            Ok(result) => Ok(result),
            Err(ToolError::User(message)) => Ok(error_result(&message)),
            Err(ToolError::Internal(detail)) => Err(internal_error(&detail)),
        }
    }
}

impl ServerHandler for TwinServer {
    #[allow(deprecated)] // logging: see set_level
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_logging()
                .build(),
        )
            .with_server_info(Implementation::new("twinmcp", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Offline documentation for the libraries indexed on this machine. Call resolve-library-id to find \
                 a library ID, then query-docs with the user's question.",
            )
    }

    async fn discover(
        &self,
        _context: RequestContext<RoleServer>,
    ) -> Result<DiscoverResult, McpError> {
        Ok(DiscoverResult::from_server_info(
            self.supported_protocol_versions().into_owned(),
            self.get_info(),
        )
        .with_ttl_ms(LIST_TTL_MS)
        .with_cache_scope(CacheScope::Public))
    }

    async fn on_initialized(&self, context: rmcp::service::NotificationContext<RoleServer>) {
        self.refresh_roots(context.peer);
    }

    async fn on_roots_list_changed(&self, context: rmcp::service::NotificationContext<RoleServer>) {
        self.refresh_roots(context.peer);
    }

    /// Clients may set a log level; TwinMCP logs to stderr and sends no log
    /// notifications, so the level is accepted and has nothing to filter.
    #[allow(deprecated)]
    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        tracing::debug!("client set the log level to {:?}", request.level);
        Ok(())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(tools())
            .with_ttl_ms(LIST_TTL_MS)
            .with_cache_scope(CacheScope::Public))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let server = self.clone();
        let name = request.name.to_string();
        let args = request.arguments.unwrap_or_default();
        // Over HTTP, the key's library access and name (set by the middleware).
        let parts = context.extensions.get::<axum::http::request::Parts>();
        let access = parts
            .and_then(|parts| parts.extensions.get::<LibraryAccess>())
            .cloned()
            .unwrap_or_default();
        let caller = parts
            .and_then(|parts| parts.extensions.get::<Caller>())
            .map_or_else(|| "stdio".to_owned(), |c| c.0.clone());
        let started = std::time::Instant::now();
        let audited = self.audit.clone().map(|log| {
            let library = string_arg(
                &args,
                &[
                    "libraryId",
                    "context7CompatibleLibraryID",
                    "libraryID",
                    "library_id",
                    "libraryName",
                ],
            )
            .ok()
            .flatten();
            let query_bytes = string_arg(&args, QUERY_NAMES)
                .ok()
                .flatten()
                .map_or(0, |q| q.len());
            (log, library, query_bytes)
        });
        let tool = name.clone();
        // Search is CPU work; a panic in it must not take the server down,
        // and a call that runs away must not hold its client forever.
        let work = tokio::task::spawn_blocking(move || server.dispatch_as(&name, &args, &access));
        let outcome = self.finish(work).await;
        if let Some((log, library, query_bytes)) = audited {
            let (status, results) = match &outcome {
                Ok(r) => (
                    if r.is_error == Some(true) {
                        "error"
                    } else {
                        "ok"
                    },
                    r.structured_content
                        .as_ref()
                        .and_then(|v| v.get("results").or_else(|| v.get("libraries")))
                        .and_then(|v| v.as_array())
                        .map_or(0, |a| a.len()),
                ),
                Err(_) => ("internal", 0),
            };
            log.record(&super::audit::AuditEntry {
                time: super::audit::now(),
                caller,
                tool,
                library,
                query_bytes,
                results,
                latency_ms: super::audit::millis(started.elapsed()),
                status,
            });
        }
        outcome.map(Into::into)
    }
}

impl TwinServer {
    /// Waits for a tool call's work, within the time limit.
    async fn finish(
        &self,
        work: tokio::task::JoinHandle<Result<CallToolResult, McpError>>,
    ) -> Result<CallToolResult, McpError> {
        let Ok(result) = tokio::time::timeout(TOOL_TIMEOUT, work).await else {
            return Err(McpError::internal_error(
                format!(
                    "the answer took longer than {} s; try again or ask a narrower question",
                    TOOL_TIMEOUT.as_secs()
                ),
                None,
            ));
        };
        match result {
            Ok(r) => r,
            Err(e) => Err(internal_error(&format!("tool call failed: {e}"))),
        }
    }
}
