//! MCP over Streamable HTTP for teams: `/mcp` (rmcp's streamable HTTP
//! service on axum, API keys), `/mcp/oauth` (the same tools for OAuth
//! access tokens, with RFC 9728 metadata at
//! `/.well-known/oauth-protected-resource`) and `/health`, behind the
//! transport checks of the MCP spec (`Host` and `Origin` allow-lists
//! against DNS rebinding) and per-caller rate limits.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::json;
use tokio_util::sync::CancellationToken;

mod page;
mod rest;

use super::TwinServer;
use super::tools::Caller;
use crate::auth::{
    KeyStore, LibraryAccess, OAuthConfig, Rate, RateLimiter, TokenError, TokenValidator,
};
use crate::index::DataDir;
use crate::search::Engine;

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// How the HTTP server is exposed.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub addr: SocketAddr,
    /// Extra `Host` names accepted besides loopback and the bound address.
    pub allowed_hosts: Vec<String>,
    /// Extra browser origins accepted besides loopback (`https://app.example.com`).
    pub allowed_origins: Vec<String>,
    /// Limit for callers without a key (per IP) and OAuth callers (per
    /// subject); keys carry their own.
    pub anonymous_rate: Option<Rate>,
    /// Serve `/mcp/oauth` for OAuth access tokens.
    pub oauth: Option<OAuthConfig>,
    /// Where every tool and REST call is recorded.
    pub audit: Option<Arc<super::audit::AuditLog>>,
    /// With `--snapshot-dir`: `/health/ready` also waits for its first load
    /// and for at least one served snapshot.
    pub snapshots: Option<Arc<crate::snapshot::FolderState>>,
}

/// The OAuth side, once the server knows its own address.
struct OAuth {
    validator: TokenValidator,
    resource: String,
    /// RFC 9728 metadata URL for this resource.
    metadata_url: String,
    issuer: String,
}

/// Path of the OAuth-protected MCP endpoint.
const OAUTH_PATH: &str = "/mcp/oauth";
/// RFC 9728 well-known prefix.
const METADATA_PATH: &str = "/.well-known/oauth-protected-resource";

struct Shared {
    keys: Mutex<KeyStore>,
    limiter: RateLimiter,
    hosts: Vec<String>,
    origins: Vec<String>,
    anonymous_rate: Option<Rate>,
    engine: Arc<Engine>,
    oauth: Option<OAuth>,
    audit: Option<Arc<super::audit::AuditLog>>,
    snapshots: Option<Arc<crate::snapshot::FolderState>>,
    /// `/mcp` needs a key even when none exists (then it answers 401): the
    /// server is not on loopback and only OAuth callers may use it.
    keys_always_required: bool,
}

/// Serves until SIGINT or SIGTERM, then finishes requests in flight.
pub async fn serve_http(
    engine: Arc<Engine>,
    data: &DataDir,
    options: HttpOptions,
) -> anyhow::Result<()> {
    let keys = KeyStore::open(&data.keys_path())?;
    let active = keys.active_count()?;
    let loopback = options.addr.ip().is_loopback();
    if !loopback && active == 0 && options.oauth.is_none() {
        anyhow::bail!(
            "refusing to serve on {} without authentication: anyone who can reach it could read \
             every indexed library. Create an API key first (`twinmcp keys create --name NAME`), \
             configure OAuth (--oauth-issuer and --oauth-jwks), or bind to 127.0.0.1",
            options.addr
        );
    }
    let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "::1"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    if !options.addr.ip().is_unspecified() {
        hosts.push(options.addr.ip().to_string());
    }
    hosts.extend(options.allowed_hosts.iter().map(|h| h.to_ascii_lowercase()));
    let origins: Vec<String> = options
        .allowed_origins
        .iter()
        .map(|o| o.trim_end_matches('/').to_ascii_lowercase())
        .collect();

    let cancel = CancellationToken::new();
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(hosts.clone())
        .with_max_request_body_bytes(MAX_BODY_BYTES)
        .with_cancellation_token(cancel.child_token());
    let mcp_service = || {
        let engine = engine.clone();
        let audit = options.audit.clone();
        StreamableHttpService::new(
            move || Ok(TwinServer::new(engine.clone()).with_audit(audit.clone())),
            Arc::new(LocalSessionManager::default()),
            config.clone(),
        )
    };
    let listener = tokio::net::TcpListener::bind(options.addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", options.addr))?;
    let bound = listener.local_addr()?;
    let oauth = match &options.oauth {
        Some(config) => {
            let resource = config
                .resource
                .clone()
                .unwrap_or_else(|| format!("http://{bound}{OAUTH_PATH}"));
            Some(OAuth {
                validator: TokenValidator::load(config, &resource)?,
                metadata_url: metadata_url(&resource),
                resource,
                issuer: config.issuer.clone(),
            })
        }
        None => None,
    };
    let mut app = Router::new()
        .nest_service("/mcp", mcp_service())
        .route("/health", axum::routing::get(health))
        .route("/health/live", axum::routing::get(live))
        .route("/health/ready", axum::routing::get(ready))
        .route(page::PAGE_PATH, axum::routing::get(page::status))
        .route(page::LOGIN_PATH, axum::routing::post(page::login))
        .route(page::LOGOUT_PATH, axum::routing::post(page::logout))
        .route(page::SEARCH_PATH, axum::routing::get(page::search))
        .route("/api/v2/libs/search", axum::routing::get(rest::libs_search))
        .route("/api/v2/context", axum::routing::get(rest::context));
    if oauth.is_some() {
        app = app
            .nest_service(OAUTH_PATH, mcp_service())
            .route(METADATA_PATH, axum::routing::get(resource_metadata))
            .route(
                &format!("{METADATA_PATH}{OAUTH_PATH}"),
                axum::routing::get(resource_metadata),
            );
    }
    let shared = Arc::new(Shared {
        keys: Mutex::new(keys),
        limiter: RateLimiter::default(),
        hosts,
        origins,
        anonymous_rate: options.anonymous_rate,
        engine: engine.clone(),
        oauth,
        audit: options.audit.clone(),
        snapshots: options.snapshots.clone(),
        keys_always_required: !loopback,
    });
    let app = app
        .layer(middleware::from_fn(session_closed))
        .layer(middleware::from_fn_with_state(shared.clone(), guard))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(shared.clone());

    eprintln!(
        "twinmcp: serving MCP at http://{bound}/mcp ({})",
        if active > 0 {
            format!("{active} API key(s) active; requests need one")
        } else if loopback {
            "no API keys: loopback only".to_owned()
        } else {
            "no API keys: only OAuth callers are served".to_owned()
        }
    );
    if let Some(oauth) = &shared.oauth {
        eprintln!(
            "twinmcp: OAuth-protected MCP at http://{bound}{OAUTH_PATH} (resource {}, issuer {})",
            oauth.resource, oauth.issuer
        );
    }
    let shutdown = cancel.clone();
    // Without TCP_NODELAY a streamed answer waits on delayed ACKs (~40 ms).
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        wait_for_signal().await;
        eprintln!("twinmcp: shutting down; finishing requests in flight");
        shutdown.cancel();
    })
    .await?;
    Ok(())
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// Host and Origin checks, then authentication (API keys on `/mcp`, OAuth
/// tokens on `/mcp/oauth`) and rate limits. On the MCP endpoints a refusal's
/// body is a JSON-RPC error, so MCP clients show its message (the Python SDK
/// shows "Server returned an error response" for any other body).
async fn guard(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let mcp = path == "/mcp" || path == OAUTH_PATH || path.starts_with("/mcp/");
    let response = admit(shared, peer, request, next).await;
    match response.extensions().get::<Refusal>() {
        Some(Refusal(message)) if mcp => {
            let body = json!({
                "jsonrpc": "2.0",
                "id": null,
                "error": { "code": REFUSED, "message": message },
            })
            .to_string();
            let (mut parts, _) = response.into_parts();
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(body))
        }
        _ => response,
    }
}

/// The JSON-RPC error code of a request the guard refused (no or a bad key
/// or token, a rate limit, a Host or Origin not allowed); the HTTP status
/// says which.
const REFUSED: i64 = -32001;

/// Marks a response as the guard's refusal, with its message.
#[derive(Clone)]
struct Refusal(String);

async fn admit(
    shared: Arc<Shared>,
    peer: SocketAddr,
    mut request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    if let Some(host) = headers.get(header::HOST) {
        let host = host.to_str().unwrap_or("");
        if !host_allowed(host, &shared.hosts) {
            return error(
                StatusCode::FORBIDDEN,
                &format!(
                    "Host `{host}` is not allowed (DNS rebinding protection); add it with --allowed-host"
                ),
            );
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        // The status page's own requests come from its origin, whose host
        // passed the Host check above.
        let same_origin = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .is_some_and(|host| same_origin(origin, host));
        if !same_origin && !origin_allowed(origin, &shared.origins) {
            return error(
                StatusCode::FORBIDDEN,
                &format!("Origin `{origin}` is not allowed; add it with --allowed-origin"),
            );
        }
    }
    let path = request.uri().path();
    // A replica whose snapshot folder is not loaded (starting, or nothing
    // valid in it) would answer "unknown library": it says 503 instead, so
    // that a load balancer retries another replica.
    if let Some(Err(why)) = shared.snapshots.as_ref().map(|s| s.ready())
        && (path.starts_with("/mcp") || path.starts_with("/api/"))
    {
        let mut response = error(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!("not ready: {why}"),
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(1));
        return response;
    }
    if path == OAUTH_PATH || path.starts_with(&format!("{OAUTH_PATH}/")) {
        return match oauth_caller(&shared, headers) {
            Ok(subject) => match shared
                .anonymous_rate
                .map(|rate| (rate, shared.limiter.check(&format!("sub:{subject}"), rate)))
            {
                Some((rate, Err(wait))) => too_many(rate, wait),
                _ => {
                    request
                        .extensions_mut()
                        .insert(Caller(format!("oauth:{subject}")));
                    next.run(request).await
                }
            },
            Err(refusal) => *refusal,
        };
    }
    // The status page itself shows a key form to anyone; what it shows
    // beyond that, and its search, need what /mcp needs.
    let is_public = path == "/health"
        || path == "/health/live"
        || path == "/health/ready"
        || path.starts_with(METADATA_PATH)
        || path == page::PAGE_PATH
        || path == page::LOGIN_PATH
        || path == page::LOGOUT_PATH;
    // The page's cookie counts on the page's routes only, so a browser that
    // holds it cannot be made to call /mcp or the REST API.
    let header_key = presented_key(headers);
    let from_cookie = header_key.is_none() && page::is_page_route(path);
    let presented = if from_cookie {
        page::cookie_key(headers)
    } else {
        header_key
    };
    let mut name = "anonymous".to_owned();
    let (caller, rate, trusted, access) = {
        let keys = shared.keys.lock().unwrap_or_else(|e| e.into_inner());
        let required = match keys.active_count() {
            Ok(n) => n > 0 || shared.keys_always_required,
            Err(e) => {
                tracing::error!("key store: {e}");
                return error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the key store cannot be read",
                );
            }
        };
        let anonymous = || {
            (
                format!("ip:{}", peer.ip()),
                shared.anonymous_rate,
                !required,
                LibraryAccess::all(),
            )
        };
        match presented {
            Some(secret) if required => match keys.verify(&secret) {
                Ok(Some(key)) => match LibraryAccess::only(&key.libraries) {
                    Ok(access) => {
                        name = format!("key:{}", key.name);
                        (format!("key:{}", key.id), key.rate, true, access)
                    }
                    Err(e) => {
                        tracing::error!("key {}: {e}", key.name);
                        return error(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
                    }
                },
                // A saved key revoked since: the page asks for a key again.
                Ok(None) if from_cookie && is_public => anonymous(),
                Ok(None) => return unauthorized("the API key is not valid (unknown or revoked)"),
                Err(e) => {
                    tracing::error!("key store: {e}");
                    return error(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "the key store cannot be read",
                    );
                }
            },
            None if required && !is_public => {
                return unauthorized(
                    "an API key is required: send it as `Authorization: Bearer <key>` or `X-API-Key: <key>`",
                );
            }
            _ => anonymous(),
        }
    };
    if let Some(rate) = rate.filter(|_| !is_public)
        && let Err(wait) = shared.limiter.check(&caller, rate)
    {
        return too_many(rate, wait);
    }
    if trusted {
        request.extensions_mut().insert(Trusted);
    }
    request.extensions_mut().insert(access);
    request.extensions_mut().insert(Caller(name));
    next.run(request).await
}

/// rmcp answers a `DELETE` that ends a 2025-era session with 202 Accepted;
/// the session is gone when it answers, which is 204 No Content, the status
/// the MCP SDKs expect (the Python SDK 2.x warns on any other).
async fn session_closed(request: Request, next: Next) -> Response {
    let deleting = request.method() == axum::http::Method::DELETE;
    let mut response = next.run(request).await;
    if deleting && response.status() == StatusCode::ACCEPTED {
        *response.status_mut() = StatusCode::NO_CONTENT;
    }
    response
}

/// Set on requests from a caller that may see what is indexed: one with a
/// valid key, or any caller when the server needs no key.
#[derive(Clone, Copy)]
struct Trusted;

/// The subject of a valid access token, or the 401/403 answer (with the
/// `WWW-Authenticate` challenge the MCP authorization spec asks for).
fn oauth_caller(shared: &Shared, headers: &HeaderMap) -> Result<String, Box<Response>> {
    let Some(oauth) = &shared.oauth else {
        return Err(Box::new(error(
            StatusCode::NOT_FOUND,
            "OAuth is not configured on this server",
        )));
    };
    let refuse = |status, challenge: String, message: &str| {
        let mut response = error(status, message);
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        Box::new(response)
    };
    let metadata = &oauth.metadata_url;
    match bearer(headers).map(|t| oauth.validator.validate(&t)) {
        Some(Ok(subject)) => Ok(subject),
        Some(Err(TokenError::InsufficientScope)) => {
            let scope = oauth.validator.scope();
            Err(refuse(
                StatusCode::FORBIDDEN,
                format!(
                    "Bearer error=\"insufficient_scope\", scope=\"{scope}\", resource_metadata=\"{metadata}\""
                ),
                &format!("the access token lacks the `{scope}` scope"),
            ))
        }
        Some(Err(TokenError::Invalid(why))) => Err(refuse(
            StatusCode::UNAUTHORIZED,
            format!("Bearer error=\"invalid_token\", resource_metadata=\"{metadata}\""),
            &why,
        )),
        None => Err(refuse(
            StatusCode::UNAUTHORIZED,
            format!("Bearer resource_metadata=\"{metadata}\""),
            "an OAuth access token is required (Authorization: Bearer <token>)",
        )),
    }
}

fn too_many(rate: Rate, wait: std::time::Duration) -> Response {
    let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
    let mut response = error(
        StatusCode::TOO_MANY_REQUESTS,
        &format!("rate limit of {rate} exceeded; retry in {seconds} s"),
    );
    let headers = response.headers_mut();
    headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    // The IETF RateLimit fields, as Context7's API sends them.
    headers.insert("ratelimit-limit", HeaderValue::from(rate.count));
    headers.insert("ratelimit-remaining", HeaderValue::from(0));
    headers.insert("ratelimit-reset", HeaderValue::from(seconds));
    response
}

/// The RFC 9728 metadata URL of `resource`: the well-known prefix goes
/// between its origin and its path.
fn metadata_url(resource: &str) -> String {
    let (scheme, rest) = resource.split_once("://").unwrap_or(("http", resource));
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    format!(
        "{scheme}://{authority}{METADATA_PATH}{}",
        path.trim_end_matches('/')
    )
}

/// RFC 9728 protected resource metadata.
async fn resource_metadata(State(shared): State<Arc<Shared>>) -> Response {
    let Some(oauth) = &shared.oauth else {
        return error(
            StatusCode::NOT_FOUND,
            "OAuth is not configured on this server",
        );
    };
    let body = json!({
        "resource": oauth.resource,
        "authorization_servers": [oauth.issuer],
        "scopes_supported": [oauth.validator.scope()],
        "bearer_methods_supported": ["header"],
        "resource_name": "TwinMCP documentation",
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// The token of `Authorization: Bearer <token>`.
fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim().to_owned())
        })
        .filter(|t| !t.is_empty())
}

/// The key from `Authorization: Bearer`, `X-API-Key` or `Context7-API-Key`.
fn presented_key(headers: &HeaderMap) -> Option<String> {
    bearer(headers)
        .or_else(|| {
            ["x-api-key", "context7-api-key"].iter().find_map(|name| {
                headers
                    .get(*name)?
                    .to_str()
                    .ok()
                    .map(|v| v.trim().to_owned())
            })
        })
        .filter(|k| !k.is_empty())
}

fn host_allowed(host: &str, allowed: &[String]) -> bool {
    let host = host.trim().to_ascii_lowercase();
    // `[::1]:7777`, `localhost:7777`, `example.com`.
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':')
            .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
            .map_or(host.as_str(), |(name, _)| name)
    };
    allowed.iter().any(|a| a == name || *a == host)
}

/// Loopback origins on any port, and the configured ones exactly.
/// Whether `origin` (`http://host:port`) names the host the request was sent to.
fn same_origin(origin: &str, host: &str) -> bool {
    let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
    let host = host.trim().to_ascii_lowercase();
    ["http://", "https://"]
        .iter()
        .any(|scheme| origin.strip_prefix(scheme) == Some(host.as_str()))
}

fn origin_allowed(origin: &str, allowed: &[String]) -> bool {
    let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
    if allowed.contains(&origin) {
        return true;
    }
    let Some((scheme, rest)) = origin.split_once("://") else {
        return false;
    };
    if scheme != "http" && scheme != "https" {
        return false;
    }
    host_allowed(
        rest,
        &["localhost".into(), "127.0.0.1".into(), "::1".into()],
    )
}

/// A refusal as JSON: `error` for TwinMCP's clients, `message` for
/// Context7's (which show it to the user as it is).
fn error(status: StatusCode, message: &str) -> Response {
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        json!({ "error": message, "message": message }).to_string(),
    )
        .into_response();
    response
        .extensions_mut()
        .insert(Refusal(message.to_owned()));
    response
}

fn unauthorized(message: &str) -> Response {
    let mut response = error(StatusCode::UNAUTHORIZED, message);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"twinmcp\""),
    );
    response
}

/// `GET /health/live`: the process answers (for a liveness probe).
async fn live() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        json!({ "status": "ok" }).to_string(),
    )
        .into_response()
}

/// `GET /health/ready`: 200 once the catalog opens and the model was tried
/// and, with `--snapshot-dir`, once its first load is done and while it
/// serves at least one snapshot; 503 with the reason otherwise (for a
/// readiness probe or a load balancer's health check).
async fn ready(State(shared): State<Arc<Shared>>) -> Response {
    let engine = shared.engine.clone();
    let catalog = tokio::task::spawn_blocking(move || engine.libraries().map(|_| ())).await;
    let reason = match catalog {
        Ok(Ok(())) => not_ready(&shared),
        Ok(Err(e)) => {
            tracing::error!("/health/ready: the index cannot be read: {e}");
            Some("the index cannot be read")
        }
        Err(_) => Some("internal error"),
    };
    let (status, body) = match reason {
        None => (StatusCode::OK, json!({ "ready": true })),
        Some(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "ready": false, "reason": why }),
        ),
    };
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// Why a server whose catalog opened is not ready yet: the model was not
/// tried yet, or (with `--snapshot-dir`) its folder is not loaded or
/// serves nothing. `/health` and `/health/ready` both say this.
fn not_ready(shared: &Shared) -> Option<&'static str> {
    if shared.engine.model().status() == "loading" {
        return Some("the embedding model is loading");
    }
    shared.snapshots.as_ref().and_then(|s| s.ready().err())
}

/// Liveness and readiness for anyone; the libraries and update jobs too
/// for a trusted caller ([`Trusted`]).
async fn health(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let trusted = request.extensions().get::<Trusted>().is_some();
    let access = request
        .extensions()
        .get::<LibraryAccess>()
        .cloned()
        .unwrap_or_default();
    let engine = shared.engine.clone();
    let model = engine.model().status();
    let ready = not_ready(&shared).is_none();
    let libraries =
        tokio::task::spawn_blocking(move || engine.libraries().map(|l| (l, engine.jobs()))).await;
    let body = match libraries {
        Ok(Ok(_)) if !trusted => {
            json!({ "status": "ok", "ready": ready, "model": model })
        }
        Ok(Ok((libs, jobs))) => json!({
            "jobs": jobs.iter().filter(|j| access.allows(&j.library)).map(|j| json!({
                "library": j.library,
                "state": j.state,
                "started_at": j.started_at,
                "finished_at": j.finished_at,
                "result": j.result,
            })).collect::<Vec<_>>(),
            "status": "ok",
            "ready": ready,
            "model": model,
            "version": env!("CARGO_PKG_VERSION"),
            "libraries": libs.iter().filter(|l| access.allows(&l.id)).map(|l| json!({
                "id": l.id,
                "versions": l.versions.iter().map(|v| json!({
                    "version": crate::search::display_version(&v.name),
                    "chunks": v.chunks,
                    "indexed_at": v.created_at,
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        }),
        Ok(Err(e)) => {
            tracing::error!("/health: the index cannot be read: {e}");
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the index cannot be read; the server log has the details",
            );
        }
        Err(e) => {
            tracing::error!("/health: {e}");
            return error(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
        }
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        Body::from(body.to_string()),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_checked_without_their_port() {
        let allowed: Vec<String> = ["localhost", "127.0.0.1", "::1", "docs.internal"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        for ok in [
            "localhost:7777",
            "127.0.0.1",
            "[::1]:7777",
            "DOCS.internal:80",
        ] {
            assert!(host_allowed(ok, &allowed), "{ok}");
        }
        for bad in ["evil.com", "evil.com:7777", "localhost.evil.com", ""] {
            assert!(!host_allowed(bad, &allowed), "{bad}");
        }
    }

    #[test]
    fn only_loopback_and_listed_origins_pass() {
        let allowed = vec!["https://app.example.com".to_owned()];
        for ok in [
            "http://localhost:6274",
            "http://127.0.0.1",
            "https://app.example.com/",
        ] {
            assert!(origin_allowed(ok, &allowed), "{ok}");
        }
        for bad in [
            "https://evil.com",
            "null",
            "http://localhost.evil.com",
            "https://app.example.com:8443",
            "file://",
        ] {
            assert!(!origin_allowed(bad, &allowed), "{bad}");
        }
    }

    #[test]
    fn keys_are_read_from_all_three_headers() {
        for (name, value) in [
            ("authorization", "Bearer tmcp_x"),
            ("authorization", "bearer  tmcp_x "),
            ("x-api-key", "tmcp_x"),
            ("context7-api-key", "tmcp_x"),
        ] {
            let mut headers = HeaderMap::new();
            headers.insert(
                axum::http::HeaderName::from_static(name),
                value.parse().unwrap(),
            );
            assert_eq!(presented_key(&headers).as_deref(), Some("tmcp_x"), "{name}");
        }
        assert_eq!(presented_key(&HeaderMap::new()), None);
    }
}
