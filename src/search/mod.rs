//! Retrieval: BM25 and vector search over one library build, fused, merged
//! by section and cut to a token budget.

mod budget;
mod fuse;
mod resolve;
mod slot;

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub use budget::{Answer, Hit, assemble_answer};
pub use fuse::{ALPHA, Fusion, MESSAGE_ALPHA, TASK_ALPHA, cosine_scale, fuse_ranks};
pub use resolve::{Resolved, resolve_libraries};
pub use slot::ModelSlot;

use crate::index::{
    BREADCRUMB_SEPARATOR, Catalog, CatalogReaders, DataDir, IndexError, Library, TextIndex,
    VectorIndex, Version,
};

/// Which retrievers answer a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Mode {
    Bm25,
    Vector,
    #[default]
    Hybrid,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("unknown library `{id}`. Indexed libraries: {known}")]
    UnknownLibrary { id: String, known: String },
    #[error("library `{id}` has no version `{version}`. Known versions: {known}")]
    UnknownVersion {
        id: String,
        version: String,
        known: String,
    },
    #[error(
        "library `{id}` was indexed with embedding model `{indexed}` but the loaded model is `{loaded}`; \
         re-index it with `twinmcp index` or pass --model with the original model"
    )]
    ModelMismatch {
        id: String,
        indexed: String,
        loaded: String,
    },
    #[error("vector search needs the embedding model: {0}")]
    ModelUnavailable(String),
    #[error(transparent)]
    Index(#[from] IndexError),
    /// The build was replaced and its files removed between reading the
    /// catalog and opening them; the search is run again.
    #[error("build {0} was replaced while it was opened")]
    Retired(i64),
}

impl SearchError {
    /// Whether the caller can fix it (a wrong id or version, a model to
    /// install), as opposed to a failure of this server.
    pub fn is_user_error(&self) -> bool {
        !matches!(self, SearchError::Index(_) | SearchError::Retired(_))
    }
}

/// A query's ranked hits and how they were found.
#[derive(Debug, Clone)]
pub struct Ranked {
    pub library: String,
    pub version: String,
    pub hits: Vec<Hit>,
    /// The library owners' rules for using it, shown above the results.
    pub rules: Vec<String>,
    /// Set when vector search was wanted but could not run; says why.
    pub degraded: Option<String>,
}

/// Open indexes of one build.
struct OpenBuild {
    text: TextIndex,
    vectors: Option<VectorIndex>,
}

/// Answers queries against a data dir; cheap to share between threads.
/// Requests run side by side: each reads the catalog on its own
/// connection, in one transaction, so it sees one consistent set of builds.
pub struct Engine {
    data: DataDir,
    readers: CatalogReaders,
    builds: Mutex<HashMap<i64, Arc<OpenBuild>>>,
    model: ModelSlot,
    pub fusion: Fusion,
    /// Weighted fusion's `alpha` for a query that describes a task in
    /// words (`QueryKind::Task`: it pastes no message, and no identifier in it
    /// names an item of the library); `None`: the same as `fusion`.
    /// See [`TASK_ALPHA`].
    pub task_alpha: Option<f32>,
    /// Weighted fusion's `alpha` for a pasted diagnostic, whose cosines
    /// count as they are (`Fusion::for_message`).
    pub message_alpha: f32,
    /// Recent answers by (build, mode, limit, query).
    answers: Mutex<lru::LruCache<AnswerKey, Ranked>>,
    /// Retrievers used by the MCP tools.
    pub mode: Mode,
    /// Scale of the bonus for hits documenting an item the query names (0: off).
    pub name_bonus: f32,
    /// Score factor for API items from source code when the query names no API.
    pub code_weight: f32,
    /// Score factor of sections about items that are not public API.
    pub internal_weight: f32,
    /// Exponent of the section-length prior: a hit's score is multiplied by
    /// `(tokens / LENGTH_PIVOT)^length_weight` (0: off). See [`LENGTH_WEIGHT`].
    pub length_weight: f32,
    /// The section-length prior's exponent for the API items from source code
    /// in the answer to a question that describes a task (it names no item
    /// of the library). See [`TASK_LENGTH_WEIGHT`].
    pub task_length_weight: f32,
    /// Scale of the re-ranking by API summaries (0: off). See
    /// [`SUMMARY_WEIGHT`].
    pub summary_weight: f32,
    /// Weight of the API-item popularity prior (0: off). See
    /// [`POPULARITY_WEIGHT`].
    pub popularity_weight: f32,
    /// Candidates taken from each retriever before fusion.
    pub depth: usize,
    /// The versions the served projects lock (`serve --project`), by
    /// library id: an id without a version answers from them.
    pub project_versions: HashMap<String, String>,
}

type AnswerKey = (i64, String, usize, String);

/// Answers kept, least recently used evicted first.
const ANSWER_CACHE: NonZeroUsize = NonZeroUsize::new(512).expect("non-zero");

/// Splits `/org/project[/version]` into the library id and the version ("" for none).
pub fn split_library_id(id: &str) -> (String, String) {
    let trimmed = id.trim().trim_end_matches('/');
    let body = trimmed.strip_prefix('/').unwrap_or(trimmed);
    let mut parts = body.splitn(3, '/');
    let org = parts.next().unwrap_or("");
    let project = parts.next().unwrap_or("");
    let version = parts.next().unwrap_or("");
    (format!("/{org}/{project}"), version.to_owned())
}

impl Engine {
    pub fn open(data: &DataDir, model: ModelSlot) -> Result<Engine, SearchError> {
        // Creates the catalog, or brings an older one up to date, before
        // the read-only connections open it.
        drop(data.catalog()?);
        Ok(Engine {
            data: data.clone(),
            readers: CatalogReaders::new(data.catalog_path()),
            builds: Mutex::new(HashMap::new()),
            model,
            fusion: Fusion::default(),
            task_alpha: Some(TASK_ALPHA),
            message_alpha: MESSAGE_ALPHA,
            answers: Mutex::new(lru::LruCache::new(ANSWER_CACHE)),
            mode: Mode::Hybrid,
            name_bonus: 1.0,
            code_weight: 0.8,
            internal_weight: 0.8,
            length_weight: LENGTH_WEIGHT,
            task_length_weight: TASK_LENGTH_WEIGHT,
            summary_weight: SUMMARY_WEIGHT,
            popularity_weight: POPULARITY_WEIGHT,
            depth: 50,
            project_versions: HashMap::new(),
        })
    }

    /// The version of `library` the served projects lock, if any.
    pub fn project_version(&self, library: &str) -> Option<&str> {
        self.project_versions
            .get(&library.to_ascii_lowercase())
            .map(String::as_str)
    }

    pub fn model(&self) -> &ModelSlot {
        &self.model
    }

    pub fn libraries(&self) -> Result<Vec<Library>, SearchError> {
        Ok(self.readers.read()?.libraries()?)
    }

    /// The last update job of each library (empty when none ran).
    pub fn jobs(&self) -> Vec<crate::index::Job> {
        self.readers
            .read()
            .and_then(|r| r.jobs())
            .unwrap_or_default()
    }

    /// Resolves `/org/project[/version]` to its ready build.
    pub fn find_build(&self, library_id: &str) -> Result<(String, Version), SearchError> {
        let reader = self.readers.read()?;
        find_build_in(&reader, library_id, &[&self.project_versions])
    }

    fn open_build(&self, library: &str, build: &Version) -> Result<Arc<OpenBuild>, SearchError> {
        if let Some(open) = self
            .builds
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&build.build_id)
        {
            return Ok(open.clone());
        }
        // Opened outside the lock: other requests keep going meanwhile, and
        // two requests opening one build at once both succeed.
        let dir = self.data.build_dir(build.build_id);
        if !dir.exists() {
            return Err(SearchError::Retired(build.build_id));
        }
        let text = TextIndex::open(&dir.join("text"))?;
        let vector_path = dir.join("vectors.usearch");
        let vectors = match (&build.model, vector_path.exists()) {
            (Some(fingerprint), true) => Some(VectorIndex::open(
                &vector_path,
                crate::embed::fingerprint_dimensions(fingerprint),
            )?),
            _ => None,
        };
        tracing::debug!("opened build {} of {library}", build.build_id);
        let open = Arc::new(OpenBuild { text, vectors });
        let mut builds = self.builds.lock().unwrap_or_else(|e| e.into_inner());
        // Builds that are no longer ready will not be asked for again.
        builds.retain(|id, _| *id > build.build_id || self.data.build_dir(*id).exists());
        Ok(builds.entry(build.build_id).or_insert(open).clone())
    }

    /// Ranks the chunks of `library_id` for `query`. Everything a search
    /// reads comes from one catalog snapshot; recent answers are kept per
    /// build, so a re-indexed library is never answered from the cache of
    /// its old build.
    pub fn search(
        &self,
        library_id: &str,
        query: &str,
        mode: Mode,
        limit: usize,
    ) -> Result<Ranked, SearchError> {
        self.search_for(library_id, query, mode, limit, &HashMap::new())
    }

    /// [`Engine::search`] for a caller whose own projects (an MCP session's
    /// roots) lock `locked` versions: an ID without a version answers from
    /// those first, then from the served projects' (`serve --project`).
    pub fn search_for(
        &self,
        library_id: &str,
        query: &str,
        mode: Mode,
        limit: usize,
        locked: &HashMap<String, String>,
    ) -> Result<Ranked, SearchError> {
        let projects = [locked, &self.project_versions];
        let mut attempt = 0;
        loop {
            match self.search_once(library_id, query, mode, limit, &projects) {
                // A writer swapped the build in between: the next snapshot
                // has its successor.
                Err(SearchError::Retired(_)) if attempt < 3 => attempt += 1,
                other => return other,
            }
        }
    }

    fn search_once(
        &self,
        library_id: &str,
        query: &str,
        mode: Mode,
        limit: usize,
        projects: &[&HashMap<String, String>],
    ) -> Result<Ranked, SearchError> {
        let reader = self.readers.read()?;
        let (library, build) = find_build_in(&reader, library_id, projects)?;
        let key = (build.build_id, format!("{mode:?}"), limit, query.to_owned());
        if let Some(hit) = self
            .answers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok(hit.clone());
        }
        let ranked = self.rank(&reader, library, build, query, mode, limit)?;
        if ranked.degraded.is_none() {
            self.answers
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .put(key, ranked.clone());
        }
        Ok(ranked)
    }

    fn rank(
        &self,
        catalog: &Catalog,
        library: String,
        build: Version,
        query: &str,
        mode: Mode,
        limit: usize,
    ) -> Result<Ranked, SearchError> {
        let open = self.open_build(&library, &build)?;
        let depth = self.depth.max(limit);
        // A pasted diagnostic: its file:line:col locations are the user's,
        // not the docs' words; and its message lives in source code.
        let pasted = pasted_message(query);
        let query = pasted.as_deref().unwrap_or(query);
        let bm25_query = match pasted {
            Some(_) => query.to_owned(),
            None => without_framing(query),
        };
        // BM25 runs while the query is embedded (the longer of the two), on
        // a scoped thread rather than rayon's pool: a rayon worker waiting
        // for the query pool would take on other requests meanwhile, each
        // nesting deeper on its stack under load.
        let embeds = mode != Mode::Bm25 && open.vectors.is_some() && build.model.is_some();
        let (bm25, embedded) = std::thread::scope(|scope| {
            let embedding = embeds.then(|| scope.spawn(|| self.model.embed_query(query)));
            let bm25 = match mode {
                Mode::Vector => Ok(Vec::new()),
                _ => open.text.search(&bm25_query, depth),
            };
            let embedded = embedding.map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|_| Err("the query embedding panicked".to_owned()))
            });
            (bm25, embedded)
        });
        let bm25 = bm25?;
        // Keys in the files of an imported build are shifted from catalog ids.
        let to_ids = |hits: Vec<(i64, f32)>| -> Vec<(i64, f32)> {
            hits.into_iter()
                .map(|(key, score)| (key + build.id_offset, score))
                .collect()
        };
        let mut bm25 = to_ids(bm25);
        let mut degraded = None;
        let mut dense = Vec::new();
        let mut embedded_vec: Option<Vec<f32>> = None;
        if mode != Mode::Bm25 {
            match (&open.vectors, &build.model, embedded) {
                (Some(vectors), Some(indexed), Some(embedded)) => match embedded {
                    Ok((fingerprint, q)) if fingerprint == *indexed => {
                        dense = to_ids(vectors.search(&q, depth)?);
                        embedded_vec = Some(q);
                    }
                    Ok((fingerprint, _)) => {
                        return Err(SearchError::ModelMismatch {
                            id: library,
                            indexed: indexed.clone(),
                            loaded: fingerprint,
                        });
                    }
                    Err(e) if mode == Mode::Vector => return Err(SearchError::ModelUnavailable(e)),
                    Err(e) => degraded = Some(e),
                },
                _ if mode == Mode::Vector => {
                    return Err(SearchError::ModelUnavailable(format!(
                        "{library} was indexed without vectors"
                    )));
                }
                _ => degraded = Some(format!("{library} was indexed without vectors")),
            }
        }
        // Weighted fusion adds scores: a dense candidate outside BM25's top
        // `depth` still has a BM25 score, often not far below the last one
        // kept, and counting it as 0 sank what only the vectors found.
        if mode == Mode::Hybrid && matches!(self.fusion, Fusion::Weighted { .. }) {
            let lexical: std::collections::HashSet<i64> = bm25.iter().map(|h| h.0).collect();
            let unscored: Vec<i64> = dense
                .iter()
                .filter(|h| !lexical.contains(&h.0))
                .map(|h| h.0 - build.id_offset)
                .collect();
            bm25.extend(to_ids(open.text.scores_of(&bm25_query, &unscored)?));
        }
        // The candidates of both retrievers, read before fusing them: whether
        // the query names one of their items decides its kind, and the kind
        // the fusion.
        let mut ids: Vec<i64> = bm25.iter().chain(&dense).map(|h| h.0).collect();
        ids.sort_unstable();
        ids.dedup();
        let (chunks, rules) = (catalog.chunks(&ids)?, catalog.rules(&library)?);
        let kind = QueryKind::of(query, pasted.is_some(), &chunks);
        let fusion = self.fusion_for(kind);
        let fused = match mode {
            Mode::Bm25 => bm25,
            Mode::Vector => dense.clone(),
            Mode::Hybrid => fuse_ranks(&bm25, &dense, fusion),
        };
        let score: HashMap<i64, f32> = fused.into_iter().collect();
        let mut hits: Vec<Hit> = chunks
            .into_iter()
            .map(|chunk| {
                let score = score.get(&chunk.id).copied().unwrap_or(0.0);
                Hit::new(chunk, score)
            })
            .collect();
        sort_hits(&mut hits);
        let bonus = self.name_bonus
            * match (mode, self.fusion) {
                (Mode::Hybrid, Fusion::Rrf { k, .. }) => 1.0 / (k + 1.0),
                _ => 0.5 * hits.iter().map(|h| h.score).fold(0.0f32, f32::max),
            };
        let (code_weight, internal_weight) = match kind {
            QueryKind::Pasted => (1.0, 1.0),
            QueryKind::Lookup => (1.0, self.internal_weight),
            QueryKind::Mentions | QueryKind::Task => (self.code_weight, self.internal_weight),
        };
        if code_weight != 1.0 || internal_weight != 1.0 {
            for hit in &mut hits {
                if is_source_code(&hit.chunk.path) {
                    hit.score *= code_weight;
                }
                if hit.chunk.internal {
                    hit.score *= internal_weight;
                }
            }
            sort_hits(&mut hits);
        }
        if let (Some(vectors), Some(q)) = (open.vectors.as_ref(), embedded_vec.as_ref()) {
            // A cosine's weight in the fused score (vector mode ranks raw cosines).
            let weight = match (mode, fusion) {
                (Mode::Hybrid, Fusion::Weighted { alpha, stretch }) => {
                    alpha * cosine_scale(&dense, stretch).1
                }
                (Mode::Vector, Fusion::Weighted { alpha, .. }) => alpha,
                _ => 0.0,
            };
            let weight = weight * self.summary_weight;
            if weight > 0.0 {
                rerank_by_summaries(&mut hits, &dense, vectors, q, build.id_offset, weight);
            }
        }
        // A pasted diagnostic's answer is the one item that emits it.
        if self.popularity_weight > 0.0 && kind != QueryKind::Pasted {
            weigh_by_popularity(&mut hits, &open.text, self.popularity_weight)?;
        }
        boost_named_items(query, &mut hits, bonus);
        // A task's answer is more often an item's full entry than a helper.
        let code_length_weight = match kind {
            QueryKind::Task => self.task_length_weight,
            _ => self.length_weight,
        };
        weigh_by_length(&mut hits, self.length_weight, code_length_weight);
        hits.truncate(limit);
        let hits = merge_sections(hits);
        Ok(Ranked {
            library,
            version: build.name,
            hits: merge_sections(hits),
            rules,
            degraded,
        })
    }
}

/// Resolves `/org/project[/version]` to its ready build in `catalog`. An id
/// without a version means the version the first of `projects` (lockfile
/// versions by lowercased id) locks where that is indexed, else the
/// unversioned build, else (a library known only as a dependency) its
/// newest version.
fn find_build_in(
    catalog: &Catalog,
    library_id: &str,
    projects: &[&HashMap<String, String>],
) -> Result<(String, Version), SearchError> {
    let (id, version) = split_library_id(library_id);
    let locked = |id: &str| -> Result<Option<Version>, SearchError> {
        if !version.is_empty() {
            return Ok(None);
        }
        let key = id.to_ascii_lowercase();
        for v in projects.iter().filter_map(|p| p.get(&key)) {
            if let Some(build) = catalog.ready_build(id, v)? {
                return Ok(Some(build));
            }
        }
        Ok(None)
    };
    if let Some(build) = locked(&id)? {
        return Ok((id, build));
    }
    if let Some(build) = catalog.ready_build(&id, &version)? {
        return Ok((id, build));
    }
    let libraries = catalog.libraries()?;
    // A case-insensitive match is still the same library.
    if let Some(lib) = libraries.iter().find(|l| l.id.eq_ignore_ascii_case(&id)) {
        if let Some(build) = locked(&lib.id)? {
            return Ok((lib.id.clone(), build));
        }
        if let Some(build) = catalog.ready_build(&lib.id, &version)? {
            return Ok((lib.id.clone(), build));
        }
        if version.is_empty()
            && let Some(newest) = newest_version(&lib.versions)
        {
            return Ok((lib.id.clone(), newest.clone()));
        }
        let known: Vec<String> = lib
            .versions
            .iter()
            .map(|v| display_version(&v.name))
            .collect();
        return Err(SearchError::UnknownVersion {
            id: lib.id.clone(),
            version,
            known: known.join(", "),
        });
    }
    let known = if libraries.is_empty() {
        "none yet (run `twinmcp index <path>`)".to_owned()
    } else {
        libraries
            .iter()
            .map(|l| l.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    Err(SearchError::UnknownLibrary {
        id: library_id.trim().to_owned(),
        known,
    })
}

/// The newest of `versions` (semver order where they parse, a leading `v`
/// allowed; else by name).
fn newest_version(versions: &[Version]) -> Option<&Version> {
    let key = |v: &Version| {
        let parsed = semver::Version::parse(v.name.trim_start_matches('v')).ok();
        (parsed.is_some(), parsed, v.name.clone())
    };
    versions.iter().max_by_key(|v| key(v))
}

/// Identifiers a query names: words with `_`, `::`, `.` or `()`, inner
/// capitals, or in backticks (`spawn_blocking`, `Router::layer`,
/// `Path.read_text()`, `useEffect`). Returned lowercased, last segment only.
fn query_identifiers(query: &str) -> Vec<String> {
    let mut out = Vec::new();
    for raw in query.split(|c: char| {
        c.is_whitespace() || matches!(c, ',' | ';' | '?' | '"' | '\'' | '[' | ']' | '{' | '}')
    }) {
        let quoted = raw.starts_with('`');
        let word = raw.trim_matches(|c: char| !(c.is_alphanumeric() || c == '_'));
        let has_call = raw.contains("()") || raw.contains('(');
        let word = word.split('(').next().unwrap_or(word);
        if word.len() < 3 {
            continue;
        }
        let camel = word
            .chars()
            .zip(word.chars().skip(1))
            .any(|(a, b)| a.is_lowercase() && b.is_uppercase());
        let path = word.contains("::") || word.contains('.') && !word.ends_with('.');
        if quoted || has_call || camel || path || word.contains('_') {
            let last = word
                .rsplit([':', '.'])
                .next()
                .unwrap_or(word)
                .trim_end_matches('!');
            if last.len() >= 3 {
                out.push(last.to_lowercase());
            }
        }
    }
    out
}

/// What a query is, for the weights that rank its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QueryKind {
    /// A pasted diagnostic (`pasted_message`).
    Pasted,
    /// A short query (`LOOKUP_WORDS`) that names an item of the library.
    Lookup,
    /// A longer question that names an item of the library.
    Mentions,
    /// Words describing a task: no identifier in the query names an item
    /// among the candidates (`df`, `'a'`, `filename.png` are the user's
    /// variables and files, not the library's API).
    Task,
}

impl QueryKind {
    fn of(query: &str, pasted: bool, candidates: &[crate::index::StoredChunk]) -> QueryKind {
        if pasted {
            return QueryKind::Pasted;
        }
        let identifiers = query_identifiers(query);
        let names_an_item = !identifiers.is_empty()
            && candidates
                .iter()
                .any(|c| identifiers.contains(&item_name(&c.breadcrumb)));
        match names_an_item {
            false => QueryKind::Task,
            true if query.split_whitespace().count() <= LOOKUP_WORDS => QueryKind::Lookup,
            true => QueryKind::Mentions,
        }
    }
}

impl Engine {
    /// The fusion for a query of `kind`: a pasted diagnostic's words are the
    /// evidence (`Fusion::for_message`); words that describe a task share few
    /// terms with the docs that answer them, so `task_alpha` may let vectors
    /// count more.
    fn fusion_for(&self, kind: QueryKind) -> Fusion {
        match (self.fusion, self.task_alpha, kind) {
            (Fusion::Weighted { .. }, _, QueryKind::Pasted) => {
                Fusion::for_message(self.message_alpha)
            }
            (Fusion::Weighted { stretch, .. }, Some(alpha), QueryKind::Task) => {
                Fusion::Weighted { alpha, stretch }
            }
            (fusion, _, _) => fusion,
        }
    }
}

/// Words that frame a question rather than say what it asks ("how do I",
/// "what is the best way to", "why does my"): in docs they are common prose,
/// so as BM25 terms they only add noise. The query's vector keeps them (the
/// model reads whole sentences), and so does a pasted diagnostic, whose
/// words are all the message's ("Need type annotation for", "Cannot
/// determine type").
const FRAMING_WORDS: &[&str] = &[
    "how", "what", "why", "which", "do", "does", "did", "i", "i'm", "me", "my", "we", "our", "you",
    "your", "can", "could", "should", "would", "way", "ways", "possible", "want", "wanted", "need",
    "trying",
];

/// `query` without its question-framing words (`FRAMING_WORDS`), matched
/// whole and case-insensitively, so identifiers that contain them stay.
fn without_framing(query: &str) -> String {
    query
        .split_whitespace()
        .filter(|word| {
            let bare = word.trim_matches(|c: char| matches!(c, ',' | '?' | '!' | ';' | ':' | '.'));
            !FRAMING_WORDS.contains(&bare.to_lowercase().as_str())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A query that holds a compiler's, linter's or runtime's diagnostic, as
/// pasted from a terminal: some line starts with a location
/// (`src/app.py:12:5:`, `--> cli.py:88:15`, `main.go:7:`, `src/a.ts(3,7):`, or
/// eslint's `3:7  error`), the query opens with a diagnostic's head
/// (`error[E0277]:`, `RuntimeError:`, `panicked at`), or it holds a stack
/// trace (Python's `Traceback (most recent call last):`, `at f (app.js:3:7)`
/// frames). Returns the query without its locations and stack frames, which
/// name the user's files rather than the library's; `None` for any other query.
fn pasted_message(query: &str) -> Option<String> {
    let mut found = false;
    let mut lines: Vec<String> = Vec::new();
    for line in query.lines() {
        let trimmed = line.trim_start();
        if is_stack_frame(trimmed) {
            found = true;
            continue;
        }
        let rest = trimmed.strip_prefix("-->").map_or(trimmed, str::trim_start);
        let (head, tail) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        if is_location(head) || (is_line_col(head) && opens_with_severity(tail)) {
            found = true;
            lines.push(tail.trim().to_owned());
        } else {
            lines.push(line.to_owned());
        }
    }
    let cleaned = lines.join("\n").trim().to_owned();
    let found = found || opens_with_diagnostic(&cleaned);
    (found && !cleaned.is_empty()).then_some(cleaned)
}

/// A line of a stack trace: Python's `Traceback (most recent call last):` and
/// `File "app.py", line 3, in main`, or a JavaScript or Java frame
/// (`at main (/srv/app.js:3:7)`, `at com.acme.Job.run(Job.java:42)`).
fn is_stack_frame(line: &str) -> bool {
    if line.starts_with("Traceback (most recent call last)") {
        return true;
    }
    if let Some(rest) = line.strip_prefix("File \"") {
        return rest.contains("\", line ");
    }
    let Some(frame) = line.strip_prefix("at ") else {
        return false;
    };
    let place = match frame.rsplit_once('(') {
        Some((_, inner)) => inner.trim_end().trim_end_matches(')'),
        None => frame.trim(),
    };
    let place = place.strip_prefix("file://").unwrap_or(place);
    // `node:internal/main:81:12` has no extension, but a line and a column.
    let line_col = place.rsplitn(3, ':').take(2).all(is_number)
        && place.matches(':').count() >= 2
        && !place.contains(char::is_whitespace);
    is_location(place) || line_col || place == "native" || place == "Native Method"
}

/// `LINE:COL`, as eslint's and stylelint's reports open a line.
fn is_line_col(token: &str) -> bool {
    token
        .split_once(':')
        .is_some_and(|(line, col)| is_number(line) && is_number(col))
}

/// Whether `text` opens with a severity word: `error`, `warning`, `warn`.
fn opens_with_severity(text: &str) -> bool {
    let word = text.split_whitespace().next().unwrap_or("");
    matches!(
        word.trim_end_matches(':').to_ascii_lowercase().as_str(),
        "error" | "warning" | "warn"
    )
}

/// Whether `text` opens as a diagnostic does: `error:`, `warning:`,
/// `panic:`, `fatal:` (with an optional `[code]`), an exception or warning
/// class and a colon (`ReferenceError:`, `MaxListenersExceededWarning:`,
/// `pkg.CustomException:`), or Rust's `panicked at`. Measured through MCP
/// (mrr@10), on top of stretched cosines: dev-60 0.795 → 0.802 (two of its
/// ten troubleshooting questions move, 2 → 1 and 3 → 4); v2 unchanged, its
/// messages carry locations.
fn opens_with_diagnostic(text: &str) -> bool {
    if text.starts_with("panicked at ") || text.starts_with("Exception in thread \"") {
        return true;
    }
    let first = text.split_whitespace().next().unwrap_or("");
    let Some(head) = first.strip_suffix(':') else {
        return false;
    };
    let head = head.split_once('[').map_or(head, |(name, _)| name);
    let class = head.rsplit('.').next().unwrap_or(head);
    matches!(
        head.to_ascii_lowercase().as_str(),
        "error" | "warning" | "panic" | "fatal"
    ) || ["Error", "Exception", "Warning"]
        .iter()
        .any(|end| class.len() > end.len() && class.ends_with(end))
        && class.starts_with(|c: char| c.is_ascii_uppercase())
        && head
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_'))
}

/// `path.ext:LINE`, `path.ext:LINE:COL`, or `path.ext(LINE,COL)` as tsc
/// and MSBuild write it, with an optional trailing colon.
fn is_location(token: &str) -> bool {
    let token = token.trim_end_matches(':');
    if let Some((path, place)) = token.strip_suffix(')').and_then(|t| t.rsplit_once('(')) {
        return place.split(',').all(is_number)
            && place.split(',').count() <= 2
            && !path.contains(':')
            && is_file_name(path);
    }
    let mut parts = token.rsplitn(3, ':');
    if !is_number(parts.next().unwrap_or("")) {
        return false;
    }
    let (line_or_path, path) = (parts.next().unwrap_or(""), parts.next());
    let path = match path {
        Some(path) if is_number(line_or_path) => path,
        Some(_) => return false,
        None => line_or_path,
    };
    is_file_name(path)
}

/// Digits only, at least one.
fn is_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// A path whose name has an extension of one to five letters or digits.
fn is_file_name(path: &str) -> bool {
    path.rsplit_once('.').is_some_and(|(stem, ext)| {
        !stem.is_empty()
            && (1..=5).contains(&ext.len())
            && ext.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

/// Whether `path` is a source file whose API items were extracted (not an example).
fn is_source_code(path: &str) -> bool {
    matches!(
        crate::parse::Format::from_path(path),
        Some(crate::parse::Format::Code(_))
    )
}

/// The item name a chunk documents: the last segment of its breadcrumb's
/// qualified name (`time::timeout::timeout` → `timeout`), a signature's
/// parameters left out (`child_process.execFile(file[, args])` → `execfile`).
fn item_name(breadcrumb: &str) -> String {
    let last = breadcrumb
        .rsplit(BREADCRUMB_SEPARATOR)
        .next()
        .unwrap_or(breadcrumb);
    // A heading that is a signature names the item before its parameters.
    let last = last
        .split('(')
        .next()
        .unwrap_or(last)
        .trim()
        .trim_matches('`');
    last.rsplit([':', '.'])
        .next()
        .unwrap_or(last)
        .trim_end_matches('!')
        .to_lowercase()
}

/// Default weight of the API-item popularity prior. Through MCP (mrr@10,
/// hit@5 in brackets), alone, 0 → 0.15 / 0.3 / 0.45 / 0.6 / 0.75: v2 task
/// intents 0.386 (0.580) → 0.392 / 0.398 (0.605) / 0.392 / 0.417 / 0.387
/// (0.519); dev-60 0.840 (0.967) → 0.842 / 0.836 (0.983) / 0.836 / 0.834 /
/// 0.818. With `TASK_ALPHA` 0.55, `TASK_LENGTH_WEIGHT` and `SUMMARY_WEIGHT`,
/// 0.3 / 0.4 / 0.5: task intents 0.457 / 0.466 / 0.481, dev-60 0.844 / 0.844
/// / 0.831 (0.983 at all three). Pasted diagnostics are left out of it.
pub const POPULARITY_WEIGHT: f32 = 0.4;

/// An API item that many sections of its library mention (`concat`,
/// `dropna`, `savefig`) is more often what a task needs than one that few
/// mention (a protocol's helper, a backend's method): among the candidates
/// that document source-code items, the least mentioned (by the document
/// frequency of its name in BM25's `body`) has its score times
/// `1 - weight`, the most mentioned keeps it, log scale between.
fn weigh_by_popularity(
    hits: &mut [Hit],
    text: &crate::index::TextIndex,
    weight: f32,
) -> Result<(), SearchError> {
    let items: Vec<usize> = (0..hits.len())
        .filter(|&i| is_source_code(&hits[i].chunk.path))
        .collect();
    let names: Vec<String> = items
        .iter()
        .map(|&i| item_name(&hits[i].chunk.breadcrumb))
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let counts: Vec<f32> = text
        .name_frequencies(&names)?
        .into_iter()
        .map(|c| ((c + 1) as f32).ln())
        .collect();
    let (low, high) = counts
        .iter()
        .fold((f32::MAX, f32::MIN), |(l, h), &c| (l.min(c), h.max(c)));
    if high - low < 1e-6 {
        return Ok(());
    }
    for (&i, c) in items.iter().zip(counts) {
        hits[i].score *= 1.0 - weight * (1.0 - (c - low) / (high - low));
    }
    sort_hits(hits);
    Ok(())
}

/// Longest query (in words) treated as a lookup of the APIs it names.
const LOOKUP_WORDS: usize = 6;

/// Exact API names win: in a short query that names an item
/// (`tokio::spawn_blocking`, "how do I use Queue.add_bulk"), a hit
/// documenting that item gains `bonus`, as if a third retriever had ranked
/// it first. Longer questions that mention APIs ("click.argument vs
/// click.option: when should a parameter be positional?") usually want the
/// prose that explains them; measured on the dev set, boosting those costs
/// mrr@10 (0.629 → 0.608), so they are left to the retrievers.
fn boost_named_items(query: &str, hits: &mut [Hit], bonus: f32) {
    let names = query_identifiers(query);
    if names.is_empty() || hits.is_empty() || query.split_whitespace().count() > LOOKUP_WORDS {
        return;
    }
    // The public item of that name, not an internal one that shares it.
    for hit in hits.iter_mut() {
        if !hit.chunk.internal && names.contains(&item_name(&hit.chunk.breadcrumb)) {
            hit.score += bonus;
        }
    }
    sort_hits(hits);
}

/// Best score first, ties by chunk id (so that equal scores keep one order).
fn sort_hits(hits: &mut [Hit]) {
    hits.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.chunk.id.cmp(&b.chunk.id))
    });
}

/// Default exponent of the section-length prior. BM25 divides a term's
/// weight by the section's length, and a short vector is closer to a short
/// query, so both retrievers favour short sections: a three-line helper
/// (`is_null_slice`) outranks the documented method with its parameters and
/// examples (`DataFrame.dropna`), a one-paragraph stub the guide page that
/// explains. The prior corrects that lean after fusion, as pivoted length
/// normalization does for BM25. Measured on both dev parts (see README).
pub const LENGTH_WEIGHT: f32 = 0.1;
/// The section-length prior's exponent for the API items from source code
/// in the answer to a question that describes a task (`QueryKind::Task`):
/// such a question is more often answered by an item's full entry (its
/// parameters and examples: `DataFrame.fillna`, `Figure.savefig`) than by a
/// short helper that shares its words. Prose and examples keep
/// `LENGTH_WEIGHT`: applied to them too, a tutorial's short example fell
/// behind long API items (dev-60 clap-02, 3rd → 7th). Through MCP (mrr@10),
/// 0.25 / 0.3 / 0.35: v2 task intents 0.458 / 0.466 / 0.479, dev-60 0.833 /
/// 0.844 / 0.836.
pub const TASK_LENGTH_WEIGHT: f32 = 0.3;

/// The scale of an API summary's gain in `rerank_by_summaries`, a share of
/// the fusion's weight of cosines (1 was the only value before). A summary
/// is a line; at the full weight its closeness to a task's wording outweighed
/// the section's own evidence. Through MCP (mrr@10), 0.5 / 0.6 / 0.75 / 1:
/// v2 task intents 0.470 / 0.466 / 0.453 / 0.448, error messages 0.875 /
/// 0.875 / 0.869 / 0.869, dev-60 0.839 / 0.844 / 0.839 / 0.839.
pub const SUMMARY_WEIGHT: f32 = 0.6;

/// The section length (tokens) at which the prior is 1.
const LENGTH_PIVOT: f32 = 300.0;

/// Multiplies each hit's score by `(tokens / LENGTH_PIVOT)^weight`, with
/// `code_weight` for API items from source code, and re-sorts them.
fn weigh_by_length(hits: &mut [Hit], weight: f32, code_weight: f32) {
    if weight == 0.0 && code_weight == 0.0 || hits.is_empty() {
        return;
    }
    for hit in hits.iter_mut() {
        let tokens = hit.chunk.tokens.max(1) as f32;
        let weight = match is_source_code(&hit.chunk.path) {
            true => code_weight,
            false => weight,
        };
        hit.score *= (tokens / LENGTH_PIVOT).powf(weight);
    }
    sort_hits(hits);
}

/// An API section whose summary (qualified name and first paragraph, its
/// second vector) is closer to the query than its whole text gains the
/// difference at the fusion's weight of cosines: its own vector is diluted
/// by parameter lists, and the summary line is what a task's wording
/// paraphrases. Summaries re-rank the candidates; they retrieve nothing.
fn rerank_by_summaries(
    hits: &mut [Hit],
    dense: &[(i64, f32)],
    vectors: &crate::index::VectorIndex,
    query: &[f32],
    id_offset: i64,
    alpha: f32,
) {
    let cosine: HashMap<i64, f32> = dense.iter().copied().collect();
    let floor = dense.last().map_or(0.0, |d| d.1);
    let mut changed = false;
    for hit in hits.iter_mut() {
        // Only API sections have one (`chunk::api_summary`).
        let Some(summary) = vectors.summary(hit.chunk.id - id_offset) else {
            continue;
        };
        let own = cosine.get(&hit.chunk.id).copied().unwrap_or(floor);
        let c: f32 = summary.iter().zip(query).map(|(a, b)| a * b).sum();
        if c > own {
            hit.score += alpha * (c - own);
            changed = true;
        }
    }
    if changed {
        sort_hits(hits);
    }
}

/// Shows the unversioned default as "latest".
pub fn display_version(name: &str) -> String {
    if name.is_empty() {
        "latest".to_owned()
    } else {
        name.to_owned()
    }
}

/// Joins parts of one section that were split at index time and both ranked:
/// the merged hit takes the better rank and shows the parts in source order.
fn merge_sections(hits: Vec<Hit>) -> Vec<Hit> {
    let mut out: Vec<Hit> = Vec::with_capacity(hits.len());
    for hit in hits {
        let same = out.iter_mut().find(|h| {
            h.chunk.path == hit.chunk.path
                && (h.chunk.breadcrumb == hit.chunk.breadcrumb
                    || h.chunk.tokens + hit.chunk.tokens <= MERGE_NEIGHBOURS_TOKENS)
                && (h.chunk.end_line + 1 >= hit.chunk.start_line
                    && hit.chunk.end_line + 1 >= h.chunk.start_line
                    || adjacent(&h.chunk, &hit.chunk))
        });
        match same {
            Some(h) => {
                // The result keeps the title of its better-ranked part (`h`).
                let titled_first = hit.chunk.start_line >= h.chunk.start_line;
                let (first, second) = match titled_first {
                    true => (&h.chunk, &hit.chunk),
                    false => (&hit.chunk, &h.chunk),
                };
                let heading = |chunk: &crate::index::StoredChunk| {
                    let last = chunk.breadcrumb.rsplit(BREADCRUMB_SEPARATOR).next();
                    last.unwrap_or("").to_owned()
                };
                // A neighbouring section keeps its heading in the joined text,
                // and so does the first one where the title names the second.
                let text = if first.breadcrumb == second.breadcrumb {
                    format!("{}\n\n{}", first.text, second.text)
                } else if titled_first {
                    format!(
                        "{}\n\n## {}\n\n{}",
                        first.text,
                        heading(second),
                        second.text
                    )
                } else {
                    format!(
                        "## {}\n\n{}\n\n## {}\n\n{}",
                        heading(first),
                        first.text,
                        heading(second),
                        second.text
                    )
                };
                h.chunk.tokens += hit.chunk.tokens;
                h.chunk.text = text;
                h.ranges = join_ranges(&h.ranges, &hit.ranges);
                // The chunk's lines are the envelope of the parts'.
                h.chunk.start_line = h.ranges[0].0;
                h.chunk.end_line = h.ranges[h.ranges.len() - 1].1;
            }
            None => out.push(hit),
        }
    }
    out
}

/// The line ranges of `a` and `b` in source order, those that overlap or
/// touch made one.
fn join_ranges(a: &[(u32, u32)], b: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let mut all: Vec<(u32, u32)> = a.iter().chain(b).copied().collect();
    all.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::with_capacity(all.len());
    for (start, end) in all {
        match out.last_mut() {
            Some(last) if start <= last.1 + 1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    out
}

/// Neighbouring sections of one file that both rank are shown as one
/// result while together they stay under this many tokens.
const MERGE_NEIGHBOURS_TOKENS: u32 = 1200;

/// Consecutive chunks of one file (parts of a section, or neighbouring
/// sections) have consecutive ids.
fn adjacent(a: &crate::index::StoredChunk, b: &crate::index::StoredChunk) -> bool {
    a.id.abs_diff(b.id) == 1
}

/// The data dir's default location.
pub fn default_data_dir() -> PathBuf {
    directories::ProjectDirs::from("", "", "twinmcp")
        .map(|d| d.data_dir().to_owned())
        .unwrap_or_else(|| PathBuf::from(".twinmcp"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sized(id: i64, tokens: u32, score: f32) -> Hit {
        Hit::new(
            crate::index::StoredChunk {
                id,
                breadcrumb: format!("item{id}"),
                text: String::new(),
                path: "a.py".into(),
                title: None,
                start_line: 1,
                end_line: 2,
                tokens,
                internal: false,
            },
            score,
        )
    }

    #[test]
    fn the_popularity_prior_lifts_the_item_a_library_mentions_most() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = crate::index::TextIndexWriter::create(dir.path()).unwrap();
        // `concatenate` is mentioned by five sections, `masked_concat` by one.
        for id in 0..5 {
            writer
                .add(id, "t", "b", "see concatenate for joining arrays", "")
                .unwrap();
        }
        writer
            .add(5, "t", "b", "masked_concat joins masked arrays", "")
            .unwrap();
        writer.commit().unwrap();
        let text = crate::index::TextIndex::open(dir.path()).unwrap();
        assert_eq!(
            text.name_frequencies(&["concatenate", "nowhere", "masked_concat"])
                .unwrap(),
            [5, 0, 1]
        );
        let named = |id: i64, name: &str, path: &str, score: f32| {
            let mut hit = sized(id, 300, score);
            hit.chunk.breadcrumb = name.into();
            hit.chunk.path = path.into();
            hit
        };
        let mut hits = vec![
            named(1, "numpy.ma.core.masked_concat", "numpy/ma/core.py", 1.0),
            named(
                2,
                "numpy.core.multiarray.concatenate",
                "numpy/core/multiarray.py",
                0.9,
            ),
            // Prose has no item name: its score stays as it is.
            named(3, "Guide › Joining", "docs/guide.md", 0.95),
        ];
        weigh_by_popularity(&mut hits, &text, POPULARITY_WEIGHT).unwrap();
        let order: Vec<i64> = hits.iter().map(|h| h.chunk.id).collect();
        assert_eq!(order, [3, 2, 1], "{hits:?}");
        assert!((hits[0].score - 0.95).abs() < 1e-6);
        assert!(
            (hits[1].score - 0.9).abs() < 1e-6,
            "the most mentioned keeps its score"
        );
        assert!((hits[2].score - (1.0 - POPULARITY_WEIGHT)).abs() < 1e-6);
        // One item alone, or all mentioned alike: nothing changes.
        let mut one = vec![named(
            1,
            "numpy.ma.core.masked_concat",
            "numpy/ma/core.py",
            1.0,
        )];
        weigh_by_popularity(&mut one, &text, POPULARITY_WEIGHT).unwrap();
        assert!((one[0].score - 1.0).abs() < 1e-6);
    }

    #[test]
    fn the_length_prior_lifts_a_documented_item_over_a_close_short_helper() {
        let order = |hits: &[Hit]| hits.iter().map(|h| h.chunk.id).collect::<Vec<_>>();
        // A 30-token helper scoring a little higher than a 900-token method.
        let mut hits = vec![sized(1, 30, 1.0), sized(2, 900, 0.9), sized(3, 300, 0.5)];
        weigh_by_length(&mut hits, 0.0, 0.0);
        assert_eq!(order(&hits), [1, 2, 3]);
        assert_eq!(hits[0].score, 1.0, "weight 0 leaves scores as they are");
        weigh_by_length(&mut hits, LENGTH_WEIGHT, LENGTH_WEIGHT);
        assert_eq!(order(&hits), [2, 1, 3]);
        // At the pivot the factor is 1; a far lower score stays below.
        assert!((hits[2].score - 0.5).abs() < 1e-6);
        let mut far = vec![sized(1, 30, 1.0), sized(2, 900, 0.5)];
        weigh_by_length(&mut far, LENGTH_WEIGHT, LENGTH_WEIGHT);
        assert_eq!(order(&far), [1, 2]);
    }

    #[test]
    fn a_task_weighs_the_length_of_api_items_only() {
        let order = |hits: &[Hit]| hits.iter().map(|h| h.chunk.id).collect::<Vec<_>>();
        // A 900-token API entry well below a 30-token helper: the task form
        // of the prior lifts the entry, the general one does not.
        let mut hits = vec![sized(1, 30, 1.0), sized(2, 900, 0.5)];
        weigh_by_length(&mut hits, LENGTH_WEIGHT, TASK_LENGTH_WEIGHT);
        assert_eq!(order(&hits), [2, 1]);
        // A short guide section is prose: it keeps the general prior.
        let mut guide = sized(3, 30, 1.0);
        guide.chunk.path = "docs/guide.md".into();
        let mut hits = vec![guide, sized(2, 900, 0.5)];
        weigh_by_length(&mut hits, LENGTH_WEIGHT, TASK_LENGTH_WEIGHT);
        assert_eq!(order(&hits), [3, 2]);
    }

    #[test]
    fn a_query_names_an_api_only_with_an_item_of_the_library() {
        let mut fillna = sized(1, 100, 1.0).chunk;
        fillna.breadcrumb = "pandas.core.generic.NDFrame.fillna".into();
        let candidates = [fillna, sized(2, 100, 1.0).chunk];
        let kind = |query: &str| QueryKind::of(query, false, &candidates);
        assert_eq!(kind("NDFrame.fillna limit"), QueryKind::Lookup);
        assert_eq!(
            kind("why does DataFrame.fillna(method='ffill') warn that the argument is deprecated"),
            QueryKind::Mentions
        );
        // The user's own names are not the library's.
        assert_eq!(
            kind("join `frame_1` and `frame_2` with a left join on `county_ID`"),
            QueryKind::Task
        );
        assert_eq!(kind("replace all the nan values with 0"), QueryKind::Task);
        assert_eq!(
            QueryKind::of("F401 `sys.fillna` imported but unused", true, &candidates),
            QueryKind::Pasted
        );
    }

    #[test]
    fn a_joined_result_names_the_lines_of_each_part() {
        let part = |id: i64, breadcrumb: &str, lines: (u32, u32)| {
            let mut hit = sized(id, 100, 1.0);
            hit.chunk.path = "lib/image.py".into();
            hit.chunk.breadcrumb = breadcrumb.into();
            hit.chunk.text = breadcrumb.into();
            (hit.chunk.start_line, hit.chunk.end_line) = lines;
            Hit::new(hit.chunk, 1.0)
        };
        // Consecutive sections of a file, undocumented code between them.
        let joined = merge_sections(vec![
            part(7, "image.AxesImage", (880, 939)),
            part(6, "image.composite_images", (60, 120)),
        ]);
        assert_eq!(joined.len(), 1);
        assert_eq!(joined[0].ranges, [(60, 120), (880, 939)]);
        assert_eq!(
            (joined[0].chunk.start_line, joined[0].chunk.end_line),
            (60, 939)
        );
        assert_eq!(
            joined[0].source(),
            "lib/image.py#L60-L120, lib/image.py#L880-L939"
        );
        // Titled by the better-ranked part, the second: each part has its heading.
        assert_eq!(joined[0].chunk.breadcrumb, "image.AxesImage");
        assert_eq!(
            joined[0].chunk.text,
            "## image.composite_images\n\nimage.composite_images\n\n\
             ## image.AxesImage\n\nimage.AxesImage"
        );
        let titled_first = merge_sections(vec![
            part(6, "image.composite_images", (60, 120)),
            part(7, "image.AxesImage", (880, 939)),
        ]);
        assert_eq!(
            titled_first[0].chunk.text,
            "image.composite_images\n\n## image.AxesImage\n\nimage.AxesImage"
        );
        // Two parts of one section, line after line, are one range.
        let parts = merge_sections(vec![
            part(8, "image.imshow", (1000, 1050)),
            part(9, "image.imshow", (1051, 1090)),
        ]);
        assert_eq!(parts[0].ranges, [(1000, 1090)]);
        assert_eq!(parts[0].source(), "lib/image.py#L1000-L1090");
    }

    #[test]
    fn pasted_diagnostics_lose_their_locations() {
        assert_eq!(
            pasted_message("app/__main__.py:3:8: F401 [*] `sys` imported but unused").as_deref(),
            Some("F401 [*] `sys` imported but unused")
        );
        assert_eq!(
            pasted_message("F541 [*] f-string without any placeholders\n --> cli.py:88:15")
                .as_deref(),
            Some("F541 [*] f-string without any placeholders")
        );
        assert_eq!(
            pasted_message("main.go:7: undefined: foo").as_deref(),
            Some("undefined: foo")
        );
        // Without a location, a diagnostic's head marks it.
        for pasted in [
            "error[E0277]: the trait bound `F: Handler<_, _>` is not satisfied",
            "RuntimeError: Working outside of application context.",
            "panicked at 'Cannot start a runtime from within a runtime'",
            "json.decoder.JSONDecodeError: Expecting value",
            "warning: unused variable: `x`",
        ] {
            assert_eq!(pasted_message(pasted).as_deref(), Some(pasted));
        }
        // Other tools' shapes, and stack traces.
        assert_eq!(
            pasted_message(
                "src/app.ts(3,7): error TS2339: Property 'x' does not exist on type 'Y'."
            )
            .as_deref(),
            Some("error TS2339: Property 'x' does not exist on type 'Y'.")
        );
        assert_eq!(
            pasted_message(
                "/home/u/app/index.js\n  3:7  error  'x' is assigned a value but never used  no-unused-vars"
            )
            .as_deref(),
            Some("/home/u/app/index.js\nerror  'x' is assigned a value but never used  no-unused-vars")
        );
        assert_eq!(
            pasted_message(
                "Traceback (most recent call last):\n  File \"/srv/app.py\", line 3, in <module>\n    \
                 import flask\nModuleNotFoundError: No module named 'flask'"
            )
            .as_deref(),
            Some("import flask\nModuleNotFoundError: No module named 'flask'")
        );
        assert_eq!(
            pasted_message(
                "TypeError: Cannot read properties of undefined (reading 'map')\n    \
                 at render (/srv/app/list.js:12:19)\n    at node:internal/main:81:12\n    at async Promise.all (index 0)"
            )
            .as_deref(),
            Some("TypeError: Cannot read properties of undefined (reading 'map')\n    at async Promise.all (index 0)")
        );
        assert_eq!(
            pasted_message(
                "Exception in thread \"main\" java.lang.IllegalStateException: closed\n\tat com.acme.Job.run(Job.java:42)"
            )
            .as_deref(),
            Some("Exception in thread \"main\" java.lang.IllegalStateException: closed")
        );
        for question in [
            "how do I retry a job",
            "at what point (step 3) does it start",
            "File \"a\" naming rules",
            "a(1,2): b",
            "tokio::time::timeout",
            "version 1.2:3",
            "a.b:c",
            "Error handling: how do handlers return errors?",
            "Note: is Error: a type?",
            "errors: where are they listed",
        ] {
            assert_eq!(pasted_message(question), None, "{question}");
        }
    }

    #[test]
    fn queries_name_identifiers_in_code_styles() {
        assert_eq!(
            query_identifiers(
                "use tokio::task::spawn_blocking or `block_in_place`? and Path.read_text() in useEffect"
            ),
            ["spawn_blocking", "block_in_place", "read_text", "useeffect"]
        );
        assert!(query_identifiers("how do I configure the router, e.g. for tests").is_empty());
        assert_eq!(item_name("time::timeout::timeout"), "timeout");
        assert_eq!(item_name("Guide › Routing"), "routing");
        assert_eq!(item_name("tokio::select!"), "select");
        // A heading that is a signature, as reference pages write them.
        assert_eq!(
            item_name("Child process › child_process.execFile(file[, args][, options])"),
            "execfile"
        );
        assert_eq!(item_name("Readline › `rl.close()`"), "close");
        assert_eq!(item_name("Class: fs.Dir"), "dir");
    }

    #[test]
    fn library_ids_split_into_id_and_version() {
        assert_eq!(split_library_id("/org/p"), ("/org/p".into(), String::new()));
        assert_eq!(
            split_library_id("/org/p/v1.2.3/"),
            ("/org/p".into(), "v1.2.3".into())
        );
    }
    #[test]
    fn question_framing_words_are_not_query_terms() {
        assert_eq!(
            without_framing("How do I spawn a task, and why does it block?"),
            "spawn a task, and it block?"
        );
        // Whole words only: identifiers that hold them stay.
        assert_eq!(without_framing("what does do_work() do"), "do_work()");
        assert_eq!(
            without_framing("Why can't I use my_handler?"),
            "can't use my_handler?"
        );
        assert_eq!(without_framing("how do I?"), "");
    }
}
