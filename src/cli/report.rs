//! Where the CLI sends indexing events: progress bars on stderr and the
//! report on stdout for a person at a terminal, or one JSON object per line
//! on stdout with `--json`.

use std::io::Write;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};

use crate::pipeline::{BuildReport, EventSink, IndexEvent};

/// Progress bars and warnings on stderr, results on stdout.
#[derive(Default)]
pub struct TerminalSink {
    bar: Mutex<Option<ProgressBar>>,
}

impl EventSink for TerminalSink {
    fn event(&self, event: IndexEvent) {
        let mut bar = self.bar.lock().unwrap_or_else(|e| e.into_inner());
        match event {
            IndexEvent::Warning { message } => match bar.as_ref() {
                Some(b) => b.suspend(|| eprintln!("warning: {message}")),
                None => eprintln!("warning: {message}"),
            },
            IndexEvent::Crawled {
                label,
                files,
                skipped,
            } => eprintln!("{label}: {files} documentation files, {skipped} skipped"),
            IndexEvent::EmbeddingStarted { total, .. } => {
                let b = ProgressBar::new(total as u64).with_style(
                    ProgressStyle::with_template(
                        "embedding {bar:30} {pos}/{len} texts (chunks, API summaries), {per_sec}, ETA {eta}",
                    )
                    .expect("valid template"),
                );
                *bar = Some(b);
            }
            IndexEvent::Embedded { done, .. } => {
                if let Some(b) = bar.as_ref() {
                    b.set_position(done as u64);
                }
            }
            IndexEvent::Built(report) => {
                if let Some(b) = bar.take() {
                    b.finish_and_clear();
                }
                print_report(&report);
            }
            IndexEvent::Unchanged { .. } => {}
        }
    }
}

fn print_report(report: &BuildReport) {
    println!(
        "indexed {}: {} files ({} unchanged, {} parsed), {} chunks ({} embedded, {} reused), {} KiB, in {:.1}s",
        report.label,
        report.files,
        report.files_unchanged,
        report.files_parsed,
        report.chunks,
        report.embedded,
        report.reused,
        report.bytes.div_ceil(1024),
        report.seconds
    );
    if !report.skipped.is_empty() {
        let parts: Vec<String> = report
            .skipped
            .iter()
            .map(|(why, n)| format!("{n} {why}"))
            .collect();
        println!("skipped: {}", parts.join(", "));
    }
}

/// One JSON object per line on stdout: every event, then what the command
/// itself reports (see [`print_json`]).
pub struct JsonSink;

impl EventSink for JsonSink {
    fn event(&self, event: IndexEvent) {
        print_json(&serde_json::to_value(&event).expect("events serialise"));
    }
}

/// Writes `value` as one line on stdout.
pub fn print_json(value: &serde_json::Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{value}");
    let _ = out.flush();
}

/// The sink a command's `--json` flag selects.
pub fn sink(json: bool) -> Box<dyn EventSink> {
    if json {
        Box::new(JsonSink)
    } else {
        Box::new(TerminalSink::default())
    }
}
