//! Git sources through the real binary: repositories built in temp dirs and
//! cloned over `file://` (no network), branches, tags, versions side by
//! side, refetching, and reading commits rather than the working tree.

mod common;

use std::path::Path;

use common::{twinmcp, twinmcp_ok};
use git2::Repository;
use serde_json::Value;

/// Writes `files` into the work tree of `repo` and commits them on HEAD.
fn commit(repo: &Repository, files: &[(&str, &str)], message: &str) -> git2::Oid {
    let root = repo.workdir().unwrap();
    for (path, text) in files {
        let full = root.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.write().unwrap();
    common::commit_index(repo, &mut index, message)
}

fn tag(repo: &Repository, name: &str) {
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    repo.tag_lightweight(name, head.as_object(), false).unwrap();
}

/// A repository whose `main` went through three releases of its docs, with
/// a `next` branch ahead of it.
fn releases(dir: &Path) -> Repository {
    let repo = Repository::init(dir).unwrap();
    repo.set_head("refs/heads/main").unwrap();
    let guide = |how: &str| {
        format!("# Pumps\n\n## Priming\n\nTo prime the pump, {how}. Priming takes a minute.\n")
    };
    commit(
        &repo,
        &[
            (
                "README.md",
                "# Pumpkit\n\nPumpkit drives water pumps from a tiny controller.\n",
            ),
            ("docs/pumps.md", &guide("turn the brass valve twice")),
        ],
        "v0.9",
    );
    tag(&repo, "v0.9.0");
    commit(
        &repo,
        &[("docs/pumps.md", &guide("press the blue primer button"))],
        "v1",
    );
    tag(&repo, "v1.0.0");
    commit(
        &repo,
        &[(
            "docs/pumps.md",
            &guide("call pump.prime() from the controller"),
        )],
        "v2",
    );
    tag(&repo, "v2.0.0");
    {
        let main = repo.head().unwrap().peel_to_commit().unwrap();
        repo.branch("next", &main, false).unwrap();
    }
    repo.set_head("refs/heads/next").unwrap();
    commit(
        &repo,
        &[(
            "docs/pumps.md",
            &guide("say the word prime to the voice assistant"),
        )],
        "next",
    );
    repo.set_head("refs/heads/main").unwrap();
    repo.checkout_head(Some(git2::build::CheckoutBuilder::new().force()))
        .unwrap();
    repo
}

fn top_text(data: &Path, id: &str, query: &str) -> String {
    let answer: Value = serde_json::from_str(&twinmcp_ok(
        data,
        &["search", id, query, "--mode", "bm25", "--json"],
    ))
    .unwrap();
    assert!(
        !answer["results"][0].is_null(),
        "{id}: no results for {query}"
    );
    // The JSON holds no text; the text form does.
    twinmcp_ok(
        data,
        &["search", id, query, "--mode", "bm25", "--tokens", "500"],
    )
}

#[test]
fn clone_over_file_url_index_branches_tags_and_versions() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = tmp.path().join("origin");
    let data = tmp.path().join("data");
    releases(&origin);
    let url = format!("file://{}", origin.display());

    // The default branch, then `--ref` a branch; the catalog records the commit.
    let out = twinmcp_ok(
        &data,
        &["index", &url, "--id", "/acme/pumpkit", "--no-vectors"],
    );
    assert!(out.contains("indexed /acme/pumpkit (main @ "), "{out}");
    assert!(top_text(&data, "/acme/pumpkit", "prime the pump").contains("pump.prime()"));
    let list: Value = serde_json::from_str(&twinmcp_ok(&data, &["list", "--json"])).unwrap();
    let main = Repository::open(&origin)
        .unwrap()
        .revparse_single("main")
        .unwrap()
        .id()
        .to_string();
    assert_eq!(list[0]["versions"][0]["commit"], main);
    assert_eq!(list[0]["source"], url.as_str());
    assert!(
        data.join("repos").read_dir().unwrap().count() == 1,
        "one cached clone"
    );

    twinmcp_ok(
        &data,
        &[
            "index",
            &url,
            "--id",
            "/acme/pumpkit",
            "--ref",
            "next",
            "--no-vectors",
        ],
    );
    assert!(top_text(&data, "/acme/pumpkit", "prime the pump").contains("voice assistant"));

    // Versions side by side, answering differently; the plain id is the branch.
    let out = twinmcp_ok(
        &data,
        &[
            "index",
            &url,
            "--id",
            "/acme/pumpkit",
            "--versions",
            "v0.9.0,v1.0.0",
            "--no-vectors",
        ],
    );
    assert!(out.contains("indexed /acme/pumpkit/v1.0.0"), "{out}");
    assert!(top_text(&data, "/acme/pumpkit/v0.9.0", "prime the pump").contains("brass valve"));
    assert!(top_text(&data, "/acme/pumpkit/v1.0.0", "prime the pump").contains("blue primer"));
    assert!(top_text(&data, "/acme/pumpkit", "prime the pump").contains("pump.prime()"));
    let unknown = twinmcp(&data, &["search", "/acme/pumpkit/v7", "prime"]);
    let err = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        err.contains("v0.9.0") && err.contains("v1.0.0") && err.contains("latest"),
        "an unknown version lists the known ones: {err}"
    );

    // A semver rule picks tags; an unknown ref names the real ones.
    let out = twinmcp_ok(
        &data,
        &[
            "index",
            &url,
            "--id",
            "/acme/pumpkit",
            "--versions",
            "semver:>=1.0",
            "--no-vectors",
        ],
    );
    assert!(
        out.contains("/acme/pumpkit/v1.0.0") && out.contains("/acme/pumpkit/v2.0.0"),
        "{out}"
    );
    assert!(!out.contains("/acme/pumpkit/v0.9.0 "), "{out}");
    let bad = twinmcp(&data, &["index", &url, "--ref", "nope", "--no-vectors"]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("`nope` is not a branch, tag or commit"),
        "{err}"
    );
    assert!(
        err.contains("main, next") && err.contains("v2.0.0"),
        "{err}"
    );
}

#[test]
fn a_new_commit_upstream_is_fetched_on_the_next_index() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = tmp.path().join("origin");
    let data = tmp.path().join("data");
    let repo = releases(&origin);
    let url = format!("file://{}", origin.display());
    twinmcp_ok(
        &data,
        &["index", &url, "--id", "/acme/pumpkit", "--no-vectors"],
    );
    commit(
        &repo,
        &[(
            "docs/flow.md",
            "# Flow\n\nThe flow sensor reports litres per minute.\n",
        )],
        "flow",
    );
    let out = twinmcp_ok(
        &data,
        &["index", &url, "--id", "/acme/pumpkit", "--no-vectors"],
    );
    assert!(
        out.contains("3 files (2 unchanged, 1 parsed), 3 chunks"),
        "only the new file is parsed: {out}"
    );
    assert!(top_text(&data, "/acme/pumpkit", "flow sensor litres").contains("litres per minute"));
    // The reused chunks answer exactly as freshly parsed ones.
    assert!(top_text(&data, "/acme/pumpkit", "prime the pump").contains("pump.prime()"));
}

#[test]
fn a_local_repository_is_read_at_its_commit_unless_worktree() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("pumpkit");
    let data = tmp.path().join("data");
    releases(&dir);
    std::fs::write(
        dir.join("docs/draft.md"),
        "# Draft\n\nThe turbine mode is not released yet.\n",
    )
    .unwrap();
    let path = dir.to_str().unwrap();
    let out = twinmcp_ok(&data, &["index", path, "--no-vectors"]);
    assert!(out.contains("indexed /local/pumpkit (main @ "), "{out}");
    assert!(out.contains("2 files"), "uncommitted draft left out: {out}");
    let out = twinmcp_ok(&data, &["index", path, "--worktree", "--no-vectors"]);
    assert!(out.contains("3 files"), "{out}");
    assert!(top_text(&data, "/local/pumpkit", "turbine mode").contains("not released"));
    let folder = twinmcp(&data, &["index", path, "--worktree", "--ref", "next"]);
    assert!(!folder.status.success());
    assert!(String::from_utf8_lossy(&folder.stderr).contains("need a git repository"));
}

#[test]
fn update_picks_up_new_commits_and_tags_and_is_idle_otherwise() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = tmp.path().join("origin");
    let data = tmp.path().join("data");
    let repo = releases(&origin);
    let url = format!("file://{}", origin.display());
    twinmcp_ok(
        &data,
        &[
            "index",
            &url,
            "--id",
            "/acme/pumpkit",
            "--versions",
            "semver:>=1.0",
        ],
    );
    let out = twinmcp_ok(&data, &["update"]);
    assert_eq!(out.trim(), "/acme/pumpkit: up to date (3 versions checked)");

    commit(
        &repo,
        &[(
            "docs/pumps.md",
            "# Pumps\n\n## Priming\n\nPumps prime themselves since 3.0.\n",
        )],
        "v3",
    );
    tag(&repo, "v3.0.0");
    let out = twinmcp_ok(&data, &["update", "/acme/pumpkit"]);
    assert!(
        out.contains("/acme/pumpkit: updated latest @ ") && out.contains("v3.0.0 @ "),
        "{out}"
    );
    assert!(out.contains("(2 unchanged)"), "{out}");
    assert!(top_text(&data, "/acme/pumpkit/v3.0.0", "prime").contains("prime themselves"));
    assert!(top_text(&data, "/acme/pumpkit/v1.0.0", "prime").contains("blue primer"));
    let out = twinmcp_ok(&data, &["update"]);
    assert!(out.contains("up to date (4 versions checked)"), "{out}");
    let bad = twinmcp(&data, &["update", "/nobody/nothing"]);
    assert!(!bad.status.success());
}

#[test]
fn sync_makes_the_data_dir_match_the_manifest_and_is_idle_when_nothing_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    releases(&tmp.path().join("origin"));
    releases(&tmp.path().join("local"));
    let manifest = tmp.path().join("twinmcp.toml");
    let origin = format!("file://{}", tmp.path().join("origin").display());
    std::fs::write(
        &manifest,
        format!(
            "[[library]]\nid = \"/acme/pumpkit\"\nsource = \"{origin}\"\nversions = \"v1.0.0\"\n\n\
             [[library]]\nid = \"/acme/local\"\nsource = \"local\"\nref = \"next\"\n"
        ),
    )
    .unwrap();
    let manifest = manifest.to_str().unwrap();
    twinmcp_ok(
        &data,
        &["index", &origin, "--id", "/acme/stale", "--no-vectors"],
    );

    let out = twinmcp_ok(&data, &["sync", manifest]);
    assert!(
        out.contains("/acme/stale: removed (not in the manifest)"),
        "{out}"
    );
    assert!(
        out.contains("/acme/pumpkit: indexed latest, v1.0.0"),
        "{out}"
    );
    assert!(out.contains("/acme/local: indexed latest"), "{out}");
    assert!(top_text(&data, "/acme/local", "prime the pump").contains("voice assistant"));
    assert!(top_text(&data, "/acme/pumpkit/v1.0.0", "prime").contains("blue primer"));

    let again = twinmcp_ok(&data, &["sync", manifest]);
    assert_eq!(
        again.trim(),
        "/acme/pumpkit: up to date\n/acme/local: up to date",
        "a second run does no work"
    );
    let list: Value = serde_json::from_str(&twinmcp_ok(&data, &["list", "--json"])).unwrap();
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["/acme/local", "/acme/pumpkit"]);

    std::fs::write(tmp.path().join("bad.toml"), "[[library]]\nid = \"x\"\n").unwrap();
    let bad = twinmcp(
        &data,
        &["sync", tmp.path().join("bad.toml").to_str().unwrap()],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("missing field `source`"));
}

/// The options of `index` are stored with the library: `update` and `sync`
/// rebuild with them, and flags given again replace only themselves.
#[test]
fn rebuilds_keep_the_options_a_library_was_indexed_with() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = tmp.path().join("origin");
    let data = tmp.path().join("data");
    let repo = releases(&origin);
    commit(
        &repo,
        &[(
            "tests/pumps.md",
            "# Pump tests\n\nThe flux capacitor test primes the pump backwards.\n",
        )],
        "tests",
    );
    let url = format!("file://{}", origin.display());
    twinmcp_ok(
        &data,
        &[
            "index",
            &url,
            "--id",
            "/acme/pumpkit",
            "--no-vectors",
            "--include-tests",
            "--title",
            "Pump Kit",
            "--max-file-size",
            "100000",
        ],
    );
    let library = |data: &Path| -> Value {
        let list: Value = serde_json::from_str(&twinmcp_ok(data, &["list", "--json"])).unwrap();
        list[0].clone()
    };
    let check_kept = |lib: &Value| {
        assert_eq!(lib["title"], "Pump Kit", "{lib}");
        assert_eq!(lib["options"]["no_vectors"], true, "{lib}");
        assert_eq!(lib["options"]["max_file_size"], 100000, "{lib}");
        assert!(lib["versions"][0]["model"].is_null(), "no vectors: {lib}");
    };

    commit(
        &repo,
        &[(
            "docs/pumps.md",
            "# Pumps\n\n## Priming\n\nPumps prime themselves since 3.0.\n",
        )],
        "v3",
    );
    let out = twinmcp_ok(&data, &["update"]);
    assert!(out.contains("/acme/pumpkit: updated latest @ "), "{out}");
    let lib = library(&data);
    check_kept(&lib);
    assert_eq!(lib["options"]["include_tests"], true, "{lib}");
    assert!(
        top_text(&data, "/acme/pumpkit", "flux capacitor").contains("primes the pump backwards")
    );
    assert!(top_text(&data, "/acme/pumpkit", "prime").contains("prime themselves"));

    // A flag given again is stored; the others stay.
    twinmcp_ok(
        &data,
        &["index", &url, "--id", "/acme/pumpkit", "--exclude-tests"],
    );
    let lib = library(&data);
    check_kept(&lib);
    assert_eq!(lib["options"]["include_tests"], false, "{lib}");
    let answer = twinmcp_ok(
        &data,
        &[
            "search",
            "/acme/pumpkit",
            "flux capacitor",
            "--mode",
            "bm25",
        ],
    );
    assert!(!answer.contains("primes the pump backwards"), "{answer}");

    // `sync` keeps what the manifest does not say.
    let manifest = tmp.path().join("twinmcp.toml");
    std::fs::write(
        &manifest,
        format!("[[library]]\nid = \"/acme/pumpkit\"\nsource = \"{url}\"\n"),
    )
    .unwrap();
    commit(
        &repo,
        &[("docs/more.md", "# More\n\nMore pumps.\n")],
        "more",
    );
    let out = twinmcp_ok(&data, &["sync", manifest.to_str().unwrap()]);
    assert!(out.contains("/acme/pumpkit: updated latest"), "{out}");
    check_kept(&library(&data));

    // `--json` reports events and results as JSON lines.
    commit(
        &repo,
        &[("docs/last.md", "# Last\n\nThe last pump.\n")],
        "last",
    );
    let out = twinmcp_ok(&data, &["update", "--json"]);
    let events: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let built = events.iter().find(|e| e["event"] == "built").unwrap();
    assert_eq!(built["library"], "/acme/pumpkit");
    assert!(built["files"].as_i64().unwrap() >= 3, "{built}");
    let updated = events.last().unwrap();
    assert_eq!(updated["event"], "updated");
    assert_eq!(updated["state"], "done");
}

/// A catalog from before options were stored: its libraries get the
/// defaults plus their `--versions` rule, said once on stderr.
#[test]
fn an_older_catalog_gets_default_options_reported_once() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = tmp.path().join("origin");
    let data = tmp.path().join("data");
    releases(&origin);
    let url = format!("file://{}", origin.display());
    twinmcp_ok(
        &data,
        &[
            "index",
            &url,
            "--id",
            "/acme/pumpkit",
            "--no-vectors",
            "--versions",
            "v1.0.0",
        ],
    );
    {
        let conn = rusqlite::Connection::open(data.join("catalog.sqlite")).unwrap();
        conn.execute("UPDATE libraries SET options = NULL", [])
            .unwrap();
    }
    let first = twinmcp(&data, &["list", "--json"]);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(
        stderr.contains("/acme/pumpkit") && stderr.contains("did not store its index options"),
        "{stderr}"
    );
    let list: Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(list[0]["options"]["version_rule"], "v1.0.0");
    assert_eq!(
        list[0]["options"]["no_vectors"], false,
        "unknown: the default"
    );
    let second = twinmcp(&data, &["list", "--json"]);
    assert!(
        !String::from_utf8_lossy(&second.stderr).contains("index options"),
        "reported once"
    );
}
