//! `serve --audit-log FILE`: one JSON line per tool call or REST call —
//! time, caller (the key's name, never the key), tool, library, query
//! length, results, latency, status. Lines are appended whole (one write
//! each, under a lock), so concurrent requests never interleave.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

/// One call, as the log records it.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    /// Seconds since the Unix epoch, with milliseconds.
    pub time: f64,
    /// `key:NAME`, `oauth:SUBJECT`, `anonymous` or `stdio`.
    pub caller: String,
    /// The tool, or the REST route.
    pub tool: String,
    pub library: Option<String>,
    pub query_bytes: usize,
    pub results: usize,
    pub latency_ms: f64,
    /// `ok`, `error` (the caller's to fix) or `internal`.
    pub status: &'static str,
}

/// The open audit log.
#[derive(Debug)]
pub struct AuditLog {
    file: Mutex<File>,
}

impl AuditLog {
    pub fn open(path: &Path) -> std::io::Result<AuditLog> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(AuditLog {
            file: Mutex::new(file),
        })
    }

    /// Appends `entry`; a failed write is logged, never the caller's problem.
    pub fn record(&self, entry: &AuditEntry) {
        let mut line = serde_json::to_vec(entry).expect("entries serialise");
        line.push(b'\n');
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = file.write_all(&line) {
            tracing::error!("audit log: {e}");
        }
    }
}

/// Seconds since the epoch, with milliseconds.
pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| (d.as_millis() as f64) / 1000.0)
}

pub fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}
