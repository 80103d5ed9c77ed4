//! TwinMCP: an offline documentation engine for coding assistants.
//!
//! `main` parses the command line, sets up logging on stderr and maps errors
//! to exit codes; everything else lives in the subsystem modules.

use clap::Parser;
use twinmcp::cli;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let default_level = match cli.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("TWINMCP_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!("{default_level},tantivy=warn"))
    });
    // stdout belongs to MCP in server mode: logs always go to stderr.
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    match cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
