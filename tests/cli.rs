//! End-to-end tests of the command line: a git repository built in a temp
//! dir is indexed with the real model, listed, searched, re-indexed and
//! removed through the real binary.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{bin, fixture, git_repo, model_dir, twinmcp, twinmcp_ok};
use serde_json::Value;

#[test]
fn index_list_search_reindex_remove() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let data = tmp.path().join("data");
    git_repo(
        &fixture(),
        &repo,
        "https://git.example.com/lanternfish-org/lanternfish.git",
    );

    let report = twinmcp_ok(&data, &["index", repo.to_str().unwrap()]);
    assert!(
        report.contains("indexed /lanternfish-org/lanternfish"),
        "{report}"
    );
    // Skipped files are reported, never fatal.
    for reason in [
        "changelog",
        "licence",
        "translation",
        "binary",
        "unsupported format .png",
        "excluded by the library config",
    ] {
        assert!(report.contains(reason), "report lacks {reason}: {report}");
    }

    let list: Value = serde_json::from_str(&twinmcp_ok(&data, &["list", "--json"])).unwrap();
    let lib = &list[0];
    assert_eq!(lib["id"], "/lanternfish-org/lanternfish");
    assert_eq!(lib["title"], "Lanternfish");
    assert!(
        lib["description"]
            .as_str()
            .unwrap()
            .starts_with("Lanternfish is a small persistent job queue")
    );
    let version = &lib["versions"][0];
    assert_eq!(
        version["files"], 9,
        "README, 3 guide pages, the RST reference, a notebook, the Python, TypeScript and Go sources"
    );
    let chunks = version["chunks"].as_i64().unwrap();
    assert!(chunks >= 12, "{chunks} chunks");

    let answer: Value = serde_json::from_str(&twinmcp_ok(
        &data,
        &[
            "search",
            "/lanternfish-org/lanternfish",
            "retry a failing job with exponential backoff",
            "--json",
        ],
    ))
    .unwrap();
    let first = &answer["results"][0];
    assert_eq!(first["path"], "docs/guide/workers.md");
    assert_eq!(first["breadcrumb"], "Workers › Retries and backoff");

    let text = twinmcp_ok(
        &data,
        &[
            "search",
            "/lanternfish-org/lanternfish",
            "cron schedule in a time zone",
            "--mode",
            "bm25",
        ],
    );
    // The library's rules (context7.json) lead, then the results.
    assert!(
        text.starts_with("### Rules from the library's maintainers\n\nQuoted from the config file of /lanternfish-org/lanternfish"),
        "{text}"
    );
    assert!(text.contains("\">\n- Always await"), "{text}");
    let results = text
        .split_once("--------------------------------\n\n")
        .unwrap()
        .1;
    assert!(
        results.starts_with("### Scheduling\n\nSource: docs/guide/scheduling.mdx#L7-L"),
        "{text}"
    );
    assert!(
        text.contains("```js\nawait queue.schedule("),
        "code fence kept whole: {text}"
    );

    // Re-indexing replaces the build: same chunk count, one version, old files gone.
    let again = twinmcp_ok(&data, &["index", repo.to_str().unwrap()]);
    assert!(
        again.contains(&format!("0 embedded, {chunks} reused")),
        "embeddings are cached by content: {again}"
    );
    assert!(
        again.contains("9 files (9 unchanged, 0 parsed)"),
        "unchanged files are not parsed again: {again}"
    );
    let list: Value = serde_json::from_str(&twinmcp_ok(&data, &["list", "--json"])).unwrap();
    assert_eq!(list[0]["versions"].as_array().unwrap().len(), 1);
    assert_eq!(std::fs::read_dir(data.join("builds")).unwrap().count(), 1);

    twinmcp_ok(&data, &["remove", "/lanternfish-org/lanternfish"]);
    let list: Value = serde_json::from_str(&twinmcp_ok(&data, &["list", "--json"])).unwrap();
    assert_eq!(list, Value::Array(vec![]));
    let gone = twinmcp(&data, &["remove", "/lanternfish-org/lanternfish"]);
    assert!(!gone.status.success());
}

#[test]
fn folder_without_git_gets_a_local_id_and_overrides_apply() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = twinmcp_ok(
        &data,
        &["index", fixture().to_str().unwrap(), "--title", "LF"],
    );
    assert!(out.contains("indexed /local/lanternfish"), "{out}");
    let out = twinmcp_ok(
        &data,
        &["index", fixture().to_str().unwrap(), "--id", "/acme/fish"],
    );
    assert!(out.contains("indexed /acme/fish"), "{out}");
    let bad = twinmcp(
        &data,
        &["index", fixture().to_str().unwrap(), "--id", "not an id"],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("/org/project"));
}

#[test]
fn unknown_library_and_version_errors_name_what_is_indexed() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    twinmcp_ok(
        &data,
        &[
            "index",
            fixture().to_str().unwrap(),
            "--id",
            "/acme/fish",
            "--no-vectors",
        ],
    );
    let out = twinmcp(&data, &["search", "/acme/nope", "queue"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown library `/acme/nope`") && err.contains("/acme/fish"),
        "{err}"
    );
    let out = twinmcp(&data, &["search", "/acme/fish/v9.9.9", "queue"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no version `v9.9.9`") && err.contains("latest"),
        "{err}"
    );
}

#[test]
fn a_missing_model_says_which_command_to_run() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(bin())
        .args([
            "--data-dir",
            tmp.path().to_str().unwrap(),
            "index",
            fixture().to_str().unwrap(),
        ])
        .env_remove("TWINMCP_MODEL")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("twinmcp model fetch") && err.contains("model install"),
        "{err}"
    );
}

#[test]
fn a_corrupt_model_file_is_refused_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    common::copy_tree(&model_dir(), &tmp.path().join("copy"));
    let weights = tmp.path().join("copy/model.safetensors");
    let bytes = std::fs::read(&weights).unwrap();
    std::fs::write(&weights, &bytes[..bytes.len() / 2]).unwrap();
    let out = Command::new(bin())
        .args([
            "--data-dir",
            data.to_str().unwrap(),
            "model",
            "install",
            tmp.path().join("copy").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("model.safetensors") && err.contains("checksum mismatch"),
        "{err}"
    );
    assert!(
        !data.join("models/all-minilm-l6-v2").exists(),
        "nothing installed"
    );
}

/// Kills an index run part-way and checks that the previous build still answers,
/// and that the next run cleans up and succeeds.
#[test]
fn an_interrupted_index_leaves_the_previous_index_queryable() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let big = tmp.path().join("big");
    common::copy_tree(&fixture(), &big);
    twinmcp_ok(
        &data,
        &["index", big.to_str().unwrap(), "--id", "/acme/fish"],
    );
    // Enough new text that embedding takes seconds, even with bfloat16
    // passages (`auto` on a CPU with AVX-512 BF16).
    for i in 0..300 {
        let detail: String = (0..12)
            .map(|n| {
                format!(
                    "Knob {i} setting {n} changes how the cache of table {n} keeps rows \
                     for page {i}, and its default suits most deployments. "
                )
            })
            .collect();
        let text = format!(
            "# Page {i}\n\n## Topic {i}\n\nPage {i} explains configuration knob number {i} in detail.\n\n{detail}\n"
        );
        std::fs::write(big.join(format!("docs/page{i}.md")), text).unwrap();
    }
    // kill -9 at several points: loading the model, parsing, embedding.
    for delay_ms in [300, 1200, 2500] {
        let mut child = Command::new(bin())
            .args([
                "--data-dir",
                data.to_str().unwrap(),
                "index",
                big.to_str().unwrap(),
                "--id",
                "/acme/fish",
            ])
            .env("TWINMCP_MODEL", model_dir())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        if delay_ms >= 2500 {
            // While it writes: a second writer is refused, readers are served.
            let second = twinmcp(
                &data,
                &["index", big.to_str().unwrap(), "--id", "/acme/fish"],
            );
            let err = String::from_utf8_lossy(&second.stderr);
            assert!(
                !second.status.success() && err.contains("another `twinmcp` process is writing"),
                "{err}"
            );
        }
        let answer: Value = serde_json::from_str(&twinmcp_ok(
            &data,
            &[
                "search",
                "/acme/fish",
                "graceful shutdown on SIGTERM",
                "--json",
            ],
        ))
        .unwrap();
        assert_eq!(answer["results"][0]["path"], "docs/guide/workers.md");
        let still_running = child.try_wait().unwrap().is_none();
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(
            still_running,
            "the index run finished before it could be interrupted; add more pages"
        );

        let answer: Value = serde_json::from_str(&twinmcp_ok(
            &data,
            &[
                "search",
                "/acme/fish",
                "graceful shutdown on SIGTERM",
                "--json",
            ],
        ))
        .unwrap();
        assert_eq!(answer["results"][0]["path"], "docs/guide/workers.md");
        let list: Value = serde_json::from_str(&twinmcp_ok(&data, &["list", "--json"])).unwrap();
        assert_eq!(
            list[0]["versions"][0]["files"], 9,
            "the old build is the one served after a kill at {delay_ms} ms"
        );
    }

    let out = twinmcp_ok(
        &data,
        &["index", big.to_str().unwrap(), "--id", "/acme/fish"],
    );
    assert!(out.contains("309 files"), "{out}");
    assert_eq!(
        std::fs::read_dir(data.join("builds")).unwrap().count(),
        1,
        "leftovers removed"
    );
}

/// Broken input of every kind is reported and skipped, or parsed as far as it
/// goes; the index run succeeds and the good files answer.
#[test]
fn broken_files_are_reported_and_never_stop_an_index() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let repo = tmp.path().join("repo");
    let write = |rel: &str, bytes: &[u8]| {
        let path = repo.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    };
    write("README.md", b"# Broken\n\nA library with broken files.\n");
    // A syntax error in the middle: the items around it are still extracted.
    write(
        "src/lib.rs",
        b"/// Opens the vault door.\npub fn open_vault() {}\n\npub fn broken( {\n\n/// Closes the vault door.\npub fn close_vault() {}\n",
    );
    // Truncated mid-docstring, and invalid UTF-8 in the middle of a doc.
    write(
        "pkg/trunc.py",
        b"def ok():\n    \"\"\"Fine.\"\"\"\n\ndef cut(:\n    \"\"\"never closed\n",
    );
    write(
        "docs/latin1.md",
        b"# Caf\xe9 guide\n\nThe espresso_machine setting brews coffee.\n",
    );
    write("docs/bad.ipynb", b"{\"cells\": [ {\"cell_type\": ");
    write(
        "context7.json",
        b"{\"rules\": \"not a list\", \"projectTitle\": \"Broken\"}",
    );
    // 50 MB of generated code: over the size limit, skipped without reading.
    let line = "pub fn generated() -> u32 { 42 }\n";
    write(
        "src/generated.rs",
        line.repeat(50 * 1024 * 1024 / line.len()).as_bytes(),
    );

    let out = twinmcp(
        &data,
        &["index", repo.to_str().unwrap(), "--id", "/acme/broken"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("docs/bad.ipynb: not a valid Jupyter notebook"),
        "{stderr}"
    );
    assert!(
        stderr.contains("context7.json: field `rules` must be an array of strings"),
        "{stderr}"
    );
    assert!(stdout.contains("over the size limit"), "{stdout}");
    assert!(stdout.contains("1 failed to parse"), "{stdout}");

    let list: Value = serde_json::from_str(&twinmcp_ok(&data, &["list", "--json"])).unwrap();
    assert_eq!(
        list[0]["title"], "Broken",
        "the valid fields of the config still apply"
    );
    for (query, path) in [
        ("close_vault", "src/lib.rs"),
        ("espresso_machine", "docs/latin1.md"),
        ("ok function fine", "pkg/trunc.py"),
    ] {
        let answer: Value = serde_json::from_str(&twinmcp_ok(
            &data,
            &["search", "/acme/broken", query, "--mode", "bm25", "--json"],
        ))
        .unwrap();
        assert_eq!(answer["results"][0]["path"], path, "{query}: {answer}");
    }
}

/// A write error mid-index (here a file-size limit, as a full disk would
/// give) fails the run with a clear message and leaves the old index served.
#[test]
fn a_failing_disk_leaves_the_previous_index_queryable() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let big = tmp.path().join("big");
    common::copy_tree(&fixture(), &big);
    twinmcp_ok(
        &data,
        &["index", big.to_str().unwrap(), "--id", "/acme/fish"],
    );
    for i in 0..300 {
        let text = format!("# Page {i}\n\n## Topic {i}\n\nPage {i} explains knob {i}.\n");
        std::fs::write(big.join(format!("docs/page{i}.md")), text).unwrap();
    }
    // Writes past 600 KiB fail with EFBIG (SIGXFSZ ignored, as a full disk fails with ENOSPC).
    let script = format!(
        "trap '' XFSZ; ulimit -f 600; exec '{}' --data-dir '{}' index '{}' --id /acme/fish",
        bin().display(),
        data.display(),
        big.display()
    );
    let out = Command::new("bash")
        .args(["-c", &script])
        .env("TWINMCP_MODEL", model_dir())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the limit was not hit: {err}");
    assert!(
        err.contains("the previous index is unchanged and still served"),
        "{err}"
    );
    let list: Value = serde_json::from_str(&twinmcp_ok(&data, &["list", "--json"])).unwrap();
    assert_eq!(list[0]["versions"][0]["files"], 9);
    let answer: Value = serde_json::from_str(&twinmcp_ok(
        &data,
        &[
            "search",
            "/acme/fish",
            "graceful shutdown on SIGTERM",
            "--json",
        ],
    ))
    .unwrap();
    assert_eq!(answer["results"][0]["path"], "docs/guide/workers.md");
    // With room again, the next run succeeds and cleans up.
    let out = twinmcp_ok(
        &data,
        &["index", big.to_str().unwrap(), "--id", "/acme/fish"],
    );
    assert!(out.contains("309 files"), "{out}");
}

#[test]
fn precisions_share_one_index_and_a_bad_one_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let fixture = fixture();
    // Built with 8-bit weights, searched in every precision: the vectors
    // are comparable, so each answers from the same index.
    let out = twinmcp_ok(
        &data,
        &["--precision", "int8", "index", fixture.to_str().unwrap()],
    );
    assert!(out.contains("indexed /local/lanternfish"), "{out}");
    let mut firsts = Vec::new();
    for precision in ["f32", "int8", "bf16", "auto"] {
        let answer: Value = serde_json::from_str(&twinmcp_ok(
            &data,
            &[
                "search",
                "/local/lanternfish",
                "retry a failing job with exponential backoff",
                "--json",
                "--mode",
                "vector",
                "--precision",
                precision,
            ],
        ))
        .unwrap();
        firsts.push(answer["results"][0]["breadcrumb"].clone());
    }
    assert_eq!(firsts[0], "Workers › Retries and backoff", "{firsts:?}");
    assert!(firsts.iter().all(|f| *f == firsts[0]), "{firsts:?}");

    let bad = twinmcp(&data, &["--precision", "fp8", "list"]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("fp8") && err.contains("int8") && err.contains("bf16"),
        "{err}"
    );
}

#[test]
fn manual_pages_and_asciidoc_are_indexed_by_section_and_option() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = tmp.path().join("pages");
    let data = tmp.path().join("data");
    std::fs::create_dir_all(docs.join("man/man1")).unwrap();
    std::fs::create_dir_all(docs.join("man/man8")).unwrap();
    std::fs::create_dir_all(docs.join("logs")).unwrap();
    // man macros, as help2man and hand-written pages use them.
    std::fs::write(
        docs.join("man/man1/lanternctl.1"),
        r#".\" Written for this test.
.TH LANTERNCTL "1" "December 2026" "lanternfish 2.0" "User Commands"
.SH NAME
lanternctl \- control a lanternfish job queue
.SH SYNOPSIS
.B lanternctl
[\fI\,OPTION\/\fR]... \fIQUEUE\fR
.SH DESCRIPTION
Sends commands to the queue server named by \fBLANTERN_URL\fR.
.TP
\fB\-\-drain\fR
stop taking new jobs and wait until the running ones end
.TP
\fB\-\-requeue\-failed\fR
put every job that failed back on the queue, oldest first. Each job keeps
its arguments and its attempt count, so a job that fails again is retried
with the same backoff as before; jobs that failed more often than the
queue's \fImax_attempts\fR stay failed unless \fB\-\-force\fR is given too.
Jobs are moved in batches of a hundred, and the command prints how many it
moved. A worker that is running picks the first of them up at its next poll;
nothing has to be restarted for that, and jobs already on the queue keep
their places ahead of the requeued ones.
.TP
\fB\-\-purge\fR=\fIAGE\fR
delete finished jobs older than \fIAGE\fR (\(lq7d\(rq, \(lq12h\(rq)
.SH "EXIT STATUS"
Zero when the queue answered.
"#,
    )
    .unwrap();
    // mdoc, as BSD pages are written.
    std::fs::write(
        docs.join("man/man8/lanternd.8"),
        ".Dd December 3, 2026\n.Dt LANTERND 8\n.Os\n.Sh NAME\n.Nm lanternd\n\
         .Nd the lanternfish queue server\n.Sh SYNOPSIS\n.Nm\n.Op Fl d\n.Op Fl p Ar port\n\
         .Sh DESCRIPTION\n.Nm\nkeeps jobs on disk and hands them to workers.\n\
         .Bl -tag -width Ds\n.It Fl d\nStay in the foreground and log to the terminal.\n\
         .It Fl p Ar port\nListen for workers and clients on TCP\n.Ar port\ninstead of 7300.\n.El\n",
    )
    .unwrap();
    // AsciiDoc, as manual pages are written in it.
    std::fs::write(
        docs.join("lantern-backup.adoc"),
        "lantern-backup(1)\n=================\n\nNAME\n----\n\
         lantern-backup - Save a queue to a file and load it back\n\n\
         OPTIONS\n-------\n--restore <file>::\n\
         \tLoad the jobs saved in <file> into an empty queue; jobs keep their ids.\n\n\
         --compress::\n\tWrite the file gzip-compressed.\n",
    )
    .unwrap();
    // Compressed, as /usr/share/man keeps pages.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(
        &mut gz,
        b".TH LANTERN-TOP 1\n.SH NAME\nlantern-top \\- watch queue depth live\n\
          .SH DESCRIPTION\nRedraws the depth of every queue once a second.\n",
    )
    .unwrap();
    std::fs::write(docs.join("man/man1/lantern-top.1.gz"), gz.finish().unwrap()).unwrap();
    std::fs::write(docs.join("man/man1/broken.1.gz"), b"\x1f\x8b not gzip").unwrap();
    // Named like a page, but a rotated log: no sections.
    std::fs::write(docs.join("logs/server.log.1"), "12:00 started\n").unwrap();
    std::fs::write(docs.join("logs/old.1"), "12:00 started\n12:01 stopped\n").unwrap();

    let report = twinmcp_ok(&data, &["index", docs.to_str().unwrap(), "--id", "/t/man"]);
    assert!(report.contains("indexed /t/man"), "{report}");
    assert!(report.contains("1 unreadable"), "the broken .gz: {report}");

    let search = |query: &str| -> Value {
        serde_json::from_str(&twinmcp_ok(&data, &["search", "/t/man", query, "--json"])).unwrap()
    };
    let answer = search("put failed jobs back on the queue");
    let first = &answer["results"][0];
    assert_eq!(first["path"], "man/man1/lanternctl.1", "{answer}");
    assert_eq!(
        first["breadcrumb"],
        "lanternctl(1) — control a lanternfish job queue › DESCRIPTION › --requeue-failed"
    );
    // The option's lines (14-23), with neighbouring short entries merged in.
    let (start, end) = (first["start_line"].as_i64(), first["end_line"].as_i64());
    assert!(start <= Some(14) && end >= Some(23), "{first}");

    let answer = search("which TCP port does the queue server listen on");
    let first = &answer["results"][0];
    assert_eq!(first["path"], "man/man8/lanternd.8", "{answer}");
    assert_eq!(
        first["breadcrumb"],
        "lanternd(8) — the lanternfish queue server › DESCRIPTION › -p port"
    );
    let all = answer.to_string();
    assert!(!all.contains("12:00 started"), "{all}");

    let answer = search("watch how deep the queues are");
    assert_eq!(
        answer["results"][0]["path"], "man/man1/lantern-top.1.gz",
        "{answer}"
    );

    let answer = search("load saved jobs from a backup file");
    let first = &answer["results"][0];
    assert_eq!(first["path"], "lantern-backup.adoc", "{answer}");
    assert_eq!(
        first["breadcrumb"],
        "lantern-backup(1) — Save a queue to a file and load it back › OPTIONS › --restore <file>"
    );
}

#[test]
fn built_html_docs_are_indexed_by_section_and_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = tmp.path().join("site");
    let data = tmp.path().join("data");
    for dir in [
        "html/library",
        "html/_sources/library",
        "app/templates",
        "info",
    ] {
        std::fs::create_dir_all(docs.join(dir)).unwrap();
    }
    let write = |rel: &str, text: &str| std::fs::write(docs.join(rel), text).unwrap();
    // As Sphinx writes a page: frames around a main part, entries as <dl>.
    let page = r##"<!DOCTYPE html>
<html><head><title>lanternfish.queue — Job queues — lanternfish 2.0 documentation</title>
<script src="_static/searchtools.js"></script></head>
<body>
<div class="related" role="navigation"><a href="genindex.html">Index</a> | <a href="index.html">Contents</a></div>
<div class="body" role="main">
<section id="module-lanternfish.queue">
<h1>lanternfish.queue — Job queues<a class="headerlink" href="#module-lanternfish.queue">¶</a></h1>
<p>Queues hold jobs until a worker takes them.</p>
<dl class="py class">
<dt class="sig sig-object py" id="lanternfish.queue.Queue">
<em class="property">class </em><span class="sig-prename">lanternfish.queue.</span><span class="sig-name">Queue</span>(<em>name</em>)</dt>
<dd><p>A named queue on the server.</p>
<dl class="py method">
<dt class="sig sig-object py" id="lanternfish.queue.Queue.requeue_failed">
<span class="sig-name">requeue_failed</span>(<em>oldest_first=True</em>)</dt>
<dd><p>Put every job that failed back on the queue, keeping its arguments
and its attempt count.</p>
<div class="highlight-python notranslate"><div class="highlight"><pre><span class="n">q</span><span class="o">.</span>requeue_failed()
</pre></div></div>
</dd></dl>
<dl class="py method">
<dt class="sig sig-object py" id="lanternfish.queue.Queue.drain">
<span class="sig-name">drain</span>()</dt>
<dd><p>Stop taking new jobs and wait for the running ones.</p></dd></dl>
</dd></dl>
</section>
</div>
<div class="footer">Last updated on Dec 03, 2026.</div>
</body></html>
"##;
    write("html/library/queue.html", page);
    write(
        "html/_sources/library/queue.rst.txt",
        "lanternfish.queue\n=================\n\nQueues hold jobs until a worker takes them.\n",
    );
    write(
        "html/genindex.html",
        "<h1>Index</h1><ul><li><a>requeue_failed() (lanternfish.queue.Queue method)</a></li></ul>",
    );
    // A web application's templates: programs, not pages.
    write(
        "app/templates/jobs.html",
        "<h1>Jobs</h1><p>Requeue failed jobs from this page.</p>",
    );
    write(
        "app/report.html",
        "<h1>Failed jobs</h1>{% for job in failed %}<p>{{ job.name }} back on the queue</p>{% endfor %}",
    );
    // As texinfo writes a GNU manual's node.
    write(
        "info/Purging.html",
        r#"<html><head><meta name="Generator" content="makeinfo"><title>Purging (lanternfish)</title></head><body>
<div class="header"><p>Next: <a href="Backups.html">Backups</a></p></div>
<h3 class="section">4.2 Purging old jobs</h3>
<dl class="def">
<dt id="index-purge"><span class="category">Command: </span><strong>lantern-purge</strong> <em>age</em></dt>
<dd><p>Delete finished jobs older than <var>age</var>, such as 7d or 12h.</p></dd></dl>
</body></html>"#,
    );

    let report = twinmcp_ok(&data, &["index", docs.to_str().unwrap(), "--id", "/t/html"]);
    assert!(report.contains("indexed /t/html"), "{report}");

    let search = |query: &str| -> Value {
        serde_json::from_str(&twinmcp_ok(&data, &["search", "/t/html", query, "--json"])).unwrap()
    };
    let answer = search("put failed jobs back on the queue");
    let first = &answer["results"][0];
    assert_eq!(first["path"], "html/library/queue.html", "{answer}");
    assert_eq!(
        first["breadcrumb"],
        "lanternfish.queue — Job queues › lanternfish.queue.Queue › lanternfish.queue.Queue.requeue_failed"
    );
    // The entry's lines, with neighbouring short entries merged in.
    let line = |needle: &str| page.lines().position(|l| l.contains(needle)).unwrap() as i64 + 1;
    let (start, end) = (first["start_line"].as_i64(), first["end_line"].as_i64());
    assert!(
        start <= Some(line(r#"id="lanternfish.queue.Queue.requeue_failed""#))
            && end >= Some(line("</pre>")),
        "{first}"
    );
    let all = answer.to_string();
    for gone in [
        "genindex",
        "templates",
        "report.html",
        "_sources",
        "Contents",
        "Last updated",
    ] {
        assert!(!all.contains(gone), "{gone}: {all}");
    }

    let answer = search("delete finished jobs older than a week");
    let first = &answer["results"][0];
    assert_eq!(first["path"], "info/Purging.html", "{answer}");
    assert_eq!(first["breadcrumb"], "4.2 Purging old jobs › lantern-purge");
    assert!(!answer.to_string().contains("Backups"), "{answer}");
}
