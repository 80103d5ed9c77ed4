//! Where text comes from: the documentation files of a folder or repository,
//! and the identity (id, title, description) of the library they document.
//!
//! Skipping is data, not failure: every file that is not indexed is reported
//! with the reason.

mod config;
mod git;
mod library;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub use config::{
    CONFIG_FILES, LibraryConfig, MAX_CONFIG_BYTES, PathFilter, PreviousVersion, apply_config,
    load_config, load_config_with,
};
pub use git::{GitError, GitSource, Location, Revision, locate};
pub use library::{
    LibraryIdentity, MAX_README_BYTES, identify_from_git, identify_library, normalize_library_id,
    remote_url,
};

use crate::parse::{Format, in_dir};

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{0} does not exist or is not a folder")]
    NotAFolder(PathBuf),
}

/// Limits and switches for crawling.
#[derive(Debug, Clone)]
pub struct CrawlOptions {
    /// Files larger than this many bytes are skipped.
    pub max_file_size: u64,
    /// Index test code and test folders too.
    pub include_tests: bool,
    /// The library config's folder and file rules.
    pub filter: PathFilter,
}

impl Default for CrawlOptions {
    fn default() -> Self {
        CrawlOptions {
            max_file_size: 2 << 20,
            include_tests: false,
            filter: PathFilter::default(),
        }
    }
}

/// A documentation file read from the source, with its repository-relative path.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Relative path with `/` separators.
    pub path: String,
    pub format: Format,
    pub text: String,
}

/// Why a file was not indexed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SkipReason {
    TooLarge,
    Binary,
    Changelog,
    License,
    Translation,
    Test,
    /// Left out by `folders`/`excludeFolders`/`excludeFiles` in the library config.
    ExcludedByConfig,
    Unreadable(String),
    /// A symbolic link: never followed, in or out of the repository.
    Symlink,
    /// A git submodule: another repository, not fetched.
    Submodule,
    /// Past the library's file limit (`--max-files`).
    FileLimit,
    /// Not a documentation format TwinMCP parses; carries the extension.
    Unsupported(String),
    /// Minified or bundled build output (`*.min.js`, or lines thousands of
    /// characters long): generated from sources that say more.
    Generated,
    /// A generated page that lists other pages (Sphinx's `genindex.html`,
    /// javadoc's `index-all.html`): their names, none of their content.
    IndexPage,
    /// A web application's page template (`templates/base.html`): its
    /// code, not its documentation.
    Template,
    /// Sphinx's copy of a page's source (`_sources/x.rst.txt`) beside the
    /// built page (`x.html`), which says the same and more.
    SourceCopy,
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::TooLarge => f.write_str("over the size limit"),
            SkipReason::Binary => f.write_str("binary"),
            SkipReason::Changelog => f.write_str("changelog"),
            SkipReason::License => f.write_str("licence"),
            SkipReason::Translation => f.write_str("translation"),
            SkipReason::Test => f.write_str("test code"),
            SkipReason::ExcludedByConfig => f.write_str("excluded by the library config"),
            SkipReason::Unreadable(e) => write!(f, "unreadable: {e}"),
            SkipReason::Symlink => f.write_str("symbolic link (not followed)"),
            SkipReason::Submodule => f.write_str("submodule (not fetched)"),
            SkipReason::FileLimit => f.write_str("over the file limit"),
            SkipReason::Unsupported(ext) => write!(f, "unsupported format .{ext}"),
            SkipReason::Generated => f.write_str("minified or bundled"),
            SkipReason::IndexPage => f.write_str("index of other pages"),
            SkipReason::Template => f.write_str("page template"),
            SkipReason::SourceCopy => f.write_str("copy of a built page's source"),
        }
    }
}

/// The outcome of crawling one folder.
#[derive(Debug, Default)]
pub struct Crawl {
    pub files: Vec<SourceFile>,
    pub skipped: Vec<(String, SkipReason)>,
}

impl Crawl {
    /// Skipped files counted by reason; unsupported formats grouped by extension.
    pub fn skip_summary(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for (_, reason) in &self.skipped {
            let key = match reason {
                SkipReason::Unreadable(_) => "unreadable".to_owned(),
                other => other.to_string(),
            };
            *out.entry(key).or_insert(0) += 1;
        }
        out
    }
}

/// Folders that never hold a library's own documentation.
const SKIP_DIRS: &[&str] = &[
    "node_modules",
    "target",
    "build",
    "dist",
    "out",
    "_build",
    "site-packages",
    "vendor",
    "__pycache__",
    ".git",
    ".hg",
    ".svn",
    "venv",
    ".venv",
    ".tox",
    "coverage",
    "htmlcov",
];

/// Language codes that mark translated documentation trees.
const LANGUAGES: &[&str] = &[
    "ar", "bg", "bn", "ca", "cs", "da", "de", "el", "es", "fa", "fi", "fr", "he", "hi", "hu", "id",
    "it", "ja", "ko", "nl", "no", "pl", "pt", "pt-br", "pt_br", "ro", "ru", "sk", "sv", "th", "tr",
    "uk", "vi", "zh", "zh-cn", "zh_cn", "zh-hans", "zh-hant", "zh-tw", "zh_tw", "cn",
];

/// Lists and reads the documentation files under `root`, honouring
/// `.gitignore` and the skip rules.
pub fn crawl_folder(root: &Path, options: &CrawlOptions) -> Result<Crawl, SourceError> {
    if !root.is_dir() {
        return Err(SourceError::NotAFolder(root.to_owned()));
    }
    let walker = ignore::WalkBuilder::new(root)
        .hidden(true)
        .git_ignore(true)
        .git_exclude(true)
        .require_git(false)
        .parents(false)
        .follow_links(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            !(e.file_type().is_some_and(|t| t.is_dir()) && SKIP_DIRS.contains(&name.as_ref()))
        })
        .build();
    let mut crawl = Crawl::default();
    let mut candidates = Vec::new();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                crawl
                    .skipped
                    .push((String::new(), SkipReason::Unreadable(e.to_string())));
                continue;
            }
        };
        let Ok(rel) = entry.path().strip_prefix(root) else {
            continue;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        if entry.path_is_symlink() {
            crawl.skipped.push((rel, SkipReason::Symlink));
            continue;
        }
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        candidates.push((rel, entry.path().to_owned()));
    }
    Ok(crawl_entries(crawl, candidates, options, |abs, max| {
        read_regular_file(abs, max)
    }))
}

/// Applies the skip rules to `candidates` (relative path, handle) and reads
/// the files that pass with `read(handle, size limit)`; shared by the
/// folder and the git crawlers.
pub(crate) fn crawl_entries<E>(
    mut crawl: Crawl,
    candidates: Vec<(String, E)>,
    options: &CrawlOptions,
    mut read: impl FnMut(&E, u64) -> Result<Vec<u8>, SkipReason>,
) -> Crawl {
    let paths: Vec<&str> = candidates.iter().map(|(rel, _)| rel.as_str()).collect();
    let english_trees = english_trees(&paths);
    let pages: BTreeSet<&str> = paths.iter().copied().collect();
    let copies: Vec<bool> = paths
        .iter()
        .map(|rel| built_page(rel).is_some_and(|page| pages.contains(page.as_str())))
        .collect();
    for ((rel, handle), copy) in candidates.into_iter().zip(copies) {
        let format = Format::from_path(&rel);
        if !options.filter.allows(&rel) {
            crawl.skipped.push((rel, SkipReason::ExcludedByConfig));
            continue;
        }
        if copy {
            crawl.skipped.push((rel, SkipReason::SourceCopy));
            continue;
        }
        if let Some(reason) = skip_by_name(&rel, format, options, &english_trees) {
            crawl.skipped.push((rel, reason));
            continue;
        }
        let Some(format) = format else {
            let name = rel.rsplit('/').next().unwrap_or(&rel);
            let ext = name
                .rsplit_once('.')
                .map_or_else(|| "(none)".to_owned(), |(_, e)| e.to_ascii_lowercase());
            crawl.skipped.push((rel, SkipReason::Unsupported(ext)));
            continue;
        };
        let max = options.max_file_size;
        let text = read(&handle, max).and_then(|bytes| {
            let bytes = if rel.to_ascii_lowercase().ends_with(".gz") {
                gunzip(&bytes, max)?
            } else {
                bytes
            };
            decode_text(bytes, &rel)
        });
        match text {
            Ok(text) if is_generated(format, &text) => {
                crawl.skipped.push((rel, SkipReason::Generated))
            }
            Ok(text) => crawl.files.push(SourceFile {
                path: rel,
                format,
                text,
            }),
            Err(reason) => crawl.skipped.push((rel, reason)),
        }
    }
    crawl
}

/// The page Sphinx built from the source it copied to `rel`:
/// `html/_sources/library/json.rst.txt` → `html/library/json.html`.
fn built_page(rel: &str) -> Option<String> {
    let (root, source) = match rel.split_once("/_sources/") {
        Some((root, source)) => (format!("{root}/"), source),
        None => (String::new(), rel.strip_prefix("_sources/")?),
    };
    let source = source.strip_suffix(".txt")?;
    let stem = match source.rsplit_once('.') {
        Some((stem, ext)) if !ext.contains('/') => stem,
        _ => source,
    };
    Some(format!("{root}{stem}.html"))
}

/// Parent folders that hold both language-coded subfolders and English text;
/// translations are skipped only there.
fn english_trees(files: &[&str]) -> Vec<String> {
    let mut parents: BTreeMap<String, (bool, bool)> = BTreeMap::new();
    for rel in files {
        let parts: Vec<&str> = rel.split('/').collect();
        for (i, name) in parts.iter().enumerate() {
            let entry = parents.entry(parts[..i].join("/")).or_default();
            let is_dir = i + 1 < parts.len();
            if is_dir && LANGUAGES.contains(&name.to_ascii_lowercase().as_str()) {
                entry.0 = true;
            } else {
                entry.1 = true;
            }
        }
    }
    parents
        .into_iter()
        .filter(|(_, (lang, english))| *lang && *english)
        .map(|(p, _)| p)
        .collect()
}

/// Script whose lines run long: minified or bundled output. Source that
/// people write keeps lines short; a minifier joins whole files.
fn is_generated(format: Format, text: &str) -> bool {
    if !matches!(format, Format::Code(_)) || text.len() < 2048 {
        return false;
    }
    let longest = text.lines().map(str::len).max().unwrap_or(0);
    let lines = text.lines().count().max(1);
    longest > 5000 || text.len() / lines > 400
}

/// Generated pages that list other pages: Sphinx's search and module
/// indexes, javadoc's indexes, trees and help (`genindex*` too).
const INDEX_PAGES: &[&str] = &[
    "search",
    "py-modindex",
    "np-modindex",
    "modindex",
    "index-all",
    "allclasses-index",
    "allclasses-frame",
    "allclasses-noframe",
    "allpackages-index",
    "overview-tree",
    "package-tree",
    "help-doc",
];

fn skip_by_name(
    rel: &str,
    format: Option<Format>,
    options: &CrawlOptions,
    english_trees: &[String],
) -> Option<SkipReason> {
    let name = rel.rsplit('/').next().unwrap_or(rel).to_ascii_lowercase();
    if [
        ".min.js",
        ".min.mjs",
        ".min.cjs",
        ".bundle.js",
        "-bundle.js",
    ]
    .iter()
    .any(|s| name.ends_with(s))
    {
        return Some(SkipReason::Generated);
    }
    if format == Some(Format::Html) {
        if in_dir(rel, &["templates", "_templates"]) {
            return Some(SkipReason::Template);
        }
        let stem = name
            .rsplit_once('.')
            .map_or(name.as_str(), |(stem, _)| stem);
        if stem.starts_with("genindex") || INDEX_PAGES.contains(&stem) {
            return Some(SkipReason::IndexPage);
        }
    }
    if ["changelog", "changes", "history", "news", "releases"]
        .iter()
        .any(|p| name.starts_with(p))
    {
        return Some(SkipReason::Changelog);
    }
    if ["license", "licence", "copying", "notice"]
        .iter()
        .any(|p| name.starts_with(p))
    {
        return Some(SkipReason::License);
    }
    let parts: Vec<&str> = rel.split('/').collect();
    let dirs = &parts[..parts.len() - 1];
    if in_dir(rel, &["i18n", "locales"]) {
        return Some(SkipReason::Translation);
    }
    for (i, dir) in dirs.iter().enumerate() {
        let parent = parts[..i].join("/");
        if LANGUAGES.contains(&dir.to_ascii_lowercase().as_str()) && english_trees.contains(&parent)
        {
            return Some(SkipReason::Translation);
        }
    }
    if !options.include_tests {
        let in_test_dir = in_dir(
            rel,
            &[
                "tests",
                "test",
                "testing",
                "benches",
                "fuzz",
                "__tests__",
                "__mocks__",
            ],
        );
        let stem = name.split('.').next().unwrap_or(&name);
        let test_file = matches!(format, Some(Format::Code(_)))
            && (name.starts_with("test_")
                || stem.ends_with("_test")
                || stem.ends_with("_tests")
                || name.contains(".test.")
                || name.contains(".spec.")
                || rel.ends_with("Test.java")
                || rel.ends_with("Tests.java")
                || name == "conftest.py"
                || name == "tests.rs");
        if in_test_dir || test_file {
            return Some(SkipReason::Test);
        }
    }
    None
}

/// The bytes of the regular file at `path`, refusing symbolic links (never
/// followed out of a repository), other kinds of files and files over
/// `max` bytes. The size is checked on the open file, and at most `max`
/// bytes are read even if it grows meanwhile.
pub(crate) fn read_regular_file(path: &Path, max: u64) -> Result<Vec<u8>, SkipReason> {
    use std::io::Read;
    let unreadable = |e: std::io::Error| SkipReason::Unreadable(e.to_string());
    let meta = std::fs::symlink_metadata(path).map_err(unreadable)?;
    if meta.file_type().is_symlink() {
        return Err(SkipReason::Symlink);
    }
    if !meta.is_file() {
        return Err(SkipReason::Unreadable("not a regular file".into()));
    }
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let len = file.metadata().map_err(unreadable)?.len();
    if len > max {
        return Err(SkipReason::TooLarge);
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > max {
        return Err(SkipReason::TooLarge);
    }
    Ok(bytes)
}

/// The content of a gzip file (a compressed manual page), refused past
/// `max` bytes unpacked as a plain file would be.
fn gunzip(bytes: &[u8], max: u64) -> Result<Vec<u8>, SkipReason> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .take(max + 1)
        .read_to_end(&mut out)
        .map_err(|e| SkipReason::Unreadable(format!("not a valid gzip file: {e}")))?;
    if out.len() as u64 > max {
        return Err(SkipReason::TooLarge);
    }
    Ok(out)
}

/// Text in UTF-16, told by its byte-order mark or, without one, by the
/// zero bytes of ASCII characters falling on every other byte.
fn decode_utf16(bytes: &[u8]) -> Option<String> {
    let (little, body) = match bytes {
        [0xff, 0xfe, rest @ ..] => (true, rest),
        [0xfe, 0xff, rest @ ..] => (false, rest),
        _ if bytes.len() >= 4 && bytes.len().is_multiple_of(2) => {
            let zeros_at = |odd: bool| {
                bytes
                    .iter()
                    .skip(usize::from(odd))
                    .step_by(2)
                    .filter(|&&b| b == 0)
                    .count()
            };
            let half = bytes.len() / 2;
            let (even, odd) = (zeros_at(false), zeros_at(true));
            if odd * 10 >= half * 9 && even == 0 {
                (true, bytes)
            } else if even * 10 >= half * 9 && odd == 0 {
                (false, bytes)
            } else {
                return None;
            }
        }
        _ => return None,
    };
    let units = body.chunks_exact(2).map(|pair| {
        if little {
            u16::from_le_bytes([pair[0], pair[1]])
        } else {
            u16::from_be_bytes([pair[0], pair[1]])
        }
    });
    Some(
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect(),
    )
}

/// File bytes as text. UTF-16 (with a byte-order mark, or plainly so) is
/// converted; a UTF-8 byte-order mark is dropped; invalid UTF-8 is replaced
/// (and said so) rather than losing the file. NUL bytes mean binary, unless
/// they are a stray few (under 1 in 1,000 bytes) in text, which are dropped.
pub fn decode_text(bytes: Vec<u8>, label: &str) -> Result<String, SkipReason> {
    if let Some(text) = decode_utf16(&bytes) {
        tracing::info!("{label}: UTF-16 text converted");
        return Ok(text);
    }
    let nuls = bytes.iter().filter(|&&b| b == 0).count();
    let bytes = if nuls == 0 {
        bytes
    } else if nuls * 1000 < bytes.len() {
        tracing::warn!("{label}: {nuls} NUL bytes dropped");
        bytes.into_iter().filter(|&b| b != 0).collect()
    } else {
        return Err(SkipReason::Binary);
    };
    match String::from_utf8(bytes) {
        Ok(s) => Ok(s.strip_prefix('\u{feff}').map(str::to_owned).unwrap_or(s)),
        Err(e) => {
            let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
            tracing::warn!("{label}: not valid UTF-8; invalid bytes replaced");
            Ok(lossy)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &[u8]) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn built_html_docs_skip_their_index_pages_and_source_copies() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        for page in [
            "index.html",
            "library/json.html",
            "genindex.html",
            "search.html",
        ] {
            write(root, &format!("html/{page}"), b"<h1>Page</h1><p>text</p>");
        }
        write(root, "html/_sources/library/json.rst.txt", b"json\n====\n");
        write(root, "html/_sources/library/gone.rst.txt", b"gone\n====\n");
        write(root, "html/_sources/index.txt", b"Index\n=====\n");
        write(root, "app/templates/base.html", b"<h1>Site</h1>");
        let crawl = crawl_folder(root, &CrawlOptions::default()).unwrap();
        let paths: Vec<&str> = crawl.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "html/_sources/library/gone.rst.txt",
                "html/index.html",
                "html/library/json.html"
            ],
            "{:?}",
            crawl.skipped
        );
        let why = |path: &str| {
            crawl
                .skipped
                .iter()
                .find(|(p, _)| p == path)
                .map(|(_, w)| w.clone())
        };
        assert_eq!(why("html/genindex.html"), Some(SkipReason::IndexPage));
        assert_eq!(why("app/templates/base.html"), Some(SkipReason::Template));
        assert_eq!(why("html/search.html"), Some(SkipReason::IndexPage));
        assert_eq!(why("html/_sources/index.txt"), Some(SkipReason::SourceCopy));
        assert_eq!(
            why("html/_sources/library/json.rst.txt"),
            Some(SkipReason::SourceCopy)
        );
        assert_eq!(built_page("_sources/a.md.txt").as_deref(), Some("a.html"));
        assert_eq!(built_page("docs/a.rst.txt"), None);
    }

    #[test]
    fn minified_and_bundled_scripts_are_skipped() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let source = "/** Adds two numbers. */\nexport function add(a, b) {\n  return a + b;\n}\n"
            .repeat(40);
        let minified = format!("/*! lib */{}", "function f(a,b){return a+b};".repeat(300));
        write(root, "src/add.js", source.as_bytes());
        write(root, "lib/add.js", minified.as_bytes());
        write(root, "lib/add.min.js", source.as_bytes());
        let crawl = crawl_folder(root, &CrawlOptions::default()).unwrap();
        let paths: Vec<&str> = crawl.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["src/add.js"], "{root:?} {:?}", crawl.skipped);
        assert!(
            crawl
                .skipped
                .iter()
                .filter(|(_, why)| *why == SkipReason::Generated)
                .count()
                == 2,
            "{:?}",
            crawl.skipped
        );
    }

    #[test]
    fn utf16_and_stray_nuls_are_text_and_many_nuls_are_binary() {
        let utf16 = |text: &str, little: bool, bom: bool| -> Vec<u8> {
            let mut out = Vec::new();
            if bom {
                out.extend(if little { [0xff, 0xfe] } else { [0xfe, 0xff] });
            }
            for unit in text.encode_utf16() {
                out.extend(if little {
                    unit.to_le_bytes()
                } else {
                    unit.to_be_bytes()
                });
            }
            out
        };
        let text = "# Título\n\nUTF-16 docs ✓\n";
        for (little, bom) in [(true, true), (false, true), (true, false), (false, false)] {
            assert_eq!(
                decode_text(utf16(text, little, bom), "t").unwrap(),
                text,
                "little endian {little}, BOM {bom}"
            );
        }
        let mut stray = b"# Title\n\n".repeat(200);
        stray.insert(30, 0);
        assert!(!decode_text(stray, "t").unwrap().contains('\0'));
        let png = [&b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"[..], &[0u8; 64]].concat();
        assert_eq!(decode_text(png, "t"), Err(SkipReason::Binary));
        // Odd length, lone surrogates: replaced, never a panic.
        assert!(decode_text(vec![0xff, 0xfe, 0x00, 0xd8, 0x41], "t").is_ok());
    }

    #[test]
    fn crawl_keeps_docs_and_reports_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "README.md", b"# Lib\n");
        write(root, "docs/guide.md", b"# Guide\n");
        write(root, "docs/fr/guide.md", b"# Guide FR\n");
        write(root, "docs/api.rst", b"API\n===\n");
        write(root, "CHANGELOG.md", b"# 1.0\n");
        write(root, "LICENSE.md", b"MIT\n");
        write(root, "node_modules/x/README.md", b"# dep\n");
        write(root, "bin.md", b"a\0b");
        write(root, "big.md", &[b'a'; 100]);
        write(root, "ignored/secret.md", b"# no\n");
        write(root, ".gitignore", b"ignored/\n");
        write(root, "src/lib.rs", b"//! Lib\n");
        write(root, "tests/it.rs", b"//! test\n");
        write(root, "logo.png", b"png");
        let crawl = crawl_folder(
            root,
            &CrawlOptions {
                max_file_size: 50,
                ..Default::default()
            },
        )
        .unwrap();
        let paths: Vec<&str> = crawl.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            ["README.md", "docs/api.rst", "docs/guide.md", "src/lib.rs"]
        );
        let reasons: BTreeMap<&str, String> = crawl
            .skipped
            .iter()
            .map(|(p, r)| (p.as_str(), r.to_string()))
            .collect();
        assert_eq!(reasons["CHANGELOG.md"], "changelog");
        assert_eq!(reasons["LICENSE.md"], "licence");
        assert_eq!(reasons["bin.md"], "binary");
        assert_eq!(reasons["big.md"], "over the size limit");
        assert_eq!(reasons["docs/fr/guide.md"], "translation");
        assert_eq!(reasons["tests/it.rs"], "test code");
        assert_eq!(reasons["logo.png"], "unsupported format .png");
        assert!(!reasons.contains_key("node_modules/x/README.md"));
        assert!(!reasons.contains_key("ignored/secret.md"));
    }
}
