//! Snapshots through the real binary: export, import into an empty data
//! dir, same answers; byte-identical exports; and every kind of bad file
//! refused with the data dir left as it was.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};

use common::{fixture, git_repo, twinmcp, twinmcp_ok};
use serde_json::Value;

const ID: &str = "/lanternfish-org/lanternfish";

const QUERIES: &[&str] = &[
    "retry a failing job with exponential backoff",
    "cron schedule in a time zone",
    "enqueueJob",
];

/// A data dir with the fixture library indexed from a git repository.
fn indexed(tmp: &Path) -> PathBuf {
    let repo = tmp.join("repo");
    let data = tmp.join("data");
    git_repo(
        &fixture(),
        &repo,
        "https://git.example.com/lanternfish-org/lanternfish.git",
    );
    twinmcp_ok(&data, &["index", repo.to_str().unwrap()]);
    data
}

fn answers(data: &Path) -> Vec<String> {
    QUERIES
        .iter()
        .map(|q| twinmcp_ok(data, &["search", ID, q, "--json"]))
        .collect()
}

fn export(data: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec!["snapshot", "export", "-o", out.to_str().unwrap()];
    args.extend(extra);
    twinmcp_ok(data, &args);
}

#[test]
fn round_trip_gives_the_same_answers_and_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let data = indexed(tmp.path());
    let first = tmp.path().join("first.twinmcp");
    let second = tmp.path().join("second.twinmcp");
    export(&data, &first, &["--timestamp", "1700000000"]);
    let out = common::twinmcp_env(
        &data,
        &["snapshot", "export", "-o", second.to_str().unwrap()],
        &[("SOURCE_DATE_EPOCH", "1700000000")],
    );
    assert!(out.status.success());
    assert_eq!(
        std::fs::read(&first).unwrap(),
        std::fs::read(&second).unwrap(),
        "two exports of one index differ"
    );

    let inspect = twinmcp_ok(&data, &["snapshot", "inspect", first.to_str().unwrap()]);
    assert!(inspect.contains(ID), "{inspect}");
    assert!(inspect.contains("all-minilm-l6-v2"), "{inspect}");
    let manifest: Value = serde_json::from_str(&twinmcp_ok(
        &data,
        &[
            "snapshot",
            "inspect",
            "--json",
            "--verify",
            first.to_str().unwrap(),
        ],
    ))
    .unwrap();
    assert_eq!(manifest["format"], 1);
    assert_eq!(manifest["created_at"], 1700000000);
    assert_eq!(manifest["builds"][0]["library"], ID);
    assert_eq!(
        manifest["builds"][0]["commit"].as_str().unwrap().len(),
        40,
        "the git commit is recorded"
    );
    assert!(
        manifest["parts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "builds/0/vectors.usearch"),
        "vectors are shipped"
    );

    // Into an empty data dir: the same answers, without embedding anything.
    let copy = tmp.path().join("copy");
    let report = twinmcp_ok(&copy, &["snapshot", "import", first.to_str().unwrap()]);
    assert!(report.contains(&format!("added {ID} latest")), "{report}");
    assert_eq!(answers(&copy), answers(&data));
    let list = |d: &Path| -> Value {
        let mut v: Value = serde_json::from_str(&twinmcp_ok(d, &["list", "--json"])).unwrap();
        for lib in v.as_array_mut().unwrap() {
            lib.as_object_mut().unwrap().remove("last_update");
        }
        v
    };
    assert_eq!(list(&copy)[0]["versions"], list(&data)[0]["versions"]);

    // Exporting the imported copy gives back the very same file.
    let again = tmp.path().join("again.twinmcp");
    export(&copy, &again, &["--timestamp", "1700000000"]);
    assert_eq!(
        std::fs::read(&first).unwrap(),
        std::fs::read(&again).unwrap()
    );

    // A second import replaces the build; the chunk ids move past those in
    // use and the answers stay the same.
    let report = twinmcp_ok(&copy, &["snapshot", "import", first.to_str().unwrap()]);
    assert!(
        report.contains(&format!("replaced {ID} latest")),
        "{report}"
    );
    assert_eq!(answers(&copy), answers(&data));
    let builds = std::fs::read_dir(copy.join("builds")).unwrap().count();
    assert_eq!(builds, 1, "the replaced build's files are gone");
}

/// A snapshot's members, decompressed: (name, bytes), manifest first.
fn unpack(file: &Path) -> Vec<(String, Vec<u8>)> {
    let decoder = zstd::Decoder::new(std::fs::File::open(file).unwrap()).unwrap();
    let mut archive = tar::Archive::new(decoder);
    let mut out = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        out.push((name, bytes));
    }
    out
}

/// Packs members as a snapshot, names taken as given (no checks).
fn pack(members: &[(String, Vec<u8>)], out: &Path) {
    let file = std::fs::File::create(out).unwrap();
    let encoder = zstd::Encoder::new(file, 1).unwrap();
    let mut tar = tar::Builder::new(encoder);
    for (name, bytes) in members {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        // Raw name bytes, so that `..` and absolute names get through.
        let raw = &mut header.as_old_mut().name;
        raw[..name.len()].copy_from_slice(name.as_bytes());
        header.set_cksum();
        tar.append(&header, bytes.as_slice()).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn with_manifest(members: &mut [(String, Vec<u8>)], change: impl FnOnce(&mut Value)) {
    let mut manifest: Value = serde_json::from_slice(&members[0].1).unwrap();
    change(&mut manifest);
    members[0].1 = serde_json::to_vec(&manifest).unwrap();
}

#[test]
fn bad_snapshots_are_refused_and_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = indexed(tmp.path());
    let good = tmp.path().join("good.twinmcp");
    export(&data, &good, &[]);
    let before = answers(&data);
    let list_before = twinmcp_ok(&data, &["list", "--json"]);
    let bytes = std::fs::read(&good).unwrap();
    let members = unpack(&good);

    let mut cases: Vec<(&str, PathBuf, &str)> = Vec::new();
    let mut case = |name: &'static str, expect: &'static str, write: &dyn Fn(&Path)| {
        let path = tmp.path().join(format!("{name}.twinmcp"));
        write(&path);
        cases.push((name, path, expect));
    };
    case("truncated", "ends early", &|p| {
        std::fs::write(p, &bytes[..bytes.len() / 2]).unwrap()
    });
    case("flipped-byte", "damaged", &|p| {
        let mut b = bytes.clone();
        let at = b.len() * 2 / 3;
        b[at] ^= 0x55;
        std::fs::write(p, b).unwrap()
    });
    case("not-zstd", "not a TwinMCP snapshot", &|p| {
        std::fs::write(p, b"# just some markdown\n").unwrap()
    });
    case("altered-part", "checksum of builds/0/catalog.json", &|p| {
        let mut m = members.clone();
        let catalog = m
            .iter_mut()
            .find(|(n, _)| n == "builds/0/catalog.json")
            .unwrap();
        let text = String::from_utf8(catalog.1.clone()).unwrap();
        catalog.1 = text.replacen("Lanternfish", "Lanternfisk", 1).into_bytes();
        // Same length, so only the checksum can tell.
        pack(&m, p)
    });
    case("traversal-in-manifest", "invalid part", &|p| {
        let mut m = members.clone();
        with_manifest(&mut m, |v| {
            v["parts"][1]["name"] = "builds/0/../../../escaped".into()
        });
        m[1].0 = "builds/0/../../../escaped".into();
        pack(&m, p)
    });
    case("absolute-name", "invalid part", &|p| {
        let mut m = members.clone();
        with_manifest(&mut m, |v| v["parts"][1]["name"] = "/tmp/escaped".into());
        m[1].0 = "/tmp/escaped".into();
        pack(&m, p)
    });
    case("member-not-in-manifest", "found member", &|p| {
        let mut m = members.clone();
        m[2].0 = "builds/0/text/../../../../escaped".into();
        pack(&m, p)
    });
    case("extra-member", "not in the manifest", &|p| {
        let mut m = members.clone();
        m.push(("builds/0/text/extra".into(), b"x".to_vec()));
        pack(&m, p)
    });
    case("huge-declared-size", "more than the limit", &|p| {
        let mut m = members.clone();
        with_manifest(&mut m, |v| v["parts"][1]["size"] = (1u64 << 50).into());
        pack(&m, p)
    });
    case("newer-format", "newer than this TwinMCP reads", &|p| {
        let mut m = members.clone();
        with_manifest(&mut m, |v| v["format"] = 99.into());
        pack(&m, p)
    });
    case("other-model", "installed model is", &|p| {
        let mut m = members.clone();
        with_manifest(&mut m, |v| {
            v["model"] = "bge-small-en-v1.5:0123456789abcdef:384".into()
        });
        pack(&m, p)
    });
    case("consistent-but-crafted", "holds", &|p| {
        // A chunk removed and every checksum and count fixed up: only the
        // cross-checks between catalog rows and index files can tell.
        let mut m = members.clone();
        let at = m
            .iter()
            .position(|(n, _)| n == "builds/0/catalog.json")
            .unwrap();
        let mut catalog: Value = serde_json::from_slice(&m[at].1).unwrap();
        catalog["chunks"].as_array_mut().unwrap().pop();
        let chunks = catalog["chunks"].as_array().unwrap().len();
        m[at].1 = serde_json::to_vec(&catalog).unwrap();
        let (size, sha) = (m[at].1.len(), sha256(&m[at].1));
        with_manifest(&mut m, |v| {
            v["builds"][0]["chunks"] = chunks.into();
            let part = v["parts"]
                .as_array_mut()
                .unwrap()
                .iter_mut()
                .find(|p| p["name"] == "builds/0/catalog.json")
                .unwrap();
            part["size"] = size.into();
            part["sha256"] = sha.into();
        });
        pack(&m, p)
    });
    case(
        "decompression-bomb",
        "more data than its manifest declares",
        &|p| {
            // A member the manifest does not know, 256 MiB of zeros behind a
            // long-name record: it compresses to almost nothing.
            let file = std::fs::File::create(p).unwrap();
            let mut tar = tar::Builder::new(zstd::Encoder::new(file, 1).unwrap());
            let (name, manifest) = &members[0];
            let mut header = tar::Header::new_gnu();
            header.set_size(manifest.len() as u64);
            header.set_entry_type(tar::EntryType::Regular);
            tar.append_data(&mut header, name, manifest.as_slice())
                .unwrap();
            let mut header = tar::Header::new_gnu();
            header.set_size(256 << 20);
            header.set_entry_type(tar::EntryType::GNULongName);
            header.set_cksum();
            tar.append(&header, std::io::repeat(b'a').take(256 << 20))
                .unwrap();
            tar.into_inner().unwrap().finish().unwrap();
        },
    );

    for (name, path, expect) in &cases {
        let out = twinmcp(&data, &["snapshot", "import", path.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name}: imported");
        assert!(stderr.contains(expect), "{name}: {stderr}");
        assert!(
            !tmp.path().join("escaped").exists() && !Path::new("/tmp/escaped").exists(),
            "{name}: wrote outside the data dir"
        );
        assert_eq!(
            twinmcp_ok(&data, &["list", "--json"]),
            list_before,
            "{name}: the catalog changed"
        );
        let leftovers: Vec<_> = std::fs::read_dir(&data)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("import-"))
            .collect();
        assert!(leftovers.is_empty(), "{name}: staging files left");
    }
    assert_eq!(answers(&data), before);
    let builds = std::fs::read_dir(data.join("builds")).unwrap().count();
    assert_eq!(builds, 1, "no build files were added");

    // Inspect names the damage too, without importing.
    let out = twinmcp(
        &data,
        &[
            "snapshot",
            "inspect",
            "--verify",
            cases[1].1.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
}

#[test]
fn export_names_unknown_libraries_and_versions() {
    let tmp = tempfile::tempdir().unwrap();
    let data = indexed(tmp.path());
    let out_file = tmp.path().join("x.twinmcp");
    let out = twinmcp(
        &data,
        &[
            "snapshot",
            "export",
            "/nope/nope",
            "-o",
            out_file.to_str().unwrap(),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("unknown library `/nope/nope`"), "{stderr}");
    assert!(stderr.contains(ID), "{stderr}");
    let out = twinmcp(
        &data,
        &[
            "snapshot",
            "export",
            &format!("{ID}/v9"),
            "-o",
            out_file.to_str().unwrap(),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no version `v9`"), "{stderr}");
    assert!(!out_file.exists());
}
