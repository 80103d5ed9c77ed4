//! The identity of a library: its `/org/project` id, title and description.

use std::path::Path;

use crate::parse::{BlockKind, Document, Format, parse_markdown, parse_rst};

/// Id, title and description derived from a folder, before overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct LibraryIdentity {
    pub id: String,
    pub title: String,
    pub description: String,
    /// The git remote the id came from, if any.
    pub remote: Option<String>,
}

/// Derives a library's identity from the folder at `root`: the id from the
/// git remote (`…/org/project(.git)` → `/org/project`) or `/local/<folder>`,
/// the title and description from the README's first heading and paragraph.
pub fn identify_library(root: &Path) -> LibraryIdentity {
    let remote = git2::Repository::open(root)
        .ok()
        .and_then(|repo| remote_url(&repo));
    let folder = root
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "library".into());
    identity(remote, &folder, read_readme(root))
}

/// The identity of a library read from a git revision: the id from
/// `remote` (the URL it was cloned from), else `/local/<name>`; title and
/// description from `readme` (its file name and text).
pub fn identify_from_git(
    remote: Option<String>,
    name: &str,
    readme: Option<(&str, &str)>,
) -> LibraryIdentity {
    let readme = readme.map(|(file, text)| parse_readme(file, text));
    identity(remote, name, readme)
}

/// The URL of `repo`'s `origin` remote, or of its first remote.
pub fn remote_url(repo: &git2::Repository) -> Option<String> {
    let remote = repo.find_remote("origin").ok().or_else(|| {
        let names = repo.remotes().ok()?;
        let first = names.get(0).ok().flatten()?.to_owned();
        repo.find_remote(&first).ok()
    })?;
    remote.url().ok().map(str::to_owned)
}

fn identity(remote: Option<String>, folder: &str, readme: Option<Document>) -> LibraryIdentity {
    let id = remote
        .as_deref()
        .and_then(id_from_remote)
        .unwrap_or_else(|| format!("/local/{}", sanitize_segment(folder)));
    let project = id.rsplit('/').next().unwrap_or(folder).to_owned();
    let title = readme
        .as_ref()
        .and_then(|d| d.title.clone())
        .map(|t| plain_text(&t))
        .filter(|t| !t.is_empty());
    let description = readme
        .as_ref()
        .and_then(first_paragraph)
        .unwrap_or_default();
    LibraryIdentity {
        id,
        title: title.unwrap_or(project),
        description,
        remote,
    }
}

/// `/org/project` from a remote URL in any of git's forms.
fn id_from_remote(url: &str) -> Option<String> {
    let url = url.trim().trim_end_matches('/');
    let url = url.strip_suffix(".git").unwrap_or(url);
    // `git@host:org/repo` has no scheme; its path starts after the colon.
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.split_once('/').map(|(_, p)| p)?,
        None => url.split_once(':').map_or(url, |(_, p)| p),
    };
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        [.., org, project] => Some(format!(
            "/{}/{}",
            sanitize_segment(org),
            sanitize_segment(project)
        )),
        [project] => Some(format!("/local/{}", sanitize_segment(project))),
        [] => None,
    }
}

fn sanitize_segment(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let cleaned = cleaned.trim_matches('-').to_owned();
    if cleaned.is_empty() {
        "library".into()
    } else {
        cleaned
    }
}

/// Checks a user-given library id and returns it in canonical form
/// (`/org/project`, no trailing slash).
pub fn normalize_library_id(id: &str) -> Result<String, String> {
    let trimmed = id.trim().trim_end_matches('/');
    let body = trimmed.strip_prefix('/').unwrap_or(trimmed);
    let parts: Vec<&str> = body.split('/').collect();
    let valid = |p: &str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    };
    // An npm scope may stand as the org: `/@types/node`.
    let org_valid = |p: &str| valid(p.strip_prefix('@').unwrap_or(p));
    if parts.len() != 2
        || !org_valid(parts[0])
        || !valid(parts[1])
        || parts.iter().any(|p| *p == "." || *p == "..")
    {
        return Err(format!(
            "`{id}` is not a library id; use the form /org/project (letters, digits, '.', '_', '-'; \
             an npm scope such as @types as the org)"
        ));
    }
    Ok(format!("/{}", parts.join("/")))
}

/// Largest README read for a library's title and description.
pub const MAX_README_BYTES: u64 = 2 << 20;

fn read_readme(root: &Path) -> Option<Document> {
    let mut entries: Vec<_> = std::fs::read_dir(root).ok()?.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().to_ascii_lowercase();
        if !name.starts_with("readme") {
            continue;
        }
        // A README that is a link is not followed (it could point anywhere).
        let Ok(bytes) = super::read_regular_file(&entry.path(), MAX_README_BYTES) else {
            continue;
        };
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        return Some(parse_readme(&name, &text));
    }
    None
}

fn parse_readme(name: &str, text: &str) -> Document {
    match Format::from_path(&name.to_ascii_lowercase()) {
        Some(Format::Rst) => parse_rst(text),
        Some(Format::Mdx) => parse_markdown(text, true),
        _ => parse_markdown(text, false),
    }
}

/// The first paragraph of prose that reads like a sentence (not badges or links only).
fn first_paragraph(doc: &Document) -> Option<String> {
    doc.sections
        .iter()
        .flat_map(|s| s.blocks.iter())
        .filter(|b| b.kind == BlockKind::Prose)
        .map(|b| plain_text(&b.text))
        .find(|t| t.split_whitespace().count() >= 4)
        .map(|t| {
            if t.chars().count() > 300 {
                let cut: String = t.chars().take(297).collect();
                format!("{}…", cut.trim_end())
            } else {
                t
            }
        })
}

/// Strips Markdown decoration: images, link targets, emphasis, inline code marks.
fn plain_text(markdown: &str) -> String {
    let without_images = replace_links(markdown, true);
    let text = replace_links(&without_images, false);
    text.replace(['*', '`'], "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Replaces `![alt](url)` with nothing (`images`) or `[text](url)` with `text`.
fn replace_links(text: &str, images: bool) -> String {
    let opener = if images { "![" } else { "[" };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find(opener) {
        out.push_str(&rest[..open]);
        let after = &rest[open + opener.len()..];
        let link = after
            .find("](")
            .and_then(|close| after[close..].find(')').map(|end| (close, close + end)));
        match link {
            Some((close, end)) if !after[..close].contains('[') => {
                if !images {
                    out.push_str(&after[..close]);
                }
                rest = &after[end + 1..];
            }
            _ => {
                out.push_str(opener);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    if !images {
        // A link whose text was an image is now `[](url)`; drop what is left of it.
        return out.replace("[]", "");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_from_remotes_in_every_form() {
        for url in [
            "https://github.com/tokio-rs/axum.git",
            "https://github.com/tokio-rs/axum/",
            "git@github.com:tokio-rs/axum.git",
            "ssh://git@example.org:2222/tokio-rs/axum",
            "file:///srv/git/tokio-rs/axum.git",
        ] {
            assert_eq!(
                id_from_remote(url).as_deref(),
                Some("/tokio-rs/axum"),
                "{url}"
            );
        }
    }

    #[test]
    fn library_ids_are_validated() {
        assert_eq!(normalize_library_id("/org/proj/").unwrap(), "/org/proj");
        assert_eq!(normalize_library_id("org/proj").unwrap(), "/org/proj");
        assert!(normalize_library_id("/org").is_err());
        assert!(normalize_library_id("/org/../x").is_err());
        assert!(normalize_library_id("/a b/c").is_err());
    }

    #[test]
    fn readme_gives_title_and_description() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("README.md"),
            "# Quill [![ci](https://x/badge.svg)](https://x)\n\n[![b](https://y)](https://y)\n\nQuill is a **tiny** [web](https://w) framework for tests.\n",
        )
        .unwrap();
        let id = identify_library(dir.path());
        assert!(id.id.starts_with("/local/"));
        assert_eq!(id.title, "Quill");
        assert_eq!(id.description, "Quill is a tiny web framework for tests.");
    }
}
