//! JavaScript and TypeScript: `package-lock.json` (lockfile versions 2 and
//! 3) with `package.json` for which dependencies are direct; packages found
//! where the lockfile puts them under `node_modules`, or in pnpm's
//! `node_modules/.pnpm` store.

use std::collections::HashSet;
use std::path::Path;

use serde_json::Value;

use super::{Ecosystem, LockProblem, Locked, Package, aliases, library_id};

pub(super) fn read(dir: &Path, out: &mut Vec<Locked>, problems: &mut Vec<LockProblem>) {
    let path = dir.join("package-lock.json");
    let mut problem = |message: String| {
        problems.push(LockProblem {
            file: path.clone(),
            message,
        })
    };
    let Ok(text) = std::fs::read_to_string(&path) else {
        read_pnpm(dir, out, problems);
        read_yarn(dir, out, problems);
        return;
    };
    let lock: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => return problem(format!("not valid JSON: {e}")),
    };
    let version = lock.get("lockfileVersion").and_then(Value::as_u64);
    let Some(packages) = lock.get("packages").and_then(Value::as_object) else {
        return problem(format!(
            "lockfileVersion {} has no `packages`; versions 2 and 3 are read (npm 7 and later write them)",
            version.map_or("?".to_owned(), |v| v.to_string())
        ));
    };
    let direct = direct_names(dir);
    for (key, entry) in packages {
        let Some(at) = key.rfind("node_modules/") else {
            continue;
        };
        if entry.get("link").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        let name = entry
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or(&key[at + "node_modules/".len()..])
            .to_owned();
        let Some(version) = entry.get("version").and_then(Value::as_str) else {
            continue;
        };
        // Only the top-level copy is what the project's own code imports.
        let top = key.matches("node_modules/").count() == 1;
        out.push(Locked {
            ecosystem: Ecosystem::Npm,
            direct: top && direct.contains(&name),
            name,
            version: version.to_owned(),
            lockfile: path.clone(),
            location: Some(key.clone()),
        });
    }
}

/// `pnpm-lock.yaml` (lockfile versions 6 and 9): packages are
/// `name@version` keys (v6 with a leading `/`, peer suffixes in
/// parentheses); direct ones are the importers' dependencies.
fn read_pnpm(dir: &Path, out: &mut Vec<Locked>, problems: &mut Vec<LockProblem>) {
    let path = dir.join("pnpm-lock.yaml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return;
    };
    let lock: serde_yaml::Value = match serde_yaml::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            problems.push(LockProblem {
                file: path,
                message: e.to_string(),
            });
            return;
        }
    };
    let mut direct = HashSet::new();
    let kinds = ["dependencies", "devDependencies", "optionalDependencies"];
    let importers: Vec<&serde_yaml::Value> =
        match lock.get("importers").and_then(|i| i.as_mapping()) {
            Some(importers) => importers.values().collect(),
            None => vec![&lock],
        };
    for importer in importers {
        for kind in kinds {
            if let Some(deps) = importer.get(kind).and_then(|d| d.as_mapping()) {
                direct.extend(deps.keys().filter_map(|k| k.as_str()).map(str::to_owned));
            }
        }
    }
    let Some(packages) = lock.get("packages").and_then(|p| p.as_mapping()) else {
        return;
    };
    for key in packages.keys().filter_map(|k| k.as_str()) {
        let key = key.trim_start_matches('/');
        let key = key.split('(').next().unwrap_or(key);
        // `@scope/name@1.2.3`: the version follows the last `@`.
        let Some(at) = key.rfind('@').filter(|&at| at > 0) else {
            continue;
        };
        let (name, version) = (&key[..at], &key[at + 1..]);
        out.push(Locked {
            ecosystem: Ecosystem::Npm,
            direct: direct.contains(name),
            name: name.to_owned(),
            version: version.to_owned(),
            lockfile: path.clone(),
            location: None,
        });
    }
}

/// `yarn.lock`, classic (v1) and berry (v2 and later), with
/// `yarn-lock-parser`; the project's own workspaces are left out.
fn read_yarn(dir: &Path, out: &mut Vec<Locked>, problems: &mut Vec<LockProblem>) {
    let path = dir.join("yarn.lock");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return;
    };
    let lock = match yarn_lock_parser::parse_str(&text) {
        Ok(lock) => lock,
        Err(e) => {
            problems.push(LockProblem {
                file: path,
                message: format!("not a yarn.lock this TwinMCP reads: {e}"),
            });
            return;
        }
    };
    let direct = direct_names(dir);
    for entry in &lock.entries {
        if entry.version.starts_with("0.0.0-use.local") {
            continue;
        }
        out.push(Locked {
            ecosystem: Ecosystem::Npm,
            direct: direct.contains(entry.name),
            name: entry.name.to_owned(),
            version: entry.version.to_owned(),
            lockfile: path.clone(),
            location: None,
        });
    }
}

fn direct_names(dir: &Path) -> HashSet<String> {
    let Ok(text) = std::fs::read_to_string(dir.join("package.json")) else {
        return HashSet::new();
    };
    let Ok(manifest) = serde_json::from_str::<Value>(&text) else {
        return HashSet::new();
    };
    [
        "dependencies",
        "devDependencies",
        "optionalDependencies",
        "peerDependencies",
    ]
    .iter()
    .filter_map(|kind| manifest.get(kind).and_then(Value::as_object))
    .flat_map(|deps| deps.keys().cloned())
    .collect()
}

/// npm's repository shorthands: `org/repo` and `github:org/repo` are on
/// GitHub, `gitlab:` and `bitbucket:` on those forges.
fn expand_shorthand(repository: &str) -> String {
    let r = repository.trim();
    for (prefix, host) in [
        ("github:", "github.com"),
        ("gitlab:", "gitlab.com"),
        ("bitbucket:", "bitbucket.org"),
    ] {
        if let Some(path) = r.strip_prefix(prefix) {
            return format!("https://{host}/{path}");
        }
    }
    let plain = r.split('/').count() == 2
        && !r.contains(':')
        && r.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'));
    if plain {
        format!("https://github.com/{r}")
    } else {
        r.to_owned()
    }
}

pub(super) fn locate(
    locked: &Locked,
    project: &Path,
    fetched: Option<&Path>,
) -> Result<Package, String> {
    let base = locked.lockfile.parent().unwrap_or(project);
    let mut candidates = Vec::new();
    if let Some(at) = &locked.location {
        candidates.push(base.join(at));
    }
    candidates.push(base.join("node_modules").join(&locked.name));
    let store = format!("{}@{}", locked.name.replace('/', "+"), locked.version);
    candidates.push(
        base.join("node_modules/.pnpm")
            .join(&store)
            .join("node_modules")
            .join(&locked.name),
    );
    if let Some(fetched) = fetched {
        candidates.push(
            fetched
                .join("npm")
                .join(&store)
                .join("node_modules")
                .join(&locked.name),
        );
    }
    for dir in candidates {
        // Links are not followed: pnpm's store is read at its real path.
        if std::fs::symlink_metadata(&dir).is_ok_and(|m| m.file_type().is_symlink()) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(dir.join("package.json")) else {
            continue;
        };
        let Ok(manifest) = serde_json::from_str::<Value>(&text) else {
            return Err(format!("{}/package.json is not valid JSON", dir.display()));
        };
        if manifest.get("version").and_then(Value::as_str) != Some(locked.version.as_str()) {
            continue;
        }
        let repository = match manifest.get("repository") {
            Some(Value::String(url)) => Some(expand_shorthand(url)),
            Some(Value::Object(r)) => r.get("url").and_then(Value::as_str).map(expand_shorthand),
            _ => None,
        };
        let mut aliases = aliases(Ecosystem::Npm, &locked.name);
        if let Some(bare) = locked.name.strip_prefix("@types/") {
            aliases.push(format!("{bare} types"));
        }
        return Ok(Package {
            id: library_id(Ecosystem::Npm, &locked.name, repository.as_deref()),
            title: locked.name.clone(),
            description: manifest
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            aliases,
            locked: locked.clone(),
            root: dir,
            folders: Vec::new(),
            readme: None,
        });
    }
    Err("not in node_modules".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pnpm_lockfiles_of_versions_6_and_9_are_read() {
        let tmp = tempfile::tempdir().unwrap();
        let v9 = "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      is-number:\n\
                  \x20       specifier: 7.0.0\n        version: 7.0.0\n\npackages:\n\n  is-number@7.0.0:\n\
                  \x20   resolution: {integrity: sha512-x}\n\n  '@types/node@22.1.0':\n\
                  \x20   resolution: {integrity: sha512-y}\n\n  react-dom@18.3.1(react@18.3.1):\n\
                  \x20   resolution: {integrity: sha512-z}\n";
        std::fs::write(tmp.path().join("pnpm-lock.yaml"), v9).unwrap();
        let (mut out, mut problems) = (Vec::new(), Vec::new());
        read(tmp.path(), &mut out, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        let got: Vec<(&str, &str, bool)> = out
            .iter()
            .map(|l| (l.name.as_str(), l.version.as_str(), l.direct))
            .collect();
        assert_eq!(
            got,
            [
                ("is-number", "7.0.0", true),
                ("@types/node", "22.1.0", false),
                ("react-dom", "18.3.1", false)
            ]
        );
        let v6 = "lockfileVersion: '6.0'\ndependencies:\n  is-number:\n    specifier: 7.0.0\n\
                  \x20   version: 7.0.0\npackages:\n  /is-number@7.0.0:\n    resolution: {integrity: sha512-x}\n";
        std::fs::write(tmp.path().join("pnpm-lock.yaml"), v6).unwrap();
        let (mut out, mut problems) = (Vec::new(), Vec::new());
        read(tmp.path(), &mut out, &mut problems);
        assert_eq!((out[0].name.as_str(), out[0].direct), ("is-number", true));
        std::fs::write(tmp.path().join("pnpm-lock.yaml"), "packages: [unclosed").unwrap();
        let (mut out, mut problems) = (Vec::new(), Vec::new());
        read(tmp.path(), &mut out, &mut problems);
        assert!(out.is_empty() && problems[0].file.ends_with("pnpm-lock.yaml"));
    }

    #[test]
    fn yarn_lockfiles_classic_and_berry_are_read() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(
            tmp.path().join("package.json"),
            r#"{"dependencies": {"is-number": "^7.0.0"}}"#,
        )
        .unwrap();
        let classic = "# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n\n\n\
                       is-number@^7.0.0:\n  version \"7.0.0\"\n  resolved \"https://registry.yarnpkg.com/is-number/-/is-number-7.0.0.tgz#7535345b896734d5f80c4d06c50955527a14f12b\"\n\
                       \x20 integrity sha512-41Cifkg6e8TylSpdtTpeLVMqvSBEVzTttHvERD741+pnZ8ANv0004MRL43QKPDlK9cGvNp6NZWZUBlbGXYxxng==\n";
        std::fs::write(tmp.path().join("yarn.lock"), classic).unwrap();
        let (mut out, mut problems) = (Vec::new(), Vec::new());
        read(tmp.path(), &mut out, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            (out[0].name.as_str(), out[0].version.as_str(), out[0].direct),
            ("is-number", "7.0.0", true)
        );
        let berry = "# This file is generated by running \"yarn install\" inside your project.\n\
                     # Manual changes might be lost - proceed with caution!\n\n__metadata:\n  version: 8\n  cacheKey: 10c0\n\n\
                     \"is-number@npm:^7.0.0\":\n  version: 7.0.0\n  resolution: \"is-number@npm:7.0.0\"\n\
                     \x20 checksum: 10c0/abc\n  languageName: node\n  linkType: hard\n\n\
                     \"web@workspace:.\":\n  version: 0.0.0-use.local\n  resolution: \"web@workspace:.\"\n\
                     \x20 languageName: unknown\n  linkType: soft\n";
        std::fs::write(tmp.path().join("yarn.lock"), berry).unwrap();
        let (mut out, mut problems) = (Vec::new(), Vec::new());
        read(tmp.path(), &mut out, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        let got: Vec<(&str, &str)> = out
            .iter()
            .map(|l| (l.name.as_str(), l.version.as_str()))
            .collect();
        assert_eq!(got, [("is-number", "7.0.0")]);
        std::fs::write(tmp.path().join("yarn.lock"), "is-number@^7.0.0:\n  version").unwrap();
        let (mut out, mut problems) = (Vec::new(), Vec::new());
        read(tmp.path(), &mut out, &mut problems);
        assert!(
            out.is_empty() && problems[0].file.ends_with("yarn.lock"),
            "{problems:?}"
        );
    }
}
