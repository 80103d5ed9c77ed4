//! Python: `uv.lock`, `poetry.lock`, `Pipfile.lock` and `requirements*.txt`
//! (`==` pins), with `pyproject.toml` for which dependencies are direct;
//! packages found in the project's virtualenv as `NAME-VERSION.dist-info`,
//! whose `RECORD` lists the package's files and whose `METADATA` carries
//! its README.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::{
    Ecosystem, LockProblem, Locked, Package, Places, aliases, library_id, normalize_pypi, read_toml,
};

pub(super) fn read(dir: &Path, out: &mut Vec<Locked>, problems: &mut Vec<LockProblem>) {
    let direct = direct_names(dir, problems);
    let mut push = |name: &str, version: &str, file: &Path, always_direct: bool| {
        out.push(Locked {
            ecosystem: Ecosystem::PyPI,
            direct: always_direct || direct.contains(&normalize_pypi(name)),
            name: name.to_owned(),
            version: version.to_owned(),
            lockfile: file.to_owned(),
            location: None,
        });
    };
    for lock in ["uv.lock", "poetry.lock"] {
        let path = dir.join(lock);
        let Some(doc) = read_toml(&path, problems) else {
            continue;
        };
        for package in doc
            .get("package")
            .and_then(|p| p.as_array())
            .into_iter()
            .flatten()
        {
            let (Some(name), Some(version)) = (
                package.get("name").and_then(|v| v.as_str()),
                package.get("version").and_then(|v| v.as_str()),
            ) else {
                continue;
            };
            // uv lists the project itself (editable or virtual): not a dependency.
            let source = package.get("source").and_then(|s| s.as_table());
            if source.is_some_and(|s| s.contains_key("editable") || s.contains_key("virtual")) {
                continue;
            }
            push(name, version, &path, false);
        }
    }
    let pipfile = dir.join("Pipfile.lock");
    if let Ok(text) = std::fs::read_to_string(&pipfile) {
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(doc) => {
                for (group, is_direct) in [("default", true), ("develop", true)] {
                    for (name, entry) in doc
                        .get(group)
                        .and_then(|g| g.as_object())
                        .into_iter()
                        .flatten()
                    {
                        if let Some(version) = entry
                            .get("version")
                            .and_then(|v| v.as_str())
                            .and_then(|v| v.strip_prefix("=="))
                        {
                            push(name, version, &pipfile, is_direct && direct.is_empty());
                        }
                    }
                }
            }
            Err(e) => problems.push(LockProblem {
                file: pipfile,
                message: format!("not valid JSON: {e}"),
            }),
        }
    }
    let mut requirements: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("requirements") && n.ends_with(".txt"))
        })
        .collect();
    requirements.sort();
    for path in requirements {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        for line in text.lines() {
            if let Some((name, version)) = requirement_pin(line) {
                // A requirements file lists what the project asks for.
                push(&name, &version, &path, true);
            }
        }
    }
}

/// `name==1.2.3` (extras, markers, hashes and comments allowed).
fn requirement_pin(line: &str) -> Option<(String, String)> {
    let line = line.split('#').next()?.split(';').next()?.trim();
    if line.is_empty() || line.starts_with('-') {
        return None;
    }
    let (name, version) = line.split_once("==")?;
    let name = name.split('[').next()?.trim();
    let version = version.split_whitespace().next()?.trim_matches(',');
    let ok = |s: &str| !s.is_empty() && !s.contains(['*', '<', '>', '=', '!', '~']);
    (ok(name) && ok(version)).then(|| (name.to_owned(), version.to_owned()))
}

/// The names `pyproject.toml` asks for (PEP 621, dependency groups,
/// Poetry), normalised.
fn direct_names(dir: &Path, problems: &mut Vec<LockProblem>) -> HashSet<String> {
    let Some(doc) = read_toml(&dir.join("pyproject.toml"), problems) else {
        return HashSet::new();
    };
    let mut names = HashSet::new();
    let mut requirement = |spec: &str| {
        let name: String = spec
            .trim()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        if !name.is_empty() {
            names.insert(normalize_pypi(&name));
        }
    };
    let project = doc.get("project").and_then(|p| p.as_table());
    let strings = |v: Option<&toml::Value>| -> Vec<String> {
        v.and_then(|v| v.as_array())
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect()
    };
    for spec in strings(project.and_then(|p| p.get("dependencies"))) {
        requirement(&spec);
    }
    let groups = [
        project.and_then(|p| p.get("optional-dependencies")),
        doc.get("dependency-groups"),
    ];
    for table in groups.into_iter().flatten().filter_map(|t| t.as_table()) {
        for value in table.values() {
            for spec in strings(Some(value)) {
                requirement(&spec);
            }
        }
    }
    if let Some(poetry) = doc
        .get("tool")
        .and_then(|t| t.get("poetry"))
        .and_then(|p| p.as_table())
    {
        for key in ["dependencies", "dev-dependencies"] {
            for name in poetry
                .get(key)
                .and_then(|d| d.as_table())
                .into_iter()
                .flat_map(|d| d.keys())
            {
                if name != "python" {
                    requirement(name);
                }
            }
        }
    }
    names
}

/// The `site-packages` folders of the virtualenv the project uses.
fn site_packages(project: &Path, places: &Places) -> Vec<PathBuf> {
    let mut envs = Vec::new();
    envs.extend(places.python.clone());
    envs.push(project.join(".venv"));
    envs.push(project.join("venv"));
    let mut out = Vec::new();
    for env in envs {
        // `--python` may name the interpreter inside the environment.
        let env = if env.is_file() {
            env.parent()
                .and_then(Path::parent)
                .map(Path::to_owned)
                .unwrap_or(env)
        } else {
            env
        };
        for lib in ["lib", "lib64"] {
            let mut found: Vec<PathBuf> = std::fs::read_dir(env.join(lib))
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path().join("site-packages"))
                .filter(|p| p.is_dir())
                .collect();
            found.sort();
            out.extend(found);
        }
        out.push(env.join("Lib/site-packages"));
    }
    out.retain(|p| p.is_dir());
    out.dedup();
    out
}

pub(super) fn locate(locked: &Locked, project: &Path, places: &Places) -> Result<Package, String> {
    let wanted = normalize_pypi(&locked.name);
    let base = locked.lockfile.parent().unwrap_or(project);
    let mut sites = site_packages(base, places);
    if let Some(fetched) = &places.fetched {
        let dir = super::fetch::pypi_dir(fetched, locked);
        if dir.is_dir() {
            sites.push(dir);
        }
    }
    if sites.is_empty() {
        return Err("no virtualenv found (.venv, venv, $VIRTUAL_ENV or --python)".into());
    }
    for site in sites {
        for entry in std::fs::read_dir(&site).into_iter().flatten().flatten() {
            let file_name = entry.file_name().to_string_lossy().into_owned();
            let Some(stem) = file_name.strip_suffix(".dist-info") else {
                continue;
            };
            let Some((name, version)) = stem.rsplit_once('-') else {
                continue;
            };
            if normalize_pypi(name) != wanted || version != locked.version {
                continue;
            }
            return package_of(locked, &site, &entry.path());
        }
    }
    Err("not in the project's virtualenv".into())
}

/// A found distribution: its top-level folders from `RECORD`, its README
/// and metadata from `METADATA`.
fn package_of(locked: &Locked, site: &Path, dist_info: &Path) -> Result<Package, String> {
    let record = std::fs::read_to_string(dist_info.join("RECORD"))
        .map_err(|e| format!("{}/RECORD: {e}", dist_info.display()))?;
    let mut folders: Vec<String> = Vec::new();
    for line in record.lines() {
        let path = line.split(',').next().unwrap_or("").trim_matches('"');
        let first = path.split('/').next().unwrap_or("");
        if first.is_empty()
            || first == ".."
            || first.ends_with(".dist-info")
            || first.ends_with(".data")
            || first == "__pycache__"
        {
            continue;
        }
        let keep = path.contains('/') || first.ends_with(".py") || first.ends_with(".pyi");
        if keep && !folders.iter().any(|f| f == first) {
            folders.push(first.to_owned());
        }
    }
    folders.sort();
    let metadata = std::fs::read_to_string(dist_info.join("METADATA")).unwrap_or_default();
    let (headers, body) = match metadata.split_once("\n\n") {
        Some((h, b)) => (h, b.trim()),
        None => (metadata.as_str(), ""),
    };
    let header = |name: &str| -> Vec<String> {
        headers
            .lines()
            .filter_map(|l| l.split_once(':'))
            .filter(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    };
    // Project-URL: "Source, https://…"; a repository-like label first.
    let urls: Vec<(String, String)> = header("Project-URL")
        .into_iter()
        .filter_map(|v| {
            v.split_once(',')
                .map(|(k, u)| (k.trim().to_ascii_lowercase(), u.trim().to_owned()))
        })
        .collect();
    let repository = [
        "source",
        "repository",
        "source code",
        "code",
        "github",
        "homepage",
    ]
    .iter()
    .find_map(|label| {
        urls.iter()
            .find(|(k, _)| k == label)
            .map(|(_, u)| u.clone())
    })
    .or_else(|| header("Home-page").into_iter().next())
    .or_else(|| urls.first().map(|(_, u)| u.clone()));
    let content_type = header("Description-Content-Type")
        .into_iter()
        .next()
        .unwrap_or_default();
    let readme = (!body.is_empty()).then(|| {
        let name = if content_type.contains("rst") {
            "README.rst"
        } else {
            "README.md"
        };
        // At the root of `site-packages` the name could clash; keep it with the package.
        let folder = folders.first().cloned().unwrap_or_default();
        let path = if folder.is_empty() || folder.ends_with(".py") {
            name.to_owned()
        } else {
            format!("{folder}/{name}")
        };
        (path, body.to_owned())
    });
    let name = header("Name")
        .into_iter()
        .next()
        .unwrap_or(locked.name.clone());
    Ok(Package {
        id: library_id(Ecosystem::PyPI, &name, repository.as_deref()),
        title: name.clone(),
        description: header("Summary").into_iter().next().unwrap_or_default(),
        aliases: aliases(Ecosystem::PyPI, &name),
        locked: locked.clone(),
        root: site.to_owned(),
        folders,
        readme,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirement_pins_are_read() {
        assert_eq!(
            requirement_pin("Requests[socks]==2.32.3 ; python_version >= '3.8'  # http"),
            Some(("Requests".into(), "2.32.3".into()))
        );
        assert_eq!(
            requirement_pin("six==1.16.0 --hash=sha256:abc"),
            Some(("six".into(), "1.16.0".into()))
        );
        for loose in ["flask>=3", "-r other.txt", "# six==1", "numpy", "x==1.*"] {
            assert_eq!(requirement_pin(loose), None, "{loose}");
        }
    }
}
