//! `twinmcp deps` on real projects built in temp dirs: a Cargo project whose
//! locked crates are those TwinMCP itself builds with (so they are in this
//! machine's cargo registry), an npm project installed with `npm install`,
//! and a Python virtualenv made with `venv` and `pip install`. IDs and
//! versions, the idle second run, a version bump, and bad input.

mod common;

use std::path::Path;
use std::process::Command;

use common::{twinmcp, twinmcp_ok};
use serde_json::Value;

/// The versions TwinMCP's own lockfile pins for `name`, oldest first.
fn own_locked(name: &str) -> Vec<String> {
    let lock = cargo_lock::Lockfile::load(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock"))
        .expect("TwinMCP's Cargo.lock");
    let mut versions: Vec<semver::Version> = lock
        .packages
        .iter()
        .filter(|p| p.name.as_str() == name)
        .map(|p| semver::Version::parse(&p.version.to_string()).unwrap())
        .collect();
    versions.sort();
    versions.iter().map(|v| v.to_string()).collect()
}

fn registry_entry(name: &str, version: &str) -> String {
    format!(
        "[[package]]\nname = \"{name}\"\nversion = \"{version}\"\n\
         source = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n"
    )
}

/// A Cargo project depending on `getrandom = "<req>"` and `semver`, locked
/// at TwinMCP's versions, plus a crate that is on no machine.
fn cargo_project(dir: &Path, getrandom_req: &str, getrandom: &str) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/lib.rs"), "").unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
             [dependencies]\ngetrandom = \"{getrandom_req}\"\nsemver = \"1\"\nnosuchcrate = \"9\"\n"
        ),
    )
    .unwrap();
    let semver = own_locked("semver").pop().unwrap();
    let lock = format!(
        "version = 4\n\n[[package]]\nname = \"demo\"\nversion = \"0.1.0\"\n\n{}{}{}",
        registry_entry("getrandom", getrandom),
        registry_entry("nosuchcrate", "9.9.9"),
        registry_entry("semver", &semver),
    );
    std::fs::write(dir.join("Cargo.lock"), lock).unwrap();
}

fn events(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn dependency<'a>(events: &'a [Value], name: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["event"] == "dependency" && e["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {events:?}"))
}

#[test]
fn cargo_dependencies_are_indexed_at_their_locked_versions() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("demo");
    let data = tmp.path().join("data");
    let getrandom = own_locked("getrandom");
    assert!(
        getrandom.len() >= 2,
        "TwinMCP locks two getrandom versions: {getrandom:?}"
    );
    let (old, new) = (
        &getrandom[getrandom.len() - 2],
        &getrandom[getrandom.len() - 1],
    );
    let req = |v: &str| v.rsplit_once('.').unwrap().0.to_owned();
    cargo_project(&project, &req(old), old);
    // A broken lockfile of another ecosystem is reported and the rest goes on.
    std::fs::write(project.join("package-lock.json"), "{ not json").unwrap();
    let dir = project.to_str().unwrap();

    let dry = events(&twinmcp_ok(&data, &["deps", dir, "--dry-run", "--json"]));
    assert_eq!(dependency(&dry, "getrandom")["state"], "would index");
    let out = twinmcp(&data, &["deps", dir, "--no-vectors", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first = events(&String::from_utf8(out.stdout).unwrap());
    let lock_error = first
        .iter()
        .find(|e| e["event"] == "lockfile_error")
        .unwrap();
    assert!(
        lock_error["file"]
            .as_str()
            .unwrap()
            .ends_with("package-lock.json"),
        "{lock_error}"
    );
    let g = dependency(&first, "getrandom");
    assert_eq!(g["state"], "indexed", "{g}");
    assert_eq!(g["library"], format!("/rust-random/getrandom/{old}"));
    assert_eq!(
        dependency(&first, "semver")["library"]
            .as_str()
            .unwrap()
            .rsplit_once('/')
            .unwrap()
            .0,
        "/dtolnay/semver"
    );
    let missing = dependency(&first, "nosuchcrate");
    assert_eq!(missing["state"], "missing");
    assert!(
        missing["message"]
            .as_str()
            .unwrap()
            .contains("nosuchcrate 9.9.9: not on this machine")
            && missing["message"].as_str().unwrap().contains("cargo fetch"),
        "{missing}"
    );
    let done = first.last().unwrap();
    assert_eq!(
        (done["indexed"].as_i64(), done["missing"].as_i64()),
        (Some(2), Some(1))
    );

    // The crate's docs answer at that version; it resolves by its name.
    let answer = twinmcp_ok(
        &data,
        &[
            "search",
            &format!("/rust-random/getrandom/{old}"),
            "fill a buffer with random bytes",
            "--mode",
            "bm25",
        ],
    );
    assert!(answer.contains("Source: "), "{answer}");
    let list: Value = serde_json::from_str(&twinmcp_ok(&data, &["list", "--json"])).unwrap();
    let lib = list
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == "/rust-random/getrandom")
        .unwrap();
    assert_eq!(lib["versions"][0]["version"], old.as_str());

    // Nothing changed: nothing written.
    let again = events(&twinmcp_ok(&data, &["deps", dir, "--no-vectors", "--json"]));
    assert_eq!(dependency(&again, "getrandom")["state"], "up to date");
    assert_eq!(again.last().unwrap()["indexed"], 0);

    // A version bump indexes the new version beside the old one.
    cargo_project(&project, &req(new), new);
    let bumped = events(&twinmcp_ok(&data, &["deps", dir, "--no-vectors", "--json"]));
    assert_eq!(
        dependency(&bumped, "getrandom")["library"],
        format!("/rust-random/getrandom/{new}")
    );
    assert_eq!(dependency(&bumped, "getrandom")["state"], "indexed");
    assert_eq!(dependency(&bumped, "semver")["state"], "up to date");
    let list: Value = serde_json::from_str(&twinmcp_ok(&data, &["list", "--json"])).unwrap();
    let versions: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == "/rust-random/getrandom")
        .unwrap()["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert!(
        versions.contains(&old.as_str()) && versions.contains(&new.as_str()),
        "{versions:?}"
    );
}

/// Runs `program args` in `dir`; false (with the reason printed) when the
/// program is not on this machine.
fn run_in(dir: &Path, program: &str, args: &[&str]) -> bool {
    match Command::new(program).args(args).current_dir(dir).output() {
        Ok(out) => {
            assert!(
                out.status.success(),
                "{program} {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            true
        }
        Err(e) => {
            eprintln!("skipped: {program} is not available here: {e}");
            false
        }
    }
}

#[test]
fn npm_dependencies_come_from_node_modules() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("web");
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(
        project.join("package.json"),
        r#"{"name": "web", "version": "1.0.0", "private": true, "dependencies": {"is-number": "7.0.0"}}"#,
    )
    .unwrap();
    if !run_in(
        &project,
        "npm",
        &["install", "--no-audit", "--no-fund", "--loglevel=error"],
    ) {
        return;
    }
    assert!(project.join("package-lock.json").is_file());
    let out = events(&twinmcp_ok(
        &data,
        &["deps", project.to_str().unwrap(), "--no-vectors", "--json"],
    ));
    let dep = dependency(&out, "is-number");
    assert_eq!(dep["state"], "indexed", "{dep}");
    assert_eq!(dep["library"], "/jonschlinkert/is-number/7.0.0");
    let answer = twinmcp_ok(
        &data,
        &[
            "search",
            "/jonschlinkert/is-number/7.0.0",
            "check if a value is a number",
            "--mode",
            "bm25",
        ],
    );
    assert!(answer.to_lowercase().contains("number"), "{answer}");
}

#[test]
fn python_dependencies_come_from_the_virtualenv() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("app");
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(project.join("requirements.txt"), "six==1.16.0\n").unwrap();
    if !run_in(&project, "python3", &["-m", "venv", ".venv"]) {
        return;
    }
    assert!(run_in(
        &project,
        ".venv/bin/python",
        &[
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "six==1.16.0"
        ]
    ));
    let out = events(&twinmcp_ok(
        &data,
        &["deps", project.to_str().unwrap(), "--no-vectors", "--json"],
    ));
    let dep = dependency(&out, "six");
    assert_eq!(dep["state"], "indexed", "{dep}");
    assert_eq!(dep["library"], "/benjaminp/six/1.16.0");
    // The README from METADATA is indexed with the module's docstrings.
    let answer = twinmcp_ok(
        &data,
        &[
            "search",
            "/benjaminp/six/1.16.0",
            "Python 2 and 3 compatibility library",
            "--mode",
            "bm25",
        ],
    );
    assert!(answer.contains("compatibility"), "{answer}");
    // A re-created virtualenv is read again; an unchanged one is not.
    let again = events(&twinmcp_ok(
        &data,
        &["deps", project.to_str().unwrap(), "--no-vectors", "--json"],
    ));
    assert_eq!(dependency(&again, "six")["state"], "up to date");
}

/// `deps` follows the project: `update` reads its lockfiles again and
/// indexes what they now name; `--prune` removes the versions no followed
/// project uses any more.
#[test]
fn update_follows_projects_and_prunes_unused_versions() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("demo");
    let data = tmp.path().join("data");
    let getrandom = own_locked("getrandom");
    let (old, new) = (
        &getrandom[getrandom.len() - 2],
        &getrandom[getrandom.len() - 1],
    );
    let req = |v: &str| v.rsplit_once('.').unwrap().0.to_owned();
    cargo_project(&project, &req(old), old);
    twinmcp_ok(
        &data,
        &[
            "deps",
            project.to_str().unwrap(),
            "--no-vectors",
            "--only",
            "getrandom",
        ],
    );
    let idle = twinmcp_ok(&data, &["update"]);
    assert!(idle.contains("lockfiles unchanged"), "{idle}");

    cargo_project(&project, &req(new), new);
    let out = twinmcp_ok(&data, &["update"]);
    assert!(out.contains("1 indexed"), "{out}");
    let versions = |data: &Path| -> Vec<String> {
        let list: Value = serde_json::from_str(&twinmcp_ok(data, &["list", "--json"])).unwrap();
        list.as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == "/rust-random/getrandom")
            .map(|l| {
                l["versions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v["version"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut both = versions(&data);
    both.sort();
    assert_eq!(both.len(), 2, "{both:?}");
    let pruned = twinmcp_ok(&data, &["update", "--prune"]);
    assert!(
        pruned.contains(&format!("/rust-random/getrandom/{old}: removed")),
        "{pruned}"
    );
    assert_eq!(versions(&data), std::slice::from_ref(new));
}

/// A package on no disk is reported, and `--fetch` brings it with the
/// ecosystem's own client (here pip, into the data dir) and indexes it.
#[test]
fn fetch_brings_a_missing_package_with_its_own_client() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("app");
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(project.join("requirements.txt"), "six==1.16.0\n").unwrap();
    let dir = project.to_str().unwrap();
    let missing = events(&twinmcp_ok(&data, &["deps", dir, "--no-vectors", "--json"]));
    let six = dependency(&missing, "six");
    assert_eq!(six["state"], "missing");
    assert!(
        six["message"].as_str().unwrap().contains("--fetch"),
        "{six}"
    );
    let fetched = twinmcp(&data, &["deps", dir, "--no-vectors", "--json", "--fetch"]);
    if !fetched.status.success()
        && String::from_utf8_lossy(&fetched.stderr).contains("could not run")
    {
        eprintln!("skipped: python3 is not available here");
        return;
    }
    let out = events(&String::from_utf8(fetched.stdout).unwrap());
    let six = dependency(&out, "six");
    assert_eq!(six["state"], "indexed", "{six}");
    assert_eq!(six["library"], "/benjaminp/six/1.16.0");
    assert!(
        six["path"]
            .as_str()
            .unwrap()
            .starts_with(data.join("packages").to_str().unwrap()),
        "{six}"
    );
    // Found there from now on, without fetching again.
    let again = events(&twinmcp_ok(&data, &["deps", dir, "--no-vectors", "--json"]));
    assert_eq!(dependency(&again, "six")["state"], "up to date");
}
