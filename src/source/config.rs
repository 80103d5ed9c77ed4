//! Library config files at the repository root: `context7.json` (the fields
//! library owners already write for Context7) and `twinmcp.json` (the same
//! fields plus TwinMCP's own). `twinmcp.json` wins field by field.
//!
//! A bad file never stops indexing: a field of the wrong type is reported
//! by name and left at its default, and invalid JSON is reported and the
//! whole file ignored.

use std::path::Path;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde_json::{Map, Value};

/// Config file names, in the order they are applied (later wins).
pub const CONFIG_FILES: &[&str] = &["context7.json", "twinmcp.json"];

/// What a library's owners say about indexing it.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct LibraryConfig {
    /// `id` (twinmcp.json): the library ID, `/org/project`.
    pub id: Option<String>,
    /// `projectTitle`.
    pub title: Option<String>,
    pub description: Option<String>,
    /// `folders`: globs of the folders to index; empty means all.
    pub folders: Vec<String>,
    /// `excludeFolders`: globs of folders never indexed.
    pub exclude_folders: Vec<String>,
    /// `excludeFiles`: file names (or globs of names) never indexed.
    pub exclude_files: Vec<String>,
    /// `rules`: shown at the top of every `query-docs` answer.
    pub rules: Vec<String>,
    /// `previousVersions`: git tags to index as versions.
    pub previous_versions: Vec<PreviousVersion>,
    /// `branch`: the branch to index by default.
    pub branch: Option<String>,
    /// `aliases` (twinmcp.json): other names that resolve to this library,
    /// such as its npm, PyPI or crates.io package name.
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PreviousVersion {
    pub tag: String,
    pub title: Option<String>,
}

/// Config files larger than this are ignored.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Reads the config files in `root`. Returns the merged config and one
/// warning per problem found (file and field named).
pub fn load_config(root: &Path) -> (LibraryConfig, Vec<String>) {
    load_config_with(|name| super::read_regular_file(&root.join(name), MAX_CONFIG_BYTES).ok())
}

/// Like [`load_config`], reading each config file's bytes with `read`
/// (from a folder, or from a git revision); `None` means absent.
pub fn load_config_with(read: impl Fn(&str) -> Option<Vec<u8>>) -> (LibraryConfig, Vec<String>) {
    let mut config = LibraryConfig::default();
    let mut warnings = Vec::new();
    for name in CONFIG_FILES {
        let Some(bytes) = read(name) else {
            continue;
        };
        match String::from_utf8(bytes) {
            Ok(text) => apply_config(&mut config, name, &text, &mut warnings),
            Err(_) => warnings.push(format!("{name}: not UTF-8 text; ignored")),
        }
    }
    (config, warnings)
}

/// Applies the fields of one config file's `text` onto `config`.
pub fn apply_config(
    config: &mut LibraryConfig,
    file: &str,
    text: &str,
    warnings: &mut Vec<String>,
) {
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            warnings.push(format!("{file}: invalid JSON ({e}); ignored"));
            return;
        }
    };
    let Value::Object(fields) = value else {
        warnings.push(format!("{file}: must be a JSON object; ignored"));
        return;
    };
    let mut read = Reader {
        file,
        fields: &fields,
        warnings,
    };
    let twinmcp_only = file == "twinmcp.json";
    if let Some(v) = read.string("projectTitle") {
        config.title = Some(v);
    }
    if let Some(v) = read.string("description") {
        config.description = Some(v);
    }
    if let Some(v) = read.strings("folders") {
        config.folders = v;
    }
    if let Some(v) = read.strings("excludeFolders") {
        config.exclude_folders = v;
    }
    if let Some(v) = read.strings("excludeFiles") {
        config.exclude_files = v;
    }
    if let Some(v) = read.strings("rules") {
        config.rules = v;
    }
    if let Some(v) = read.string("branch") {
        config.branch = Some(v);
    }
    if let Some(v) = read.versions("previousVersions") {
        config.previous_versions = v;
    }
    if twinmcp_only {
        if let Some(v) = read.string("id") {
            match crate::source::normalize_library_id(&v) {
                Ok(id) => config.id = Some(id),
                Err(e) => read.warn("id", &e),
            }
        }
        if let Some(v) = read.strings("aliases") {
            config.aliases = v;
        }
    }
    // Globs are checked here so a typo is reported once, up front.
    for (field, globs) in [
        ("folders", &mut config.folders),
        ("excludeFolders", &mut config.exclude_folders),
        ("excludeFiles", &mut config.exclude_files),
    ] {
        let mut bad: Vec<String> = Vec::new();
        for g in globs.iter() {
            if leaves_the_repository(g) {
                read.warn(
                    field,
                    &format!("`{g}` points outside the repository (paths are relative to its root); left out"),
                );
                bad.push(g.clone());
            } else if Glob::new(clean_glob(g)).is_err() {
                read.warn(field, &format!("`{g}` is not a valid glob; left out"));
                bad.push(g.clone());
            }
        }
        globs.retain(|g| !bad.contains(g));
    }
}

/// Typed access to a config file's fields; each mistake becomes a warning.
struct Reader<'a> {
    file: &'a str,
    fields: &'a Map<String, Value>,
    warnings: &'a mut Vec<String>,
}

impl Reader<'_> {
    fn warn(&mut self, field: &str, why: &str) {
        self.warnings.push(format!(
            "{}: field `{field}` {why}; using the default",
            self.file
        ));
    }

    fn string(&mut self, field: &str) -> Option<String> {
        match self.fields.get(field)? {
            Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
            Value::Null => None,
            _ => {
                self.warn(field, "must be a string");
                None
            }
        }
    }

    fn strings(&mut self, field: &str) -> Option<Vec<String>> {
        match self.fields.get(field)? {
            Value::Array(items) => {
                let out: Option<Vec<String>> = items
                    .iter()
                    .map(|v| v.as_str().map(|s| s.trim().to_owned()))
                    .collect();
                if out.is_none() {
                    self.warn(field, "must be an array of strings");
                }
                out.map(|v| v.into_iter().filter(|s| !s.is_empty()).collect())
            }
            Value::Null => None,
            _ => {
                self.warn(field, "must be an array of strings");
                None
            }
        }
    }

    fn versions(&mut self, field: &str) -> Option<Vec<PreviousVersion>> {
        let Value::Array(items) = self.fields.get(field)? else {
            self.warn(
                field,
                "must be an array of {\"tag\": …, \"title\": …} objects",
            );
            return None;
        };
        let mut out = Vec::new();
        for item in items {
            let tag = item.get("tag").and_then(Value::as_str).map(str::trim);
            match tag {
                Some(tag) if !tag.is_empty() => out.push(PreviousVersion {
                    tag: tag.to_owned(),
                    title: item.get("title").and_then(Value::as_str).map(str::to_owned),
                }),
                _ => {
                    self.warn(
                        field,
                        "must be an array of {\"tag\": …, \"title\": …} objects",
                    );
                    return None;
                }
            }
        }
        Some(out)
    }
}

/// Whether a path glob climbs out of the repository (`..`) or names a home
/// or drive path. Config globs only ever match repository paths; a leading
/// `/` means the repository root.
fn leaves_the_repository(glob: &str) -> bool {
    let g = glob.trim();
    g.starts_with('~')
        || g.starts_with("\\\\")
        || g.as_bytes().get(1) == Some(&b':')
        || g.split(['/', '\\']).any(|part| part == "..")
}

fn clean_glob(glob: &str) -> &str {
    glob.trim()
        .trim_start_matches("./")
        .trim_start_matches('/')
        .trim_end_matches('/')
}

/// Which files a config lets in: `folders` restrict, `excludeFolders` and
/// `excludeFiles` remove, exclusion wins, and Markdown at the root is
/// always in (unless excluded by name).
#[derive(Debug, Clone, Default)]
pub struct PathFilter {
    folders: Option<GlobSet>,
    exclude_folders: Option<GlobSet>,
    exclude_files: Option<GlobSet>,
}

impl PathFilter {
    pub fn new(config: &LibraryConfig) -> PathFilter {
        // A folder glob matches the folder and everything under it; a bare
        // excluded name (`tests`) matches at any depth.
        let folders = build(config.folders.iter().flat_map(|g| {
            let g = clean_glob(g);
            [g.to_owned(), format!("{g}/**")]
        }));
        let exclude_folders = build(config.exclude_folders.iter().flat_map(|g| {
            let g = clean_glob(g);
            let g = if g.contains('/') || g.starts_with("**") {
                g.to_owned()
            } else {
                format!("**/{g}")
            };
            [format!("{g}/**")]
        }));
        let exclude_files = build(
            config
                .exclude_files
                .iter()
                .map(|g| clean_glob(g).to_owned()),
        );
        PathFilter {
            folders,
            exclude_folders,
            exclude_files,
        }
    }

    /// Whether the file at repository-relative `path` is indexed.
    pub fn allows(&self, path: &str) -> bool {
        let name = path.rsplit('/').next().unwrap_or(path);
        if self
            .exclude_files
            .as_ref()
            .is_some_and(|s| s.is_match(name) || s.is_match(path))
        {
            return false;
        }
        if self
            .exclude_folders
            .as_ref()
            .is_some_and(|s| s.is_match(path))
        {
            return false;
        }
        let root_markdown = !path.contains('/') && {
            let lower = name.to_ascii_lowercase();
            lower.ends_with(".md") || lower.ends_with(".mdx")
        };
        root_markdown || self.folders.as_ref().is_none_or(|s| s.is_match(path))
    }
}

fn build(globs: impl Iterator<Item = String>) -> Option<GlobSet> {
    let mut builder = GlobSetBuilder::new();
    let mut any = false;
    for g in globs {
        if let Ok(glob) = Glob::new(&g) {
            builder.add(glob);
            any = true;
        }
    }
    if !any {
        return None;
    }
    builder.build().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(file: &str, text: &str) -> (LibraryConfig, Vec<String>) {
        let mut config = LibraryConfig::default();
        let mut warnings = Vec::new();
        apply_config(&mut config, file, text, &mut warnings);
        (config, warnings)
    }

    #[test]
    fn context7_fields_are_read() {
        let (c, warnings) = config(
            "context7.json",
            r#"{
                "$schema": "https://context7.com/schema/context7.json",
                "projectTitle": "Lanternfish",
                "description": "Job queues.",
                "folders": ["docs", "./guides/"],
                "excludeFolders": ["docs/internal", "tests"],
                "excludeFiles": ["CHANGELOG.md"],
                "rules": ["Always call close()."],
                "previousVersions": [{"tag": "v1.0.0", "title": "version 1"}],
                "branch": "main",
                "id": "/ignored/here"
            }"#,
        );
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(c.title.as_deref(), Some("Lanternfish"));
        assert_eq!(c.folders, ["docs", "./guides/"]);
        assert_eq!(c.rules, ["Always call close()."]);
        assert_eq!(
            c.previous_versions,
            [PreviousVersion {
                tag: "v1.0.0".into(),
                title: Some("version 1".into())
            }]
        );
        assert_eq!(c.branch.as_deref(), Some("main"));
        assert_eq!(c.id, None, "id is a twinmcp.json field");
    }

    #[test]
    fn twinmcp_json_adds_id_and_aliases_and_wins() {
        let mut c = LibraryConfig::default();
        let mut warnings = Vec::new();
        apply_config(
            &mut c,
            "context7.json",
            r#"{"projectTitle": "A", "rules": ["r1"]}"#,
            &mut warnings,
        );
        apply_config(
            &mut c,
            "twinmcp.json",
            r#"{"projectTitle": "B", "id": "acme/fish", "aliases": ["@acme/fish", "fish-py"]}"#,
            &mut warnings,
        );
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(c.title.as_deref(), Some("B"));
        assert_eq!(c.rules, ["r1"]);
        assert_eq!(c.id.as_deref(), Some("/acme/fish"));
        assert_eq!(c.aliases, ["@acme/fish", "fish-py"]);
    }

    #[test]
    fn bad_fields_are_named_and_defaulted() {
        let (c, warnings) = config(
            "context7.json",
            r#"{"projectTitle": 3, "folders": "docs", "rules": ["ok", 2], "excludeFiles": ["a[.md"], "description": "kept"}"#,
        );
        assert_eq!(c.title, None);
        assert!(c.folders.is_empty());
        assert!(c.rules.is_empty());
        assert!(c.exclude_files.is_empty());
        assert_eq!(c.description.as_deref(), Some("kept"));
        let text = warnings.join("\n");
        for field in ["projectTitle", "folders", "rules", "excludeFiles"] {
            assert!(
                text.contains(&format!("context7.json: field `{field}`")),
                "{text}"
            );
        }

        let (c, warnings) = config(
            "context7.json",
            r#"{"folders": ["../../etc", "docs/../../x", "~/secrets", "C:\\Windows", "/docs"], "excludeFolders": [".."]}"#,
        );
        assert_eq!(c.folders, ["/docs"], "a leading / is the repository root");
        assert!(c.exclude_folders.is_empty());
        let text = warnings.join("\n");
        for g in [
            "../../etc",
            "docs/../../x",
            "~/secrets",
            "C:\\Windows",
            "..",
        ] {
            assert!(
                text.contains(&format!("`{g}` points outside the repository")),
                "{text}"
            );
        }
        let filter = PathFilter::new(&c);
        assert!(filter.allows("docs/a.md") && !filter.allows("etc/passwd.md"));

        let (c, warnings) = config("twinmcp.json", "{\"projectTitle\": ");
        assert_eq!(c, LibraryConfig::default());
        assert!(
            warnings[0].starts_with("twinmcp.json: invalid JSON"),
            "{warnings:?}"
        );
        let (_, warnings) = config("twinmcp.json", "[1]");
        assert!(warnings[0].contains("must be a JSON object"));
    }

    #[test]
    fn exclusion_wins_and_root_markdown_is_always_in() {
        let c = LibraryConfig {
            folders: vec!["docs".into(), "src/**/api".into()],
            exclude_folders: vec!["docs/internal".into(), "drafts".into()],
            exclude_files: vec!["CONTRIBUTING.md".into(), "*.generated.md".into()],
            ..Default::default()
        };
        let f = PathFilter::new(&c);
        assert!(f.allows("docs/guide.md"));
        assert!(f.allows("docs/deep/er/page.md"));
        assert!(f.allows("src/x/api/client.rs"));
        assert!(f.allows("README.md"));
        assert!(!f.allows("src/lib.rs"), "not under a listed folder");
        assert!(!f.allows("docs/internal/secret.md"), "excluded folder");
        assert!(
            !f.allows("docs/drafts/wip.md"),
            "bare names match at any depth"
        );
        assert!(
            !f.allows("CONTRIBUTING.md"),
            "excluded by name, even at the root"
        );
        assert!(!f.allows("docs/table.generated.md"));
        assert!(PathFilter::new(&LibraryConfig::default()).allows("any/where.rs"));
    }
}
