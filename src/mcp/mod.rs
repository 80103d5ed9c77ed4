//! The MCP server: Context7-compatible tools over stdio or Streamable HTTP (rmcp).
//!
//! Only this module knows MCP wire types. Tool arguments are read by hand so
//! that the names older clients send (`context7CompatibleLibraryID`,
//! `topic`, …) are accepted and every bad argument gets a message that says
//! what was wrong.

pub mod audit;
pub mod format;
mod http;
pub(crate) mod tools;

use std::sync::Arc;

use rmcp::ServiceExt;

use crate::search::Engine;

pub use http::{HttpOptions, MAX_BODY_BYTES, serve_http};
pub use tools::{DEFAULT_TOKENS, TwinServer};

/// Serves MCP over stdin/stdout until the client disconnects.
pub async fn serve_stdio(
    engine: Arc<Engine>,
    audit: Option<Arc<audit::AuditLog>>,
) -> anyhow::Result<()> {
    let server = TwinServer::new(engine).with_audit(audit);
    let running = server.serve(rmcp::transport::stdio()).await?;
    running.waiting().await?;
    Ok(())
}
