//! Hostile repositories, built by helpers in temp dirs (no checked-in
//! blobs) and indexed through the real binary: each is indexed without a
//! crash, reports what it skipped and why, and never reads outside itself.

mod common;

use std::io::Write;
use std::path::Path;

use common::{commit_index, twinmcp, twinmcp_ok};
use git2::Repository;
use serde_json::Value;

fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// Commits the whole work tree of `repo` (symlinks as links).
fn commit_all(repo: &Repository) -> git2::Oid {
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.write().unwrap();
    commit_index(repo, &mut index, "docs")
}

/// The texts of the BM25 hits for `query` (section text and breadcrumbs).
fn found(data: &Path, id: &str, query: &str) -> String {
    let out = twinmcp_ok(data, &["search", id, query, "--mode", "bm25"]);
    out.to_lowercase()
}

/// A secret outside the repository, and links to it from inside.
fn plant_links(outside: &Path, repo: &Path) {
    write(
        outside,
        "secret.md",
        b"# Secret\n\nThe launch code is zebracorn-4471.\n",
    );
    std::os::unix::fs::symlink(outside.join("secret.md"), repo.join("docs/leak.md")).unwrap();
    std::os::unix::fs::symlink(outside, repo.join("docs/outside")).unwrap();
    std::os::unix::fs::symlink("../../outside/secret.md", repo.join("docs/relative.md")).unwrap();
    std::os::unix::fs::symlink(outside.join("secret.md"), repo.join("README.md")).unwrap();
    std::os::unix::fs::symlink(outside.join("secret.md"), repo.join("context7.json")).unwrap();
}

#[test]
fn symlinks_are_reported_and_never_followed_from_a_folder_or_a_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("outside");
    let repo_dir = tmp.path().join("repo");
    write(
        &repo_dir,
        "docs/guide.md",
        b"# Guide\n\n## Pumps\n\nPrime the pump with water.\n",
    );
    plant_links(&outside, &repo_dir);
    let data = tmp.path().join("data");

    let index_as = |id: &str| {
        let args = [
            "index",
            repo_dir.to_str().unwrap(),
            "--id",
            id,
            "--no-vectors",
        ];
        let report = twinmcp_ok(&data, &args);
        assert!(report.contains("symbolic link (not followed)"), "{report}");
    };
    // A plain folder, then the same tree as a git commit (links stored as links).
    index_as("/t/folder");
    commit_all(&Repository::init(&repo_dir).unwrap());
    index_as("/t/git");
    for id in ["/t/folder", "/t/git"] {
        assert!(found(data.as_path(), id, "prime the pump").contains("prime the pump"));
        assert!(
            !found(data.as_path(), id, "launch code zebracorn").contains("zebracorn"),
            "{id} read a file outside the repository"
        );
    }
    let list = twinmcp_ok(&data, &["list", "--json"]);
    assert!(!list.contains("zebracorn"), "{list}");
}

#[test]
fn a_hostile_tree_is_indexed_with_every_problem_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let repo_dir = tmp.path().join("repo");
    let r = &repo_dir;
    write(
        r,
        "README.md",
        b"# Hostile\n\nA repository made to break indexers.\n",
    );
    write(
        r,
        "context7.json",
        br#"{"folders": ["../../etc", "~/.ssh", "/docs", "docs"], "excludeFolders": ["../.."]}"#,
    );
    std::fs::create_dir_all(r.join("docs")).unwrap();
    // A 1 GB sparse file and a file of one 100 MB line.
    std::fs::File::create(r.join("docs/sparse.md"))
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let mut line = std::fs::File::create(r.join("docs/line.md")).unwrap();
    let block = "word ".repeat(20_000);
    for _ in 0..1_000 {
        line.write_all(block.as_bytes()).unwrap();
    }
    drop(line);
    // Deep nesting: 10k block quotes, 10k nested lists, 10k headings, and
    // 10k nested brackets in a code span.
    let mut deep = String::from("# Deep\n\n");
    deep.push_str(&"> ".repeat(10_000));
    deep.push_str("quoted deepquotemarker\n\n");
    deep.push_str(&"- ".repeat(10_000));
    deep.push_str("listed deeplistmarker\n\n");
    deep.push_str(&"[".repeat(10_000));
    deep.push_str("\n\n");
    write(r, "docs/deep.md", deep.as_bytes());
    let mut headings = String::new();
    for i in 0..10_000 {
        headings.push_str(&format!(
            "{} Heading {i}\n\ntext {i}\n\n",
            "#".repeat(1 + i % 6)
        ));
    }
    headings.push_str("## Last\n\nheadingsmarker at the end\n");
    write(r, "docs/headings.md", headings.as_bytes());
    let mut rst = String::new();
    for i in 0..10_000 {
        let mark = ["=", "-", "~", "^", "\"", "'", "`", "#", "*", "+"][i % 10];
        rst.push_str(&format!("Title {i}\n{}\n\nbody {i}\n\n", mark.repeat(12)));
    }
    write(r, "docs/deep.rst", rst.as_bytes());
    // Encodings: Latin-1 bytes, UTF-16 with and without a byte-order mark,
    // NULs sprinkled in Markdown, and a NUL-heavy "Markdown" file.
    write(
        r,
        "docs/latin1.md",
        b"# Caf\xe9\n\nlatinmarker na\xefve r\xe9sum\xe9\n",
    );
    let utf16: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain(
            "# Wide\n\nwidemarker text in UTF-16\n"
                .encode_utf16()
                .flat_map(|u| u.to_le_bytes()),
        )
        .collect();
    write(r, "docs/utf16.md", &utf16);
    let utf16be: Vec<u8> = "# Big\n\nbigendianmarker text\n"
        .encode_utf16()
        .flat_map(|u| u.to_be_bytes())
        .collect();
    write(r, "docs/utf16be.md", &utf16be);
    let mut nul = b"# Nul\n\nnulmarker survives stray bytes.\n".to_vec();
    nul.extend(b"More prose. ".repeat(200));
    nul.insert(12, 0);
    write(r, "docs/nul.md", &nul);
    write(r, "docs/blob.md", &[0u8; 4096]);

    let repo = Repository::init(r).unwrap();
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    // A submodule pointing nowhere.
    write(
        r,
        ".gitmodules",
        b"[submodule \"vendor/lib\"]\n\tpath = docs/vendor\n\turl = https://nowhere.invalid/lib.git\n",
    );
    index.add_path(Path::new(".gitmodules")).unwrap();
    let gitlink = git2::IndexEntry {
        ctime: git2::IndexTime::new(0, 0),
        mtime: git2::IndexTime::new(0, 0),
        dev: 0,
        ino: 0,
        mode: 0o160000,
        uid: 0,
        gid: 0,
        file_size: 0,
        id: git2::Oid::from_str("0123456789abcdef0123456789abcdef01234567").unwrap(),
        flags: 0,
        flags_extended: 0,
        path: b"docs/vendor".to_vec(),
    };
    index.add(&gitlink).unwrap();
    index.write().unwrap();
    commit_index(&repo, &mut index, "docs");
    // A tag that points to a blob, not a commit.
    let blob = repo.blob(b"not a commit").unwrap();
    repo.reference("refs/tags/v9.9.9", blob, false, "blob tag")
        .unwrap();

    let data = tmp.path().join("data");
    let out = twinmcp(
        &data,
        &[
            "index",
            r.to_str().unwrap(),
            "--id",
            "/t/hostile",
            "--no-vectors",
            "--versions",
            "v9.9.9",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for expected in [
        "over the size limit",
        "binary",
        "submodule (not fetched)",
        "points outside the repository",
        "version v9.9.9",
    ] {
        assert!(
            stdout.contains(expected) || stderr.contains(expected),
            "no `{expected}` in the report:\n{stdout}\n{stderr}"
        );
    }
    let data = data.as_path();
    for marker in [
        "deepquotemarker",
        "deeplistmarker",
        "headingsmarker",
        "latinmarker",
        "widemarker",
        "bigendianmarker",
        "nulmarker",
    ] {
        assert!(
            found(data, "/t/hostile", marker).contains(marker),
            "{marker} not indexed"
        );
    }
    assert!(found(data, "/t/hostile", "Title 9999 body").contains("body 9999"));
    let list: Value = serde_json::from_str(&twinmcp_ok(data, &["list", "--json"])).unwrap();
    assert_eq!(
        list[0]["versions"].as_array().unwrap().len(),
        1,
        "the blob tag is no version"
    );

    // The 100 MB line with the size limit raised: parsed and cut into
    // chunks, no crash.
    let out = twinmcp_ok(
        data,
        &[
            "index",
            r.to_str().unwrap(),
            "--id",
            "/t/long-line",
            "--no-vectors",
            "--max-file-size",
            "200000000",
        ],
    );
    assert!(out.contains("indexed /t/long-line"), "{out}");
}

#[test]
fn file_and_chunk_limits_leave_the_rest_out_and_say_so() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("many");
    write(&root, "README.md", b"# Many\n\nA library of many pages.\n");
    // 100,000 tiny files, and one source file that loses to prose.
    for i in 0..100_000 {
        write(
            &root,
            &format!("docs/{:03}/page{i}.md", i % 1000),
            format!("# Page {i}\n\npage{i} text\n").as_bytes(),
        );
    }
    write(
        &root,
        "src/lib.rs",
        b"/// Documented.\npub fn documented() {}\n",
    );
    let data = tmp.path().join("data");
    let out = twinmcp(
        &data,
        &[
            "index",
            root.to_str().unwrap(),
            "--id",
            "/t/many",
            "--no-vectors",
            "--max-files",
            "3000",
            "--max-chunks",
            "2500",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("97002 over the file limit"),
        "{stdout}\n{stderr}"
    );
    assert!(
        stderr.contains("over the chunk limit of 2500"),
        "{stdout}\n{stderr}"
    );
    let list: Value = serde_json::from_str(&twinmcp_ok(&data, &["list", "--json"])).unwrap();
    let version = &list[0]["versions"][0];
    assert_eq!(version["chunks"], 2500, "{version}");
    assert_eq!(version["files"], 2500, "{version}");
}

/// From a commit, the README, the library config and `include_str!`
/// targets are size-checked from the git object header, with the same
/// limits as on disk: oversized ones are left alone, the rest is indexed.
#[test]
fn oversized_git_blobs_are_refused_before_they_are_read() {
    let tmp = tempfile::tempdir().unwrap();
    let repo_dir = tmp.path().join("bloat");
    let data = tmp.path().join("data");
    let repo = Repository::init(&repo_dir).unwrap();
    let mut readme = String::from("# Bloated Title\n\nA README far over the limit.\n\n");
    readme.push_str(&"padding words ".repeat(200_000));
    write(&repo_dir, "README.md", readme.as_bytes());
    let mut config = String::from(r#"{"projectTitle": "Config Title", "description": ""#);
    config.push_str(&"x".repeat(1_100_000));
    config.push_str("\"}");
    write(&repo_dir, "twinmcp.json", config.as_bytes());
    let mut big = String::from("inlinedmarker ");
    big.push_str(&"y".repeat(300_000));
    write(&repo_dir, "src/big.txt", big.as_bytes());
    write(
        &repo_dir,
        "src/lib.rs",
        b"#![doc = include_str!(\"big.txt\")]\n\n/// Opens the valve.\npub fn open_valve() {}\n",
    );
    write(
        &repo_dir,
        "docs/guide.md",
        b"# Guide\n\nTurn the valve gently.\n",
    );
    commit_all(&repo);
    twinmcp_ok(
        &data,
        &[
            "index",
            repo_dir.to_str().unwrap(),
            "--id",
            "/acme/bloat",
            "--no-vectors",
        ],
    );
    let list: Value = serde_json::from_str(&twinmcp_ok(&data, &["list", "--json"])).unwrap();
    let title = list[0]["title"].as_str().unwrap();
    assert!(
        title != "Bloated Title" && title != "Config Title",
        "neither oversized file was read: {title}"
    );
    assert!(found(&data, "/acme/bloat", "open_valve").contains("opens the valve"));
    assert!(!found(&data, "/acme/bloat", "inlinedmarker").contains("inlinedmarker"));
    assert!(found(&data, "/acme/bloat", "valve gently").contains("turn the valve gently"));
}
