//! Helpers shared by the integration tests: the built binary, the model,
//! and git repositories made in temp dirs.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `twinmcp` binary cargo built for these tests.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_twinmcp"))
}

/// The embedding model directory; `.ci/test` installs it and sets `TWINMCP_MODEL`.
pub fn model_dir() -> PathBuf {
    let dir = std::env::var_os("TWINMCP_MODEL").map(PathBuf::from).expect(
        "TWINMCP_MODEL must name the installed model: run the tests with `bash .ci/test`, \
         or `twinmcp model fetch` and export TWINMCP_MODEL=<data-dir>/models/all-minilm-l6-v2",
    );
    assert!(
        dir.join("model.safetensors").exists(),
        "no model at {}",
        dir.display()
    );
    dir
}

/// Runs `twinmcp --data-dir <data> <args>` with the model.
pub fn twinmcp(data: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("TWINMCP_MODEL", model_dir())
        .env_remove("TWINMCP_DATA_DIR")
        .output()
        .expect("twinmcp runs")
}

/// Like [`twinmcp`] but fails the test unless the command succeeds; returns stdout.
pub fn twinmcp_ok(data: &Path, args: &[&str]) -> String {
    let out = twinmcp(data, args);
    assert!(
        out.status.success(),
        "twinmcp {args:?} failed:\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

pub fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lanternfish")
}

pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A git repository at `dir` holding a copy of `source`, committed, with an
/// `origin` remote of `remote`.
pub fn git_repo(source: &Path, dir: &Path, remote: &str) {
    copy_tree(source, dir);
    let repo = git2::Repository::init(dir).unwrap();
    repo.remote("origin", remote).unwrap();
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("Test", "test@example.com").unwrap();
    repo.commit(Some("HEAD"), &sig, &sig, "docs", &tree, &[])
        .unwrap();
}

/// Like [`twinmcp`] with extra environment variables.
pub fn twinmcp_env(data: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(bin());
    command
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("TWINMCP_MODEL", model_dir())
        .env_remove("TWINMCP_DATA_DIR");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("twinmcp runs")
}

/// Commits `index` on HEAD of `repo` (on top of HEAD's commit, if any).
pub fn commit_index(repo: &git2::Repository, index: &mut git2::Index, message: &str) -> git2::Oid {
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("Test", "test@example.com").unwrap();
    let parents: Vec<git2::Commit> = repo
        .head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .into_iter()
        .collect();
    let parents: Vec<&git2::Commit> = parents.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
        .unwrap()
}
