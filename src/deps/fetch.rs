//! `deps --fetch`: brings a package that is not on this machine with its
//! ecosystem's own client, so that its configured registry or mirror is
//! used (`cargo vendor`, `npm install`, `pip install --target`, `go mod
//! download`), into `<data-dir>/packages/` (Go: its module cache), where
//! [`super::locate`] finds it from then on.

use std::path::Path;
use std::process::Command;

use super::{Ecosystem, Locked, Places};

/// Runs the client that brings `locked`; `Err` says what failed.
pub fn fetch(locked: &Locked, places: &Places) -> Result<(), String> {
    let Some(packages) = &places.fetched else {
        return Err("no folder for fetched packages".into());
    };
    let (program, args): (&str, Vec<String>) = match locked.ecosystem {
        Ecosystem::Cargo => {
            // One `cargo vendor` brings every crate of the lockfile.
            let manifest = locked
                .lockfile
                .parent()
                .map(|d| d.join("Cargo.toml"))
                .ok_or("a lockfile without a folder")?;
            (
                "cargo",
                vec![
                    "vendor".into(),
                    "--manifest-path".into(),
                    manifest.display().to_string(),
                    "--versioned-dirs".into(),
                    "--no-delete".into(),
                    "--locked".into(),
                    packages.join("cargo").display().to_string(),
                ],
            )
        }
        Ecosystem::Npm => (
            "npm",
            vec![
                "install".into(),
                "--prefix".into(),
                packages
                    .join("npm")
                    .join(format!(
                        "{}@{}",
                        locked.name.replace('/', "+"),
                        locked.version
                    ))
                    .display()
                    .to_string(),
                "--no-save".into(),
                "--no-package-lock".into(),
                "--ignore-scripts".into(),
                "--no-audit".into(),
                "--no-fund".into(),
                format!("{}@{}", locked.name, locked.version),
            ],
        ),
        Ecosystem::PyPI => (
            "python3",
            vec![
                "-m".into(),
                "pip".into(),
                "install".into(),
                "--quiet".into(),
                "--disable-pip-version-check".into(),
                "--no-deps".into(),
                "--target".into(),
                pypi_dir(packages, locked).display().to_string(),
                format!("{}=={}", locked.name, locked.version),
            ],
        ),
        Ecosystem::Go => (
            "go",
            vec![
                "mod".into(),
                "download".into(),
                format!("{}@{}", locked.name, locked.version),
            ],
        ),
    };
    std::fs::create_dir_all(packages).map_err(|e| format!("{}: {e}", packages.display()))?;
    let out = Command::new(program)
        .args(&args)
        .current_dir(packages)
        .output()
        .map_err(|e| format!("`{program}` could not run: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        Err(format!("`{program} {}` failed: {last}", args[0]))
    }
}

/// Where `pip install --target` puts one fetched distribution.
pub(super) fn pypi_dir(packages: &Path, locked: &Locked) -> std::path::PathBuf {
    packages.join("pypi").join(format!(
        "{}-{}",
        super::normalize_pypi(&locked.name),
        locked.version
    ))
}
