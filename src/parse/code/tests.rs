use super::*;

#[test]
fn rust_items_get_qualified_names_signatures_and_docs() {
    let src = r#"//! Utilities for tracking time.
//!
//! # Examples
//!
//! ```
//! let x = 1;
//! ```

/// Requires a future to complete before the deadline.
///
/// ```rust
/// timeout(d, f).await;
/// ```
#[track_caller]
pub fn timeout<F>(duration: Duration, future: F) -> Timeout<F>
where
    F: Future,
{
    todo!()
}

/// Private helper.
fn helper() {}

pub struct Builder { inner: u8 }

impl Builder {
    /// Creates a multi-threaded runtime builder.
    pub fn new_multi_thread() -> Builder {
        let s = "}";
        Builder { inner: 0 }
    }
}

/// A trait.
pub trait Service {
    /// Calls the service.
    fn call(&self);
}

#[cfg(test)]
mod tests {
    /// Not API.
    pub fn t() {}
}
"#;
    let doc = parse_code(src, "src/time/timeout.rs", Language::Rust, &|_| None).unwrap();
    assert_eq!(internal_names(&doc), ["time::timeout::helper"]);
    let names = names(&doc);
    assert_eq!(
        names,
        [
            "time::timeout",
            "time::timeout › Examples",
            "time::timeout::timeout",
            "time::timeout::Builder::new_multi_thread",
            "time::timeout::Service",
            "time::timeout::Service::call",
        ]
    );
    let timeout = &doc.sections[2];
    assert_eq!(
        timeout.blocks[0].text,
        "```rust\npub fn timeout<F>(duration: Duration, future: F) -> Timeout<F>\nwhere\n    F: Future,\n```"
    );
    assert_eq!(
        (timeout.blocks[0].start_line, timeout.blocks[0].end_line),
        (15, 17),
        "the signature's lines, not the body's"
    );
    assert!(
        timeout
            .blocks
            .iter()
            .any(|b| b.text.starts_with("```rust\ntimeout(d, f)") && b.start_line == 11)
    );
}

#[test]
fn python_docstrings_become_items() {
    let src = "\"\"\"Flask app module.\"\"\"\n\nclass Flask:\n    \"\"\"The flask object.\n\n    :param name: the name.\n    \"\"\"\n\n    @setupmethod\n    def route(self, rule: str,\n              **options):\n        \"\"\"Decorate a view function.\n\n        Example::\n\n            @app.route('/')\n            def index(): ...\n        \"\"\"\n        pass\n\n    def _private(self):\n        \"\"\"Hidden.\"\"\"\n\ndef url_for(endpoint):\n    \"\"\"Generate a URL.\"\"\"\n";
    let doc = parse_code(src, "src/flask/app.py", Language::Python, &|_| None).unwrap();
    let names: Vec<String> = doc
        .sections
        .iter()
        .map(|s| s.breadcrumb.join(" › "))
        .collect();
    assert_eq!(
        names,
        [
            "flask.app",
            "flask.app.Flask",
            "flask.app.Flask.route",
            "flask.app.url_for"
        ]
    );
    let route = &doc.sections[2];
    assert_eq!(
        route.blocks[0].text,
        "```python\n@setupmethod\ndef route(self, rule: str,\n          **options):\n```"
    );
    assert_eq!(route.blocks[0].start_line, 9);
    assert!(
        route
            .blocks
            .iter()
            .any(|b| b.kind == BlockKind::Code { lang: None } && b.start_line == 16)
    );
}

#[test]
fn included_example_code_becomes_doc_text() {
    let src = "//! ### Flags\n//!\n//! ```rust\n#![doc = include_str!(\"../examples/flag.rs\")]\n//! ```\n//!\n//! Done.\n\n/// Sel.\ndoc! {macro_rules! select {\n    () => {}\n}}\n";
    let include =
        |p: &str| (p == "../examples/flag.rs").then(|| "fn main() {\n    cli();\n}".to_owned());
    let doc = parse_code(src, "src/_tutorial.rs", Language::Rust, &include).unwrap();
    let flags = &doc.sections[0];
    assert_eq!(flags.breadcrumb, ["tutorial", "Flags"]);
    let code = flags
        .blocks
        .iter()
        .find(|b| matches!(b.kind, BlockKind::Code { .. }))
        .unwrap();
    assert_eq!(code.text, "```rust\nfn main() {\n    cli();\n}\n```");
    assert_eq!((code.start_line, code.end_line), (3, 5));
    assert_eq!(doc.sections[1].breadcrumb, ["tutorial::select!"]);
}

#[test]
fn examples_are_whole_code_blocks() {
    let src = format!("use clap::Parser;\n\n{}", "fn a() {}\n\n".repeat(800));
    let doc = parse_example(&src, "examples/derive/flags.rs", Language::Rust);
    assert_eq!(
        doc.sections[0].breadcrumb,
        ["Example: examples/derive/flags.rs"]
    );
    let blocks = &doc.sections[0].blocks;
    assert!(blocks.len() > 1);
    assert!(
        blocks
            .iter()
            .all(|b| b.text.starts_with("```rust\n") && b.text.ends_with("\n```"))
    );
    assert_eq!(blocks[0].start_line, 1);
    assert_eq!(
        blocks.last().unwrap().end_line as usize,
        src.lines().count()
    );
}

#[test]
fn module_paths_drop_src_and_mod_files() {
    assert_eq!(
        module_path("src/runtime/mod.rs", Language::Rust),
        ["runtime"]
    );
    assert_eq!(
        module_path("clap_builder/src/builder/arg.rs", Language::Rust),
        ["clap_builder", "builder", "arg"]
    );
    assert_eq!(
        module_path("src/_derive/mod.rs", Language::Rust),
        ["derive"]
    );
    assert!(module_path("src/lib.rs", Language::Rust).is_empty());
    assert_eq!(
        module_path("python/src/lanternfish/queue.py", Language::Python),
        ["lanternfish", "queue"]
    );
    assert_eq!(
        module_path("numpy/lib/_npyio_impl.py", Language::Python),
        ["numpy", "lib", "npyio_impl"]
    );
    assert_eq!(
        module_path(
            "matplotlib-3.10.3/lib/matplotlib/figure.py",
            Language::Python
        ),
        ["matplotlib", "figure"]
    );
    assert_eq!(
        module_path("lib/matplotlib/figure.py", Language::Python),
        ["matplotlib", "figure"]
    );
}

/// The names of the public sections.
fn names(doc: &Document) -> Vec<String> {
    doc.sections
        .iter()
        .filter(|s| !s.internal)
        .map(|s| s.breadcrumb.join(" › "))
        .collect()
}

/// The names of the sections about items that are not public API.
fn internal_names(doc: &Document) -> Vec<String> {
    doc.sections
        .iter()
        .filter(|s| s.internal)
        .map(|s| s.breadcrumb.join(" › "))
        .collect()
}

fn extract(src: &str, path: &str) -> Document {
    let ext = path.rsplit('.').next().unwrap();
    let language = Language::from_extension(ext).unwrap();
    parse_code(src, path, language, &|_| None).unwrap()
}

/// The signature block and the doc text of the item named `name`.
fn item<'d>(doc: &'d Document, name: &str) -> (&'d str, String) {
    let section = doc
        .sections
        .iter()
        .find(|s| s.breadcrumb == [name])
        .unwrap_or_else(|| panic!("no item {name} in {:?}", names(doc)));
    assert_eq!(section.blocks[0].kind, BlockKind::Item);
    let docs = section.blocks[1..]
        .iter()
        .map(|b| b.text.as_str())
        .collect::<Vec<_>>()
        .join("\n\n");
    (&section.blocks[0].text, docs)
}

#[test]
fn javascript_exports_classes_and_commonjs_assignments() {
    let src = r#"/**
 * Creates an event emitter.
 * @example
 * const e = createEmitter();
 * e.on('x', f);
 */
export function createEmitter(options = {}) {
  return new Emitter(options);
}

/** Not exported: internal. */
function helper() {}

export class Emitter {
  /**
   * Registers `listener` for {@link Emitter#emit} calls.
   * @param {string} name the event
   */
  on(name, listener) {}

  /** Private by convention. */
  _drain() {}

  /** Truly private. */
  #secret() {}
}

/** Default options. */
export const defaults = { retries: 3 };

/** Debounces `fn`. */
export const debounce = (fn, ms) => {
  return fn;
};
"#;
    let doc = extract(src, "packages/emitter/src/index.js");
    assert_eq!(
        names(&doc),
        [
            "emitter.createEmitter",
            "emitter.Emitter.on",
            "emitter.defaults",
            "emitter.debounce"
        ]
    );
    let (sig, docs) = item(&doc, "emitter.createEmitter");
    assert_eq!(
        sig,
        "```javascript\nexport function createEmitter(options = {})\n```"
    );
    assert!(
        docs.contains("```javascript\nconst e = createEmitter();\ne.on('x', f);\n```"),
        "{docs}"
    );
    let (_, docs) = item(&doc, "emitter.Emitter.on");
    assert!(
        docs.contains("Registers `listener` for `Emitter#emit` calls."),
        "{docs}"
    );
    let (sig, _) = item(&doc, "emitter.debounce");
    assert_eq!(
        sig,
        "```javascript\nexport const debounce = (fn, ms) =>\n```"
    );

    // A CommonJS file (no `export`): documented top-level code is the API.
    let cjs = "/**\n * Listen for connections.\n * @public\n */\napp.listen = function listen() {\n  return 1;\n};\n\n/** @private */\napp.init = function () {};\n";
    let doc = extract(cjs, "lib/application.js");
    assert_eq!(names(&doc), ["application.app.listen"]);
}

#[test]
fn typescript_interfaces_types_and_members() {
    let src = r#"/** Options for a query. */
export interface QueryOptions<T> {
  /** The cache key. */
  queryKey: readonly unknown[];
  /** Fetches the data. */
  queryFn(context: QueryContext): Promise<T>;
}

/** A query's status. */
export type Status = 'pending' | 'error' | 'success';

/** Log levels. */
export enum Level { Debug, Info }

export class QueryClient {
  /** Fetches a query and caches it. */
  public async fetchQuery<T>(options: QueryOptions<T>): Promise<T> {
    return undefined as T;
  }
  /** Hidden. */
  private gc(): void {}
}

export namespace Util {
  /** Sleeps. */
  export function sleep(ms: number): Promise<void> { return Promise.resolve(); }
}

/** @internal */
export function internalOnly() {}
"#;
    let doc = extract(src, "src/core.ts");
    assert_eq!(
        names(&doc),
        [
            "core.QueryOptions",
            "core.QueryOptions.queryKey",
            "core.QueryOptions.queryFn",
            "core.Status",
            "core.Level",
            "core.QueryClient.fetchQuery",
            "core.Util.sleep"
        ]
    );
    let (sig, _) = item(&doc, "core.QueryClient.fetchQuery");
    assert_eq!(
        sig,
        "```typescript\npublic async fetchQuery<T>(options: QueryOptions<T>): Promise<T>\n```"
    );
    let (sig, _) = item(&doc, "core.Status");
    assert_eq!(
        sig,
        "```typescript\nexport type Status = 'pending' | 'error' | 'success';\n```"
    );

    let tsx = "/** A button. */\nexport function Button({ label }: Props) {\n  return <button>{label}</button>;\n}\n";
    let doc = extract(tsx, "src/components/Button.tsx");
    assert_eq!(names(&doc), ["components.Button.Button"]);
    assert!(
        item(&doc, "components.Button.Button")
            .0
            .starts_with("```tsx\n")
    );
}

#[test]
fn go_exported_declarations_and_package_docs() {
    let src = r#"// Package ratelimit provides token buckets.
//
// Use it like this:
//
//	b := ratelimit.New(10)
//	b.Take()
package ratelimit

// Bucket is a token bucket.
type Bucket struct {
	rate int
}

// New returns a bucket that refills at rate tokens a second.
func New(rate int) *Bucket {
	return &Bucket{rate: rate}
}

// Take waits for a token.
func (b *Bucket) Take() time.Time {
	return time.Now()
}

// take is unexported.
func (b *Bucket) take() {}

// Modes of a bucket.
const (
	Blocking = iota
	NonBlocking
)

var (
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("closed")
)
"#;
    let doc = extract(src, "ratelimit/bucket.go");
    assert_eq!(
        names(&doc),
        [
            "ratelimit",
            "ratelimit.Bucket",
            "ratelimit.New",
            "ratelimit.Bucket.Take",
            "ratelimit.Blocking",
            "ratelimit.ErrClosed"
        ]
    );
    assert_eq!(doc.title.as_deref(), Some("ratelimit"));
    let module_text: String = doc.sections[0]
        .blocks
        .iter()
        .map(|b| b.text.clone())
        .collect();
    assert!(
        module_text.contains("```go\nb := ratelimit.New(10)\nb.Take()\n```"),
        "{module_text}"
    );
    let (sig, _) = item(&doc, "ratelimit.Bucket.Take");
    assert_eq!(sig, "```go\nfunc (b *Bucket) Take() time.Time\n```");
    let (sig, _) = item(&doc, "ratelimit.Bucket");
    assert_eq!(sig, "```go\ntype Bucket struct {\n\trate int\n}\n```");
}

#[test]
fn java_public_members_with_javadoc() {
    let src = r#"package com.example.http;

/**
 * An HTTP client.
 * <p>Use {@link #send} to send requests:
 * <pre>{@code
 * Client c = new Client();
 * c.send(req);
 * }</pre>
 */
public class Client {
    /** The default timeout, in seconds. */
    public static final int TIMEOUT = 30;

    /** Creates a client. */
    public Client() {}

    /**
     * Sends a request.
     * @param request the request
     * @return the response
     */
    @Override
    public Response send(Request request) throws IOException {
        return null;
    }

    /** Not API. */
    private void reset() {}

    /** A listener. */
    public interface Listener {
        /** Called on each response. */
        void onResponse(Response r);
    }
}

/** Package-private. */
class Hidden {}
"#;
    let doc = extract(src, "src/main/java/com/example/http/Client.java");
    assert_eq!(
        names(&doc),
        [
            "com.example.http.Client",
            "com.example.http.Client.TIMEOUT",
            "com.example.http.Client.Client",
            "com.example.http.Client.send",
            "com.example.http.Client.Listener",
            "com.example.http.Client.Listener.onResponse"
        ]
    );
    let (_, docs) = item(&doc, "com.example.http.Client");
    assert!(docs.contains("Use `#send` to send requests:"), "{docs}");
    assert!(
        docs.contains("```java\nClient c = new Client();\nc.send(req);\n```"),
        "{docs}"
    );
    let (sig, _) = item(&doc, "com.example.http.Client.send");
    assert_eq!(
        sig,
        "```java\n@Override\npublic Response send(Request request) throws IOException\n```"
    );
}

#[test]
fn c_headers_and_cpp_classes() {
    let c = r#"/* Copyright banner. */

#ifndef MINI_H
#define MINI_H

/** Maximum length of a key. */
#define MINI_KEY_MAX 64

/**
 * Opens a database at @p path.
 * \code
 * mini_db *db = mini_open("x.db");
 * \endcode
 */
mini_db *mini_open(const char *path);

/* A key-value pair. */
typedef struct {
    const char *key;
    const char *value;
} mini_pair;

static int helper(void) { return 0; }

#endif
"#;
    let doc = extract(c, "include/mini.h");
    assert_eq!(names(&doc), ["MINI_KEY_MAX", "mini_open", "mini_pair"]);
    let (sig, docs) = item(&doc, "mini_open");
    assert_eq!(sig, "```cpp\nmini_db *mini_open(const char *path)\n```");
    assert!(
        docs.contains("```cpp\nmini_db *db = mini_open(\"x.db\");\n```"),
        "{docs}"
    );

    let cpp = r#"namespace net {

/// A TCP connection.
class Connection {
  public:
    /// Connects to `host`.
    explicit Connection(const std::string& host);

    /// Sends bytes; returns how many were sent.
    size_t send(const void* data, size_t len);

  private:
    /// Not API.
    void reset();
};

/// Parses an address.
template <typename T>
T parse(const std::string& s) {
    return T{};
}

}  // namespace net
"#;
    let doc = extract(cpp, "src/net/connection.hpp");
    assert_eq!(
        names(&doc),
        [
            "net::Connection",
            "net::Connection::Connection",
            "net::Connection::send",
            "net::parse"
        ]
    );
    let (sig, _) = item(&doc, "net::parse");
    assert_eq!(
        sig,
        "```cpp\ntemplate <typename T>\nT parse(const std::string& s)\n```"
    );
    let (sig, _) = item(&doc, "net::Connection::send");
    assert_eq!(
        sig,
        "```cpp\nsize_t send(const void* data, size_t len)\n```"
    );
}

#[test]
fn rust_wrapper_macros_fields_variants_and_hidden_items() {
    let src = r#"cfg_rt! {
    /// Spawns a blocking task.
    pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R> {
        todo!()
    }
}

/// Settings.
pub struct Config {
    /// Worker threads.
    pub workers: usize,
    /// Private field.
    secret: u8,
}

/// What went wrong.
pub enum Error {
    /// The deadline passed.
    Elapsed,
}

/// Hidden helper.
#[doc(hidden)]
pub fn hidden() {}

/// Crate-internal.
pub(crate) fn internal() {}

#[cfg(test)]
mod tests {
    /// Not API.
    pub fn t() {}
}
"#;
    let doc = extract(src, "src/task/blocking.rs");
    assert_eq!(
        names(&doc),
        [
            "task::blocking::spawn_blocking",
            "task::blocking::Config",
            "task::blocking::Config::workers",
            "task::blocking::Error",
            "task::blocking::Error::Elapsed"
        ]
    );
    // Documented, not public: kept, marked internal; tests still skipped.
    assert_eq!(
        internal_names(&doc),
        ["task::blocking::Config::secret", "task::blocking::internal"]
    );
    let section = &doc.sections[0];
    assert_eq!(
        section.blocks[0].text,
        "```rust\npub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>\n```"
    );
    assert_eq!(section.blocks[0].start_line, 3);
    assert_eq!(section.blocks[1].start_line, 2);
}

#[test]
fn broken_source_is_parsed_partially_and_never_panics() {
    // A syntax error in one function leaves the next one extractable.
    let src =
        "/// Good.\npub fn good() {}\n\npub fn broken( {\n\n/// Also good.\npub fn after() {}\n";
    let doc = extract(src, "src/lib.rs");
    assert!(
        names(&doc).contains(&"good".to_owned()),
        "{:?}",
        names(&doc)
    );

    // Truncated files, stray bytes and odd nesting in every language.
    let samples = [
        "/** doc */ export function f(a, b",
        "def f(:\n    \"\"\"doc\n",
        "package p\n// Doc\nfunc F(",
        "/** doc */ public class {",
        "/// doc\nint f(int a,",
        "\u{fffd}\u{fffd} /// \u{0}\n pub fn",
        &"{[(".repeat(5000),
        &format!("/// d\npub mod a {{ {} }}", "pub mod b { ".repeat(300)),
    ];
    for grammar in GRAMMARS {
        for sample in &samples {
            let path = format!("src/x.{}", grammar.extensions[0]);
            parse_code(sample, &path, grammar.language, &|_| None).unwrap();
        }
    }
}

#[test]
fn rust_internal_rules_get_their_trait_impl_messages() {
    let src = r#"use crate::Violation;

/// ## What it does
/// Checks for unused variables.
#[derive(ViolationMetadata)]
pub(crate) struct UnusedVariable {
    pub name: String,
}

impl Violation for UnusedVariable {
    fn message(&self) -> String {
        let UnusedVariable { name } = self;
        format!("Local variable `{name}` is assigned to but never used")
    }

    fn fix_title(&self) -> Option<String> {
        Some(format!("Remove assignment to unused variable `{}`", self.name))
    }
}

impl UnusedVariable {
    fn helper(&self) -> &str {
        "not a message of a trait impl"
    }
}
"#;
    let doc = extract(src, "src/rules/pyflakes/rules/unused_variable.rs");
    assert_eq!(
        internal_names(&doc),
        ["rules::pyflakes::rules::unused_variable::UnusedVariable"]
    );
    let section = &doc.sections[0];
    let messages = section.blocks.last().unwrap();
    assert_eq!(
        messages.text,
        "Messages:\n- Local variable `{name}` is assigned to but never used\n\
         - Remove assignment to unused variable `{}`"
    );
    // The block keeps the item's signature line, not the impl's (13-17).
    assert_eq!((messages.start_line, messages.end_line), (6, 6));
}

#[test]
fn python_detached_docstrings_and_docstring_bounded_ranges() {
    let src = r#"_shared_docs = {}

_shared_docs["to_sql"] = """
Write records stored in a DataFrame to a SQL database.

Parameters
----------
name : str
"""

_merge_doc = dedent("""
Merge DataFrame or named Series objects.

Returns
-------
DataFrame
""")

add_newdoc('numpy._core.multiarray', 'array',
    """
    array(object, dtype=None)

    Create an array.
    """)

add_newdoc('numpy._core', 'flatiter', ('base',
    """
    A reference to the array that is iterated over.
    """))

NAME = "short"

class Frame:
    """A table.

    Two-dimensional.
    """

    def a(self):
        """First."""
        return 1

    def b(self):
        """Second."""
        return 2
"#;
    let doc = extract(src, "pkg/core/frame.py");
    assert_eq!(
        names(&doc),
        [
            "pkg.core.frame.to_sql",
            "pkg.core.frame._merge_doc",
            "numpy._core.multiarray.array",
            "numpy._core.flatiter.base",
            "pkg.core.frame.Frame",
            "pkg.core.frame.Frame.a",
            "pkg.core.frame.Frame.b",
        ]
    );
    let frame = doc
        .sections
        .iter()
        .find(|s| s.breadcrumb[0] == "pkg.core.frame.Frame")
        .unwrap();
    let end = frame.blocks.iter().map(|b| b.end_line).max().unwrap();
    assert_eq!(end, 37, "the class's section ends with its docstring");
}

#[test]
fn python_functions_list_the_messages_they_raise() {
    let src = r#"class Frame:
    """A table."""

    def reindex(self, labels, axis=0):
        """Conform the frame to new labels."""
        if not self.index.is_unique:
            raise ValueError("cannot reindex on an axis with duplicate labels")
        if axis not in (0, 1):
            raise ValueError(
                f"No axis named {axis} for object type "
                f"{type(self).__name__}"
            )
        def helper():
            raise RuntimeError("not a message of reindex itself")
        raise ValueError("cannot reindex on an axis with duplicate labels")

    def drop(self, label):
        """Remove a label."""
        raise KeyError(label)
        raise err.Missing('%s not found in axis' % label)
"#;
    let doc = extract(src, "pkg/frame.py");
    let text = |name: &str| -> Vec<String> {
        doc.sections
            .iter()
            .find(|s| s.breadcrumb[0] == name)
            .unwrap()
            .blocks
            .iter()
            .map(|b| b.text.clone())
            .collect()
    };
    let reindex = text("pkg.frame.Frame.reindex");
    assert_eq!(
        reindex.last().unwrap(),
        "Raises:\n- ValueError: cannot reindex on an axis with duplicate labels\n\
         - ValueError: No axis named {axis} for object type {type(self).__name__}"
    );
    let section = doc
        .sections
        .iter()
        .find(|s| s.breadcrumb[0] == "pkg.frame.Frame.reindex")
        .unwrap();
    let raises = section.blocks.last().unwrap();
    assert_eq!((raises.start_line, raises.end_line), (4, 5));
    // A bare name or a formatted expression is no message to list.
    assert!(
        text("pkg.frame.Frame.drop")
            .iter()
            .all(|t| !t.starts_with("Raises"))
    );
}

#[test]
fn python_functions_get_the_templates_their_decorators_apply() {
    let src = r#"from pandas.util._decorators import Appender

_doc_read = (
    r"""
{summary}

Parameters
----------
sep : str, default {_default_sep}
    Character or regex pattern to treat as the delimiter.
na_values : list
    By default these are interpreted as NaN: " """
    + fill('", "'.join(sorted(STR_NA_VALUES)), 70)
    + """ ".
"""
)


@Appender(
    _doc_read.format(
        func_name="read_csv",
        summary="Read a comma-separated values (csv) file into DataFrame.",
        _default_sep="','",
        storage_options=_shared_docs["storage_options"],
    )
)
def read_csv(filepath, sep=None):
    return _read(filepath, sep)


@Appender(_doc_read)
def read_table(filepath, sep="\t"):
    return _read(filepath, sep)


@other_decorator
def undocumented(x):
    return x
"#;
    let doc = extract(src, "pkg/readers.py");
    let names: Vec<&str> = doc
        .sections
        .iter()
        .map(|s| s.breadcrumb[0].as_str())
        .collect();
    // The template applied is not a section of its own.
    assert_eq!(names, ["pkg.readers.read_csv", "pkg.readers.read_table"]);
    let read_csv = &doc.sections[0];
    let text: Vec<&str> = read_csv.blocks.iter().map(|b| b.text.as_str()).collect();
    let all = text.join("\n");
    assert!(
        all.contains("Read a comma-separated values (csv) file into DataFrame."),
        "{all}"
    );
    assert!(all.contains("default ','"), "{all}");
    // Its lines are the template's, where its text is read, not the function's.
    let lines: Vec<(u32, u32)> = read_csv
        .blocks
        .iter()
        .map(|b| (b.start_line, b.end_line))
        .collect();
    assert!(lines.iter().all(|&(s, e)| s >= 4 && e <= 15), "{lines:?}");
    assert_eq!(
        lines[0],
        (4, 4),
        "the signature at the template's first line"
    );
    assert!(all.contains("interpreted as NaN"), "{all}");
    let read_table: Vec<&str> = doc.sections[1]
        .blocks
        .iter()
        .map(|b| b.text.as_str())
        .collect();
    assert!(read_table.join("\n").contains("{summary}"));
}

#[test]
fn rust_macros_documented_by_a_doc_macro_get_its_docs() {
    let src = r#"macro_rules! doc {
    ($select:item) => {
        /// Waits on multiple concurrent branches, returning when the **first**
        /// branch completes, cancelling the remaining branches.
        #[macro_export]
        $select
    };
}

#[cfg(doc)]
doc! {macro_rules! select {
    {
        $(
            biased;
        )?
    } => {
        unimplemented!()
    };
}}

#[cfg(not(doc))]
doc! {macro_rules! select {
    () => {};
}}

macro_rules! not_a_doc_macro {
    ($e:expr) => {
        /// A comment inside an expansion that does more.
        let x = $e;
    };
}
"#;
    let doc = extract(src, "src/macros/select.rs");
    let found: Vec<_> = doc
        .sections
        .iter()
        .filter(|s| s.breadcrumb[0] == "macros::select::select!")
        .collect();
    assert_eq!(found.len(), 1, "{:#?}", doc.sections);
    let section = found[0];
    let text: Vec<&str> = section.blocks.iter().map(|b| b.text.as_str()).collect();
    assert!(
        text.join("\n")
            .contains("Waits on multiple concurrent branches"),
        "{text:?}"
    );
    // The docs keep their own lines (3-4), where a reader finds them.
    assert!(
        section.blocks.iter().any(|b| b.start_line == 3),
        "{:?}",
        section.blocks
    );
}

#[test]
fn rust_functions_that_panic_with_a_message_get_a_section() {
    let src = r#"pub(crate) fn assert_app(cmd: &Command) {
    for arg in cmd.get_arguments() {
        if let Some(s) = arg.get_short() {
            panic!(
                "Command {}: Short option names must be unique for each argument, \
                        but '-{}' is in use by both '{}' and '{}'",
                cmd.get_name(),
                s,
            )
        }
        assert!(arg.is_set(), "Argument {} must be set before building", arg.get_id());
        let f = || panic!("inside a closure: not this function's");
    }
}

impl Command {
    fn build(&mut self) {
        debug_assert!(!self.built, "Command built twice: call build only once");
    }
}

fn quiet() {
    panic!("{}", MESSAGE);
}
"#;
    let doc = extract(src, "src/builder/debug_asserts.rs");
    let messages: Vec<(&str, &str, u32, u32)> = doc
        .sections
        .iter()
        .map(|s| {
            let b = &s.blocks[0];
            (
                s.breadcrumb[0].as_str(),
                b.text.as_str(),
                b.start_line,
                b.end_line,
            )
        })
        .collect();
    assert_eq!(
        messages,
        [
            (
                "builder::debug_asserts::assert_app",
                "Messages:\n- Command {}: Short option names must be unique for each argument, \
                 but '-{}' is in use by both '{}' and '{}'\n\
                 - Argument {} must be set before building",
                4,
                11
            ),
            (
                "builder::debug_asserts::Command::build",
                "Messages:\n- Command built twice: call build only once",
                18,
                18
            ),
        ]
    );
}
