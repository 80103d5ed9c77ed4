//! `twinmcp keys`: API keys for the HTTP server.

use clap::Subcommand;

use super::Context;
use crate::auth::{KeyStore, Rate};

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Create a key; its secret is printed once and stored only as a hash
    Create {
        /// Who or what the key is for
        #[arg(long)]
        name: String,
        /// Rate limit for this key, e.g. 60/min (default: none)
        #[arg(long)]
        rate: Option<Rate>,
        /// Only these libraries exist for this key: comma-separated globs, e.g. '/acme/*,/tokio-rs/tokio'
        #[arg(long, value_name = "GLOBS")]
        libraries: Option<String>,
    },
    /// List keys (never their secrets)
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key by name or by the start of its secret
    Revoke { key: String },
}

pub fn run(context: &Context, command: KeysCommand) -> anyhow::Result<()> {
    let store = KeyStore::open(&context.data.keys_path())?;
    match command {
        KeysCommand::Create {
            name,
            rate,
            libraries,
        } => {
            let libraries = match libraries {
                Some(list) => crate::auth::parse_library_globs(&list)
                    .map_err(|e| anyhow::anyhow!("--libraries: {e}"))?,
                None => Vec::new(),
            };
            let (key, secret) = store.create(&name, rate, &libraries)?;
            eprintln!(
                "created key `{}`{}{}; copy it now, it is not shown again:",
                key.name,
                key.rate
                    .map(|r| format!(" (limit {r})"))
                    .unwrap_or_default(),
                if key.libraries.is_empty() {
                    String::new()
                } else {
                    format!(" for {}", key.libraries.join(", "))
                }
            );
            println!("{secret}");
        }
        KeysCommand::List { json } => {
            let keys = store.list()?;
            if json {
                let list: Vec<serde_json::Value> = keys
                    .iter()
                    .map(|k| {
                        serde_json::json!({
                            "name": k.name,
                            "prefix": k.prefix,
                            "rate": k.rate.map(|r| r.to_string()),
                            "created_at": k.created_at,
                            "revoked": k.revoked,
                            "libraries": k.libraries,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if keys.is_empty() {
                println!("no API keys; the HTTP server accepts loopback requests without one");
            } else {
                for k in keys {
                    println!(
                        "{:<24} {}…  {:<10} {}",
                        k.name,
                        k.prefix,
                        k.rate
                            .map(|r| r.to_string())
                            .unwrap_or_else(|| "no limit".into()),
                        if k.revoked { "revoked" } else { "active" }
                    );
                }
            }
        }
        KeysCommand::Revoke { key } => {
            let key = store.revoke(&key)?;
            println!("revoked key `{}` ({}…)", key.name, key.prefix);
        }
    }
    Ok(())
}
