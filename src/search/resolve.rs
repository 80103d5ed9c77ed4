//! Library resolution: which indexed libraries a name refers to.
//!
//! Properties: an exact id or project name scores highest; case,
//! punctuation and `.js`/`-js` suffixes never matter; one typo (two in long
//! names) still matches; the query only breaks ties.

use crate::index::Library;

/// A library with how well it matched.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub library: Library,
    pub score: f32,
    /// The version a served project locks (then listed first in `versions`).
    pub project_version: Option<String>,
}

/// Canonical form of a library name for comparison.
fn normalize(name: &str) -> String {
    let lower = name.trim().to_lowercase();
    let lower = lower.trim_start_matches('@');
    let stripped = ["-js", ".js", "_js", " js", "js"]
        .iter()
        .find_map(|s| lower.strip_suffix(s).filter(|rest| rest.len() >= 2))
        .unwrap_or(lower);
    stripped.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Edit distance counting a swap of two neighbours as one edit (`tokoi` → `tokio`).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// How well `name` matches `candidate` (both normalised), 0 when not at all.
fn name_score(name: &str, candidate: &str) -> f32 {
    if name.is_empty() || candidate.is_empty() {
        return 0.0;
    }
    if name == candidate {
        return 1.0;
    }
    let allowed = match name.chars().count() {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    };
    let d = edit_distance(name, candidate);
    if d <= allowed {
        return 0.8 - 0.1 * d as f32;
    }
    if candidate.starts_with(name) || name.starts_with(candidate) && candidate.len() >= 3 {
        return 0.6;
    }
    if candidate.contains(name) && name.len() >= 3 {
        return 0.45;
    }
    0.0
}

/// Ranks `libraries` for `name`; `query` breaks ties by word overlap with
/// the title and description.
pub fn resolve_libraries(name: &str, query: Option<&str>, libraries: &[Library]) -> Vec<Resolved> {
    let wanted = normalize(name);
    let wanted_id = name.trim().trim_end_matches('/').to_lowercase();
    let mut out: Vec<Resolved> = libraries
        .iter()
        .filter_map(|lib| {
            let mut parts = lib.id.trim_start_matches('/').split('/');
            let org = parts.next().unwrap_or("");
            let project = parts.next().unwrap_or("");
            let score = if lib.id.to_lowercase() == wanted_id
                || lib.id.to_lowercase() == format!("/{wanted_id}")
            {
                1.2
            } else {
                [
                    name_score(&wanted, &normalize(project)),
                    name_score(&wanted, &normalize(&lib.title)),
                    name_score(&wanted, &normalize(&format!("{org}{project}"))) * 0.95,
                    name_score(&wanted, &normalize(org)) * 0.5,
                ]
                .into_iter()
                .chain(lib.aliases.iter().map(|a| {
                    // `@scope/name` also answers to `name`.
                    let alias = normalize(a);
                    let last = normalize(a.rsplit('/').next().unwrap_or(a));
                    if alias == wanted {
                        1.1
                    } else {
                        name_score(&wanted, &alias).max(name_score(&wanted, &last)) * 0.95
                    }
                }))
                .fold(0.0, f32::max)
            };
            (score > 0.0).then(|| Resolved {
                library: lib.clone(),
                score,
                project_version: None,
            })
        })
        .collect();
    if let Some(q) = query {
        let words: Vec<String> = q
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.len() > 2)
            .map(str::to_lowercase)
            .collect();
        for r in &mut out {
            let hay = format!("{} {}", r.library.title, r.library.description).to_lowercase();
            let overlap = words.iter().filter(|w| hay.contains(w.as_str())).count();
            r.score += 0.01 * overlap.min(5) as f32;
        }
    }
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.library.id.cmp(&b.library.id))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lib(id: &str, title: &str, description: &str) -> Library {
        Library {
            id: id.into(),
            title: title.into(),
            description: description.into(),
            ..Default::default()
        }
    }

    fn ids(name: &str, query: Option<&str>, libs: &[Library]) -> Vec<String> {
        resolve_libraries(name, query, libs)
            .into_iter()
            .map(|r| r.library.id)
            .collect()
    }

    #[test]
    fn names_match_across_case_punctuation_suffixes_and_typos() {
        let libs = [
            lib("/vercel/next.js", "Next.js", "The React framework"),
            lib("/tokio-rs/axum", "axum", "Web framework"),
            lib("/tokio-rs/tokio", "Tokio", "Async runtime"),
        ];
        assert_eq!(ids("Next.js", None, &libs)[0], "/vercel/next.js");
        assert_eq!(ids("nextjs", None, &libs)[0], "/vercel/next.js");
        assert_eq!(ids("next", None, &libs)[0], "/vercel/next.js");
        assert_eq!(ids("AXUM", None, &libs)[0], "/tokio-rs/axum");
        assert_eq!(ids("tokoi", None, &libs)[0], "/tokio-rs/tokio");
        assert_eq!(ids("/tokio-rs/axum", None, &libs)[0], "/tokio-rs/axum");
        assert!(ids("django", None, &libs).is_empty());
    }

    #[test]
    fn the_query_breaks_ties() {
        let libs = [
            lib("/a/router", "router", "HTTP routing for servers"),
            lib("/b/router", "router", "client-side page routing"),
        ];
        assert_eq!(
            ids("router", Some("page transitions in the client"), &libs)[0],
            "/b/router"
        );
        assert_eq!(ids("router", Some("HTTP servers"), &libs)[0], "/a/router");
    }

    #[test]
    fn package_name_aliases_resolve() {
        let mut query = lib("/tanstack/query", "TanStack Query", "Data fetching");
        query.aliases = vec!["@tanstack/react-query".into()];
        let libs = [lib("/facebook/react", "React", "UI library"), query];
        assert_eq!(
            ids("@tanstack/react-query", None, &libs)[0],
            "/tanstack/query"
        );
        assert_eq!(ids("react-query", None, &libs)[0], "/tanstack/query");
    }
}
