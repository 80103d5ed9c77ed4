//! Go: `go.mod` (`require` lines; `// indirect` ones are transitive), its
//! modules found in the module cache as `MODULE@VERSION` with Go's case
//! encoding (`!` before a lowercased capital).

use std::path::Path;

use super::{Ecosystem, LockProblem, Locked, Package, Places, aliases, library_id};

pub(super) fn read(dir: &Path, out: &mut Vec<Locked>, problems: &mut Vec<LockProblem>) {
    let path = dir.join("go.mod");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return;
    };
    let mut in_block = false;
    for (n, raw) in text.lines().enumerate() {
        let (line, comment) = match raw.split_once("//") {
            Some((l, c)) => (l.trim(), c.trim()),
            None => (raw.trim(), ""),
        };
        let spec = if in_block {
            if line == ")" {
                in_block = false;
                continue;
            }
            line
        } else if line == "require (" || line == "require(" {
            in_block = true;
            continue;
        } else if let Some(rest) = line.strip_prefix("require ") {
            rest.trim()
        } else {
            continue;
        };
        if spec.is_empty() {
            continue;
        }
        let mut parts = spec.split_whitespace();
        match (parts.next(), parts.next()) {
            (Some(module), Some(version)) if version.starts_with('v') => out.push(Locked {
                ecosystem: Ecosystem::Go,
                name: module.trim_matches('"').to_owned(),
                version: version.to_owned(),
                direct: comment != "indirect",
                lockfile: path.clone(),
                location: None,
            }),
            _ => problems.push(LockProblem {
                file: path.clone(),
                message: format!("line {}: not a `module version` requirement: {raw}", n + 1),
            }),
        }
    }
}

/// Go's module cache encoding: `!` and the lowercase letter for a capital.
fn escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

pub(super) fn locate(locked: &Locked, places: &Places) -> Result<Package, String> {
    let Some(cache) = &places.go_mod_cache else {
        return Err("no Go module cache ($GOMODCACHE, $GOPATH/pkg/mod)".into());
    };
    let dir = cache.join(format!("{}@{}", escape(&locked.name), locked.version));
    if !dir.is_dir() {
        return Err(format!("not in the module cache {}", cache.display()));
    }
    // The module path is its repository on the forges Go knows.
    let repository = format!("https://{}", locked.name);
    Ok(Package {
        id: library_id(Ecosystem::Go, &locked.name, Some(&repository)),
        title: locked
            .name
            .rsplit('/')
            .next()
            .unwrap_or(&locked.name)
            .to_owned(),
        description: String::new(),
        aliases: aliases(Ecosystem::Go, &locked.name),
        locked: locked.clone(),
        root: dir,
        folders: Vec::new(),
        readme: None,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn module_paths_are_case_encoded() {
        assert_eq!(
            super::escape("github.com/BurntSushi/toml"),
            "github.com/!burnt!sushi/toml"
        );
    }
}
