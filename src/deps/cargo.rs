//! Rust: `Cargo.lock` (with `cargo-lock`), `Cargo.toml` and its workspace
//! members for which dependencies are direct; crates found in the cargo
//! registry's unpacked sources or a `vendor/` folder made by `cargo vendor`.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::{Ecosystem, LockProblem, Locked, Package, Places, aliases, library_id, read_toml};

pub(super) fn read(dir: &Path, out: &mut Vec<Locked>, problems: &mut Vec<LockProblem>) {
    let path = dir.join("Cargo.lock");
    if !path.is_file() {
        return;
    }
    let lockfile = match cargo_lock::Lockfile::load(&path) {
        Ok(l) => l,
        Err(e) => {
            problems.push(LockProblem {
                file: path,
                message: e.to_string(),
            });
            return;
        }
    };
    let direct = direct_names(dir, problems);
    for package in lockfile.packages {
        // Workspace members have no source; they are the project itself.
        let Some(source) = &package.source else {
            continue;
        };
        if !source.is_registry() {
            continue;
        }
        let name = package.name.as_str().to_owned();
        // One name may be locked at several versions; the manifest's
        // requirement says which of them is the project's own.
        let is_direct = direct.get(&name).is_some_and(|reqs| {
            reqs.iter().any(|req| match req {
                Some(req) => semver::Version::parse(&package.version.to_string())
                    .is_ok_and(|v| req.matches(&v)),
                None => true,
            })
        });
        out.push(Locked {
            ecosystem: Ecosystem::Cargo,
            direct: is_direct,
            version: package.version.to_string(),
            name,
            lockfile: path.clone(),
            location: None,
        });
    }
}

/// What a manifest asks of a crate: a version requirement, or none
/// (`workspace = true`, a path or git dependency).
type Wanted = HashMap<String, Vec<Option<semver::VersionReq>>>;

/// The crates the workspace's manifests name (dependencies of every kind,
/// renamed ones by their package name), with their requirements.
fn direct_names(dir: &Path, problems: &mut Vec<LockProblem>) -> Wanted {
    let mut names = Wanted::new();
    let mut manifests = vec![dir.join("Cargo.toml")];
    let mut seen = HashSet::new();
    while let Some(manifest) = manifests.pop() {
        if !seen.insert(manifest.clone()) {
            continue;
        }
        let Some(doc) = read_toml(&manifest, problems) else {
            continue;
        };
        collect_dependencies(&doc, &mut names);
        if let Some(targets) = doc.get("target").and_then(|t| t.as_table()) {
            for target in targets.values().filter_map(|t| t.as_table()) {
                collect_dependencies(target, &mut names);
            }
        }
        let Some(workspace) = doc.get("workspace").and_then(|w| w.as_table()) else {
            continue;
        };
        collect_dependencies(workspace, &mut names);
        let root = manifest.parent().unwrap_or(dir);
        for member in workspace
            .get("members")
            .and_then(|m| m.as_array())
            .into_iter()
            .flatten()
            .filter_map(|m| m.as_str())
        {
            // `crates/*` and plain paths; other globs are rare.
            if let Some(parent) = member.strip_suffix("/*") {
                for entry in std::fs::read_dir(root.join(parent))
                    .into_iter()
                    .flatten()
                    .flatten()
                {
                    manifests.push(entry.path().join("Cargo.toml"));
                }
            } else {
                manifests.push(root.join(member).join("Cargo.toml"));
            }
        }
    }
    names
}

fn collect_dependencies(table: &toml::Table, names: &mut Wanted) {
    for kind in ["dependencies", "dev-dependencies", "build-dependencies"] {
        let Some(deps) = table.get(kind).and_then(|d| d.as_table()) else {
            continue;
        };
        for (key, value) in deps {
            let name = value.get("package").and_then(|p| p.as_str()).unwrap_or(key);
            let req = value
                .as_str()
                .or_else(|| value.get("version").and_then(|v| v.as_str()))
                .and_then(|r| semver::VersionReq::parse(r).ok());
            names.entry(name.to_owned()).or_default().push(req);
        }
    }
}

pub(super) fn locate(locked: &Locked, project: &Path, places: &Places) -> Result<Package, String> {
    let folder = format!("{}-{}", locked.name, locked.version);
    let mut candidates = Vec::new();
    let vendor = locked.lockfile.parent().unwrap_or(project).join("vendor");
    candidates.push(vendor.join(&folder));
    candidates.push(vendor.join(&locked.name));
    if let Some(fetched) = &places.fetched {
        candidates.push(fetched.join("cargo").join(&folder));
    }
    if let Some(home) = &places.cargo_home {
        let mut registries: Vec<_> = std::fs::read_dir(home.join("registry/src"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path().join(&folder))
            .collect();
        registries.sort();
        candidates.extend(registries);
    }
    for dir in candidates {
        let manifest = dir.join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        let Ok(doc) = toml::from_str::<toml::Table>(&text) else {
            return Err(format!("{}: not a readable Cargo.toml", manifest.display()));
        };
        let package = doc.get("package").and_then(|p| p.as_table());
        let field = |name: &str| {
            package
                .and_then(|p| p.get(name))
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        if field("version").as_deref() != Some(locked.version.as_str()) {
            continue;
        }
        let repository = field("repository");
        return Ok(Package {
            id: library_id(Ecosystem::Cargo, &locked.name, repository.as_deref()),
            title: locked.name.clone(),
            description: field("description").unwrap_or_default(),
            aliases: aliases(Ecosystem::Cargo, &locked.name),
            locked: locked.clone(),
            root: dir,
            folders: Vec::new(),
            readme: None,
        });
    }
    Err("not in the cargo registry or vendor/".into())
}
