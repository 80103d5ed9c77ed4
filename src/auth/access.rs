//! Which libraries a caller may see: a key made with `--libraries
//! '/acme/*,/tokio-rs/tokio'` sees only the libraries those globs match;
//! for it the others do not exist (never "forbidden", so names do not
//! leak). Keys without globs, and callers without keys, see everything.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// The libraries one caller may see.
#[derive(Debug, Clone, Default)]
pub struct LibraryAccess {
    /// `None`: every library.
    globs: Option<GlobSet>,
}

impl LibraryAccess {
    /// Access to every library.
    pub fn all() -> LibraryAccess {
        LibraryAccess::default()
    }

    /// Access to the libraries `patterns` match (`/acme/*`, `/tokio-rs/tokio`),
    /// case-insensitively; an empty list means every library.
    pub fn only(patterns: &[String]) -> Result<LibraryAccess, String> {
        if patterns.is_empty() {
            return Ok(LibraryAccess::all());
        }
        let mut set = GlobSetBuilder::new();
        for pattern in patterns {
            let pattern = pattern.trim().trim_end_matches('/');
            let glob = GlobBuilder::new(pattern)
                .case_insensitive(true)
                .literal_separator(true)
                .build()
                .map_err(|e| format!("`{pattern}` is not a library glob: {e}"))?;
            set.add(glob);
        }
        let globs = set.build().map_err(|e| e.to_string())?;
        Ok(LibraryAccess { globs: Some(globs) })
    }

    /// Whether the library `id` (`/org/project`, without a version) is visible.
    pub fn allows(&self, id: &str) -> bool {
        match &self.globs {
            None => true,
            Some(globs) => globs.is_match(id.trim().trim_end_matches('/')),
        }
    }

    /// Whether some libraries are hidden.
    pub fn is_limited(&self) -> bool {
        self.globs.is_some()
    }
}

/// `/acme/*,/tokio-rs/tokio` as a list of globs.
pub fn parse_library_globs(list: &str) -> Result<Vec<String>, String> {
    let globs: Vec<String> = list
        .split(',')
        .map(|g| g.trim().to_owned())
        .filter(|g| !g.is_empty())
        .collect();
    for glob in &globs {
        if !glob.starts_with('/') {
            return Err(format!(
                "`{glob}` is not a library glob; write it as /org/project or /org/*"
            ));
        }
    }
    LibraryAccess::only(&globs)?;
    Ok(globs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_pick_libraries_and_nothing_else() {
        let access = LibraryAccess::only(&["/acme/*".into(), "/tokio-rs/tokio".into()]).unwrap();
        assert!(access.allows("/acme/rockets") && access.allows("/ACME/Rockets"));
        assert!(access.allows("/tokio-rs/tokio"));
        assert!(!access.allows("/tokio-rs/axum") && !access.allows("/acme-evil/x"));
        assert!(!access.allows("/acme/rockets/extra"), "one segment per *");
        assert!(LibraryAccess::all().allows("/anything/at-all"));
        assert!(parse_library_globs("acme/*").is_err());
        assert_eq!(
            parse_library_globs(" /a/*, /b/c ,").unwrap(),
            ["/a/*", "/b/c"]
        );
    }
}
