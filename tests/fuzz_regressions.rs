//! Replays every input kept from fuzzing (`fuzz/regressions/<target>/`,
//! crashes found and fixed, plus seeds) through the same entry points the
//! fuzz targets call, so a fixed crash stays fixed without a fuzzer.

use std::path::Path;

type Target = fn(&[u8]);

const TARGETS: &[(&str, Target)] = &[
    ("markdown", twinmcp::fuzz::markdown),
    ("rst", twinmcp::fuzz::rst),
    ("man", twinmcp::fuzz::man),
    ("asciidoc", twinmcp::fuzz::asciidoc),
    ("html", twinmcp::fuzz::html),
    ("notebook", twinmcp::fuzz::notebook),
    ("code", twinmcp::fuzz::code),
    ("config", twinmcp::fuzz::config),
    ("text", twinmcp::fuzz::decode),
    ("snapshot", twinmcp::fuzz::snapshot),
    ("tool_args", twinmcp::fuzz::tool_args),
];

#[test]
fn every_kept_fuzz_input_still_passes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut replayed = 0;
    for (name, target) in TARGETS {
        let dir = root.join(name);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        files.sort();
        for file in files {
            let bytes = std::fs::read(&file).unwrap();
            let started = std::time::Instant::now();
            target(&bytes);
            assert!(
                started.elapsed() < std::time::Duration::from_secs(20),
                "{} took {:?}",
                file.display(),
                started.elapsed()
            );
            replayed += 1;
        }
    }
    assert!(replayed > 0, "no inputs under {}", root.display());
}

#[test]
fn every_target_survives_edge_inputs() {
    let deep_json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let inputs: Vec<Vec<u8>> = vec![
        Vec::new(),
        vec![0],
        vec![0xff; 4096],
        b"\x00\x00\x00\x00".to_vec(),
        "#".repeat(100_000).into_bytes(),
        "> ".repeat(50_000).into_bytes(),
        "{".repeat(100_000).into_bytes(),
        deep_json.into_bytes(),
        "`".repeat(50_000).into_bytes(),
        [&[0x28u8, 0xb5, 0x2f, 0xfd][..], &[0u8; 100]].concat(),
    ];
    for (name, target) in TARGETS {
        for input in &inputs {
            for pick in 0..9u8 {
                // The selector byte of the multi-way targets.
                let mut bytes = vec![pick];
                bytes.extend_from_slice(input);
                target(&bytes);
            }
            let _ = name;
        }
    }
}
