//! `twinmcp serve`: MCP over stdio (the default) or Streamable HTTP.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use super::{Context, RankingArgs};
use crate::auth::{OAuthConfig, Rate};
use crate::index::DataDir;
use crate::mcp::HttpOptions;
use crate::search::{Engine, Mode, ModelSlot};
use crate::snapshot::{FolderEvent, SnapshotFolder};

#[derive(Args)]
pub struct ServeArgs {
    /// Serve MCP over Streamable HTTP at /mcp instead of stdio [default address: 127.0.0.1:7777]
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "127.0.0.1:7777")]
    http: Option<SocketAddr>,
    /// Also accept this Host name (HTTP; repeatable), e.g. docs.internal.example.com
    #[arg(long, value_name = "HOST")]
    allowed_host: Vec<String>,
    /// Also accept requests from this browser Origin (HTTP; repeatable), e.g. https://app.example.com
    #[arg(long, value_name = "ORIGIN")]
    allowed_origin: Vec<String>,
    /// Rate limit for callers without an API key, per IP address (HTTP), e.g. 120/min
    #[arg(long, value_name = "RATE")]
    rate_limit: Option<Rate>,
    /// Serve /mcp/oauth for OAuth access tokens issued by this authorization server (HTTP)
    #[arg(long, value_name = "URL", requires = "oauth_jwks")]
    oauth_issuer: Option<String>,
    /// JWKS file with the authorization server's public keys (RS256/ES256)
    #[arg(long, value_name = "FILE", requires = "oauth_issuer")]
    oauth_jwks: Option<PathBuf>,
    /// Public URL of /mcp/oauth, the audience tokens must name [default: http://ADDR/mcp/oauth]
    #[arg(long, value_name = "URL")]
    oauth_resource: Option<String>,
    /// Scope an access token must carry
    #[arg(long, value_name = "SCOPE", default_value = "docs:read")]
    oauth_scope: String,
    /// Update libraries indexed from git every INTERVAL (90s, 30m, 6h, 1d), in the background
    #[arg(long, value_name = "INTERVAL", value_parser = super::update::parse_interval)]
    refresh: Option<std::time::Duration>,
    /// A project whose locked dependency versions answer IDs without a version (repeatable)
    #[arg(long, value_name = "DIR")]
    project: Vec<PathBuf>,
    /// Serve this snapshot file instead of the data dir, read-only (repeatable)
    #[arg(long, value_name = "FILE", conflicts_with = "refresh")]
    snapshot: Vec<PathBuf>,
    /// Serve every *.twinmcp file in DIR instead of the data dir, and follow it: new and replaced files are swapped in, removed ones dropped (publish by copying, then renaming into DIR)
    #[arg(long, value_name = "DIR", conflicts_with_all = ["refresh", "snapshot"])]
    snapshot_dir: Option<PathBuf>,
    /// How often --snapshot-dir is looked at (5s, 1m)
    #[arg(long, value_name = "INTERVAL", default_value = "10s", value_parser = super::update::parse_interval)]
    snapshot_poll: std::time::Duration,
    /// Append one JSON line per tool or REST call to FILE (caller's key name, tool, library, latency, status; never a key)
    #[arg(long, value_name = "FILE")]
    audit_log: Option<PathBuf>,
    /// Retrievers behind query-docs (for evaluation; hybrid is best)
    #[arg(long, value_enum, env = "TWINMCP_MODE", default_value_t = Mode::Hybrid)]
    mode: Mode,
    #[command(flatten)]
    ranking: RankingArgs,
}

pub fn run(context: &Context, args: ServeArgs) -> anyhow::Result<()> {
    let slot = ModelSlot::new(context.model.clone(), context.data.models_dir())
        .with_precision(context.precision);
    let mut folder = None;
    let snapshots = if let Some(dir) = &args.snapshot_dir {
        let private = SnapshotDir::create()?;
        folder = Some(SnapshotFolder::new(
            dir.clone(),
            private.data.clone(),
            crate::snapshot::DEFAULT_MAX_BYTES,
            super::snapshot::installed_model(context)?,
        ));
        Some(private)
    } else if args.snapshot.is_empty() {
        None
    } else {
        Some(SnapshotDir::unpack(context, &args.snapshot)?)
    };
    let data = snapshots.as_ref().map_or(&context.data, |s| &s.data);
    let mut engine = Engine::open(data, slot)?;
    engine.mode = args.mode;
    args.ranking.apply(&mut engine);
    let mut projects = Vec::new();
    for dir in &args.project {
        projects.push(
            dir.canonicalize()
                .map_err(|e| anyhow::anyhow!("--project {}: {e}", dir.display()))?,
        );
    }
    engine.project_versions = crate::deps::locked_versions(&projects);
    let engine = Arc::new(engine);
    // Load the model before the first query so that query pays no start-up cost.
    let warm = engine.clone();
    std::thread::spawn(move || {
        let _ = warm.model().get();
    });
    if let Some(every) = args.refresh {
        // Reports go to the log: stdout is MCP's in stdio mode.
        let workspace = context.workspace();
        std::thread::spawn(move || {
            crate::pipeline::refresh_forever(workspace, every, &crate::pipeline::TracingSink)
        });
    }
    let folder_state = folder.as_ref().map(SnapshotFolder::state);
    if let Some(mut folder) = folder {
        let every = args.snapshot_poll;
        std::thread::spawn(move || {
            loop {
                for event in folder.sync() {
                    log_folder_event(&event);
                }
                std::thread::sleep(every);
            }
        });
    }
    let audit = match &args.audit_log {
        Some(path) => Some(Arc::new(
            crate::mcp::audit::AuditLog::open(path)
                .map_err(|e| anyhow::anyhow!("--audit-log {}: {e}", path.display()))?,
        )),
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match args.http {
        None => runtime.block_on(crate::mcp::serve_stdio(engine, audit)),
        Some(addr) => {
            let options = HttpOptions {
                addr,
                allowed_hosts: args.allowed_host,
                allowed_origins: args.allowed_origin,
                anonymous_rate: args.rate_limit,
                audit,
                snapshots: folder_state,
                oauth: match (args.oauth_issuer, args.oauth_jwks) {
                    (Some(issuer), Some(jwks)) => Some(OAuthConfig {
                        issuer,
                        jwks,
                        resource: args.oauth_resource,
                        scope: args.oauth_scope,
                    }),
                    _ => None,
                },
            };
            runtime.block_on(crate::mcp::serve_http(engine, &context.data, options))
        }
    }
}

/// A private data dir holding only the builds of some snapshot files, made
/// at start-up and removed at exit; nothing is written to the user's data
/// dir. The index files are memory-mapped from it like any build's.
struct SnapshotDir {
    data: DataDir,
}

const PRIVATE_PREFIX: &str = "twinmcp-serve-";

impl SnapshotDir {
    /// An empty private data dir, after removing those that processes no
    /// longer running left behind (a replica killed with SIGKILL).
    fn create() -> anyhow::Result<SnapshotDir> {
        let temp = std::env::temp_dir();
        remove_orphans(&temp);
        let root = temp.join(format!("{PRIVATE_PREFIX}{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        Ok(SnapshotDir {
            data: DataDir::open(&root)?,
        })
    }

    fn unpack(context: &Context, files: &[PathBuf]) -> anyhow::Result<SnapshotDir> {
        let dir = SnapshotDir::create()?;
        let root = dir.data.root().to_owned();
        let installed = super::snapshot::installed_model(context)?;
        for file in files {
            let started = std::time::Instant::now();
            let (manifest, _) = crate::snapshot::import(
                &dir.data,
                file,
                crate::snapshot::DEFAULT_MAX_BYTES,
                installed.as_deref(),
            )?;
            tracing::info!(
                "serving {} ({} builds) from {} after {:.2} s",
                file.display(),
                manifest.builds.len(),
                root.display(),
                started.elapsed().as_secs_f64()
            );
        }
        Ok(dir)
    }
}

/// Removes the private data dirs of processes that are gone (Linux: no
/// `/proc/PID`); elsewhere none is removed.
fn remove_orphans(temp: &std::path::Path) {
    if !std::path::Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(temp) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PRIVATE_PREFIX))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            tracing::info!("removing {}, left by process {pid}", entry.path().display());
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn log_folder_event(event: &FolderEvent) {
    match event {
        FolderEvent::Loaded {
            file,
            builds,
            replaced,
            seconds,
        } => tracing::info!(
            "serving {} ({builds} builds{}) after {seconds:.2} s",
            file.display(),
            if *replaced {
                ", replacing older ones"
            } else {
                ""
            }
        ),
        FolderEvent::Refused { file, error } => tracing::error!(
            "refused {}: {error}; what was served stays served",
            file.display()
        ),
        FolderEvent::Waiting { file } => {
            tracing::info!("{} is still being written", file.display())
        }
        FolderEvent::Removed { file, builds } => tracing::info!(
            "{} is gone: {builds} builds no other file carries were removed",
            file.display()
        ),
        FolderEvent::Unreadable { error } => {
            tracing::error!("cannot list the snapshot folder: {error}")
        }
    }
}

impl Drop for SnapshotDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(self.data.root());
    }
}
