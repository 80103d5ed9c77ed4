//! The SQLite catalog: libraries, builds, documents and chunks.
//!
//! The catalog is the source of truth. A build is one indexing run of one
//! library version; readers only ever see builds in the `ready` state, and a
//! build becomes ready in the same transaction that retires its predecessor.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::IndexError;
use super::options::{IndexOptions, parse_options};
use crate::chunk::Chunk;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS libraries (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    description TEXT NOT NULL,
    source      TEXT NOT NULL,
    rules       TEXT NOT NULL DEFAULT '[]',
    aliases     TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS builds (
    id          INTEGER PRIMARY KEY,
    library_id  TEXT NOT NULL,
    version     TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('building', 'ready')),
    source_rev  TEXT,
    model       TEXT,
    created_at  INTEGER NOT NULL,
    files       INTEGER NOT NULL DEFAULT 0,
    chunks      INTEGER NOT NULL DEFAULT 0,
    bytes       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS builds_library ON builds (library_id, version, state);
CREATE TABLE IF NOT EXISTS documents (
    id          INTEGER PRIMARY KEY,
    build_id    INTEGER NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
    path        TEXT NOT NULL,
    title       TEXT,
    hash        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_build ON documents (build_id);
CREATE TABLE IF NOT EXISTS chunks (
    id          INTEGER PRIMARY KEY,
    build_id    INTEGER NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
    document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    breadcrumb  TEXT NOT NULL,
    text        TEXT NOT NULL,
    path        TEXT NOT NULL,
    start_line  INTEGER NOT NULL,
    end_line    INTEGER NOT NULL,
    tokens      INTEGER NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_build ON chunks (build_id);
CREATE TABLE IF NOT EXISTS jobs (
    library_id  TEXT PRIMARY KEY,
    state       TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed')),
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    result      TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS projects (
    path        TEXT PRIMARY KEY,
    options     TEXT NOT NULL DEFAULT '{}',
    lockfiles   TEXT NOT NULL DEFAULT '',
    packages    TEXT NOT NULL DEFAULT '[]',
    updated_at  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS embeddings (
    model       TEXT NOT NULL,
    hash        TEXT NOT NULL,
    vector      BLOB NOT NULL,
    PRIMARY KEY (model, hash)
) WITHOUT ROWID;
"#;

/// Breadcrumb parts are stored joined by this separator.
pub const BREADCRUMB_SEPARATOR: &str = " › ";

/// Columns added after the first release, with their definitions; a
/// catalog from an older TwinMCP gains them when opened.
const ADDED_COLUMNS: &[(&str, &str, &str)] = &[
    ("libraries", "rules", "TEXT NOT NULL DEFAULT '[]'"),
    ("libraries", "aliases", "TEXT NOT NULL DEFAULT '[]'"),
    ("chunks", "code", "TEXT NOT NULL DEFAULT ''"),
    ("libraries", "git_ref", "TEXT"),
    ("libraries", "version_rule", "TEXT"),
    ("builds", "id_offset", "INTEGER NOT NULL DEFAULT 0"),
    // JSON of `IndexOptions`; NULL in catalogs from before it was stored.
    ("libraries", "options", "TEXT"),
    // 1 for a chunk about an item that is not public API.
    ("chunks", "internal", "INTEGER NOT NULL DEFAULT 0"),
];

/// A library: what the catalog records about it, as listed to users and to
/// `resolve-library-id`, and as a snapshot carries it (the JSON of its
/// library row; `versions` are the snapshot's builds instead).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Library {
    pub id: String,
    pub title: String,
    pub description: String,
    /// Where it was indexed from (a path or URL), for `list` and updates.
    pub source: String,
    /// The library owners' rules, shown above every `query-docs` answer.
    #[serde(default)]
    pub rules: Vec<String>,
    /// Other names it resolves by (package names).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// How it was indexed, so that every rebuild repeats it. Flattened, so
    /// that `git_ref` and `version_rule` sit where snapshots of format 1
    /// have always had them.
    #[serde(flatten)]
    pub options: IndexOptions,
    #[serde(skip)]
    pub versions: Vec<Version>,
}

/// A ready build of one library version.
#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    pub build_id: i64,
    /// Empty for the unversioned default.
    pub name: String,
    pub source_rev: Option<String>,
    pub model: Option<String>,
    pub created_at: i64,
    pub files: i64,
    pub chunks: i64,
    pub bytes: i64,
    /// Added to the chunk keys of the build's BM25 and vector files to get
    /// catalog chunk ids: 0 for builds indexed here, the shift applied on
    /// import for builds from a snapshot.
    pub id_offset: i64,
}

/// A project `deps` follows, for `update` to read again.
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    pub path: String,
    /// How `deps` was run on it (JSON).
    pub options: String,
    /// A hash of its lockfiles when last read.
    pub lockfiles: String,
    /// The library versions it used then (`/org/project/version`).
    pub packages: Vec<String>,
    pub updated_at: i64,
}

/// The last background update of a library (`serve --refresh`, `update`).
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub library: String,
    /// `running`, `done` or `failed`.
    pub state: String,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub result: String,
}

/// Seconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A document of an earlier build whose file has not changed.
#[derive(Debug, Clone)]
pub struct ReusedDocument {
    pub title: Option<String>,
    pub chunks: Vec<ReusedChunk>,
}

#[derive(Debug, Clone)]
pub struct ReusedChunk {
    pub chunk: Chunk,
    pub tokens: u32,
    pub hash: String,
}

/// A stored chunk, as returned to search.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredChunk {
    pub id: i64,
    pub breadcrumb: String,
    pub text: String,
    pub path: String,
    pub title: Option<String>,
    pub start_line: u32,
    pub end_line: u32,
    pub tokens: u32,
    /// About an item that is not public API.
    pub internal: bool,
}

fn add_missing_columns(conn: &Connection) -> rusqlite::Result<()> {
    for (table, column, definition) in ADDED_COLUMNS {
        let exists: bool = conn.query_row(
            &format!("SELECT count(*) FROM pragma_table_info('{table}') WHERE name = ?1"),
            [column],
            |r| r.get::<_, i64>(0).map(|n| n > 0),
        )?;
        if !exists {
            conn.execute_batch(&format!(
                "ALTER TABLE {table} ADD COLUMN {column} {definition}"
            ))?;
        }
    }
    Ok(())
}

/// Gives stored options to libraries that have none (catalogs from before
/// options were stored) or whose options cannot be read: their `--ref` and
/// `--versions`, defaults for the rest. Each such library is reported once,
/// here, since its row then holds readable options.
fn migrate_options(conn: &Connection) -> rusqlite::Result<()> {
    /// id, options, git_ref, version_rule.
    type Row = (String, Option<String>, Option<String>, Option<String>);
    let rows: Vec<Row> = conn
        .prepare("SELECT id, options, git_ref, version_rule FROM libraries")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    for (id, stored, git_ref, version_rule) in rows {
        let why = match stored.as_deref().map(parse_options) {
            Some(Ok(_)) => continue,
            Some(Err(e)) => format!("its stored index options cannot be read ({e})"),
            None => {
                "it was indexed by an older TwinMCP that did not store its index options".into()
            }
        };
        tracing::warn!(
            "library {id}: {why}; rebuilds use the defaults (with its --ref and --versions) \
             until it is indexed again with the flags it needs"
        );
        let options = IndexOptions {
            git_ref,
            version_rule,
            ..IndexOptions::default()
        };
        conn.execute(
            "UPDATE libraries SET options = ?2 WHERE id = ?1",
            params![id, options_json(&options)],
        )?;
    }
    Ok(())
}

fn options_json(options: &IndexOptions) -> String {
    serde_json::to_string(options).expect("options serialise")
}

/// A connection to the catalog database.
pub struct Catalog {
    conn: Connection,
}

impl Catalog {
    /// Opens (creating if needed) the catalog at `path`, bringing an older
    /// catalog's schema up to date.
    pub fn open(path: &Path) -> Result<Catalog, IndexError> {
        let conn = Connection::open(path).map_err(|e| IndexError::sqlite(path, e))?;
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .and_then(|_| conn.pragma_update(None, "journal_mode", "WAL"))
            .and_then(|_| conn.pragma_update(None, "synchronous", "NORMAL"))
            .and_then(|_| conn.pragma_update(None, "foreign_keys", "ON"))
            .and_then(|_| conn.execute_batch(SCHEMA))
            .and_then(|_| add_missing_columns(&conn))
            .and_then(|_| migrate_options(&conn))
            .map_err(|e| IndexError::sqlite(path, e))?;
        Ok(Catalog { conn })
    }

    /// Opens an existing, up-to-date catalog for reading only (a reader of
    /// `serve`; [`Catalog::open`] must have run on it first). SQLite's
    /// `query_only` refuses any write on it; the connection itself may
    /// create the WAL's shared-memory file, which a read-only open could not.
    pub fn open_read_only(path: &Path) -> Result<Catalog, IndexError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| IndexError::sqlite(path, e))?;
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .and_then(|_| conn.pragma_update(None, "query_only", true))
            .map_err(|e| IndexError::sqlite(path, e))?;
        Ok(Catalog { conn })
    }

    /// Starts a read transaction: every read until [`Catalog::end_read`]
    /// sees the catalog as it was at the first of them, whatever writers
    /// commit meanwhile (SQLite's WAL snapshot).
    pub fn begin_read(&self) -> Result<(), IndexError> {
        self.conn.execute_batch("BEGIN DEFERRED")?;
        Ok(())
    }

    /// Ends the read transaction of [`Catalog::begin_read`], if one is open.
    pub fn end_read(&self) {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("COMMIT");
        }
    }

    /// Starts a write transaction (one writer at a time: see the writer lock).
    pub fn begin_write(&self) -> Result<(), IndexError> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(())
    }

    pub fn commit(&self) -> Result<(), IndexError> {
        self.conn.execute_batch("COMMIT")?;
        Ok(())
    }

    /// Undoes the open write transaction, if any.
    pub fn rollback(&self) {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }

    /// Every library with at least one ready build, ordered by id.
    pub fn libraries(&self) -> Result<Vec<Library>, IndexError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT l.id, l.title, l.description, l.source, l.rules, l.aliases, l.options,
                    b.id, b.version, b.source_rev, b.model, b.created_at, b.files, b.chunks, b.bytes,
                    b.id_offset
             FROM libraries l JOIN builds b ON b.library_id = l.id AND b.state = 'ready'
             ORDER BY l.id, b.version DESC",
        )?;
        let mut out: Vec<Library> = Vec::new();
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let version = version_from_row(r, 7)?;
            match out.last_mut() {
                Some(lib) if lib.id == id => lib.versions.push(version),
                _ => {
                    let mut lib = library_from_row(r)?;
                    lib.versions.push(version);
                    out.push(lib);
                }
            }
        }
        Ok(out)
    }

    /// The library row of `id` (without its versions), if there is one.
    pub fn library(&self, id: &str) -> Result<Option<Library>, IndexError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, title, description, source, rules, aliases, options
                 FROM libraries WHERE id = ?1",
                [id],
                library_from_row,
            )
            .optional()?)
    }

    /// Inserts or updates the row of `library` (its options included).
    pub fn upsert_library(&self, library: &Library) -> Result<(), IndexError> {
        let options = &library.options;
        self.conn.execute(
            "INSERT INTO libraries (id, title, description, source, rules, aliases, git_ref, version_rule, options)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (id) DO UPDATE
             SET title = ?2, description = ?3, source = ?4, rules = ?5, aliases = ?6,
                 git_ref = ?7, version_rule = ?8, options = ?9",
            params![
                library.id,
                library.title,
                library.description,
                library.source,
                serde_json::to_string(&library.rules).unwrap_or_else(|_| "[]".into()),
                serde_json::to_string(&library.aliases).unwrap_or_else(|_| "[]".into()),
                options.git_ref,
                options.version_rule,
                options_json(options),
            ],
        )?;
        Ok(())
    }

    /// Inserts a build of `library` at `version`; `ready` for a build that
    /// arrives whole (an import), else `building` until [`Catalog::finish_build`].
    #[allow(clippy::too_many_arguments)]
    pub fn insert_build(
        &self,
        library: &str,
        version: &str,
        ready: bool,
        source_rev: Option<&str>,
        model: Option<&str>,
        created_at: i64,
        counts: (i64, i64, i64),
        id_offset: i64,
    ) -> Result<i64, IndexError> {
        self.conn.execute(
            "INSERT INTO builds (library_id, version, state, source_rev, model, created_at,
                                 files, chunks, bytes, id_offset)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                library,
                version,
                if ready { "ready" } else { "building" },
                source_rev,
                model,
                created_at,
                counts.0,
                counts.1,
                counts.2,
                id_offset
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Marks a build ready with its counts.
    pub fn finish_build(
        &self,
        build_id: i64,
        files: i64,
        chunks: i64,
        bytes: i64,
    ) -> Result<(), IndexError> {
        self.conn.execute(
            "UPDATE builds SET state = 'ready', files = ?2, chunks = ?3, bytes = ?4 WHERE id = ?1",
            params![build_id, files, chunks, bytes],
        )?;
        Ok(())
    }

    /// Deletes the ready builds of `library` at `version` other than `keep`,
    /// returning their ids so that their files can go once the transaction
    /// commits. Run it after inserting `keep`: a build id freed before the
    /// insert would be handed out again.
    pub fn retire_ready_builds(
        &self,
        library: &str,
        version: &str,
        keep: i64,
    ) -> Result<Vec<i64>, IndexError> {
        let old = build_ids(
            &self.conn,
            "SELECT id FROM builds
             WHERE library_id = ?1 AND version = ?2 AND state = 'ready' AND id != ?3",
            params![library, version, keep],
        )?;
        for id in &old {
            self.conn
                .execute("DELETE FROM builds WHERE id = ?1", [id])?;
        }
        Ok(old)
    }

    /// The id the next chunk would get.
    pub fn next_chunk_id(&self) -> Result<i64, IndexError> {
        Ok(self
            .conn
            .query_row("SELECT coalesce(max(id), 0) + 1 FROM chunks", [], |r| {
                r.get(0)
            })?)
    }

    /// Records one source file of `build_id`; returns its id.
    pub fn insert_document(
        &self,
        build_id: i64,
        path: &str,
        title: Option<&str>,
        hash: &str,
    ) -> Result<i64, IndexError> {
        self.conn
            .prepare_cached(
                "INSERT INTO documents (build_id, path, title, hash) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![build_id, path, title, hash])?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Stores one chunk; `id` is chosen by the catalog unless given (an
    /// import keeps its keys, shifted). Returns the chunk id.
    pub fn insert_chunk(
        &self,
        id: Option<i64>,
        build_id: i64,
        document_id: i64,
        row: &ChunkRow,
    ) -> Result<i64, IndexError> {
        self.conn
            .prepare_cached(
                "INSERT INTO chunks (id, build_id, document_id, breadcrumb, text, code, path,
                                     start_line, end_line, tokens, hash, internal)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?
            .execute(params![
                id,
                build_id,
                document_id,
                row.breadcrumb,
                row.text,
                row.code,
                row.path,
                row.start_line,
                row.end_line,
                row.tokens,
                row.hash,
                row.internal
            ])?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Vectors already computed by `model` for chunk texts with these hashes.
    pub fn cached_embeddings(
        &self,
        model: &str,
        hashes: &[&str],
    ) -> Result<Vec<Option<Vec<f32>>>, IndexError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT vector FROM embeddings WHERE model = ?1 AND hash = ?2")?;
        let mut out = Vec::with_capacity(hashes.len());
        for hash in hashes {
            let blob: Option<Vec<u8>> = stmt
                .query_row(params![model, hash], |r| r.get(0))
                .optional()?;
            out.push(blob.as_deref().map(super::decode_vector));
        }
        Ok(out)
    }

    /// Remembers the vector `model` computed for the chunk text with `hash`.
    pub fn cache_embedding(
        &self,
        model: &str,
        hash: &str,
        vector: &[f32],
    ) -> Result<(), IndexError> {
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO embeddings (model, hash, vector) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![model, hash, super::encode_vector(vector)])?;
        Ok(())
    }

    /// The documents of `build_id` in id order, and its chunks in id order
    /// with keys as in its index files (catalog id minus `id_offset`).
    pub fn build_rows(
        &self,
        build_id: i64,
        id_offset: i64,
    ) -> Result<(Vec<DocumentRow>, Vec<ChunkRow>), IndexError> {
        let documents = self
            .conn
            .prepare("SELECT id, path, title, hash FROM documents WHERE build_id = ?1 ORDER BY id")?
            .query_map([build_id], |r| {
                Ok(DocumentRow {
                    id: r.get(0)?,
                    path: r.get(1)?,
                    title: r.get(2)?,
                    hash: r.get(3)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let chunks = self
            .conn
            .prepare(
                "SELECT id - ?2, document_id, breadcrumb, text, code, path, start_line, end_line, tokens, hash,
                        internal
                 FROM chunks WHERE build_id = ?1 ORDER BY id",
            )?
            .query_map([build_id, id_offset], |r| {
                Ok(ChunkRow {
                    key: r.get(0)?,
                    document: r.get(1)?,
                    breadcrumb: r.get(2)?,
                    text: r.get(3)?,
                    code: r.get(4)?,
                    path: r.get(5)?,
                    start_line: r.get(6)?,
                    end_line: r.get(7)?,
                    tokens: r.get(8)?,
                    hash: r.get(9)?,
                    internal: r.get(10)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok((documents, chunks))
    }

    /// Records that an update of `library` started.
    pub fn job_started(&self, library: &str) -> Result<(), IndexError> {
        self.conn.execute(
            "INSERT INTO jobs (library_id, state, started_at, finished_at, result)
             VALUES (?1, 'running', ?2, NULL, '')
             ON CONFLICT (library_id) DO UPDATE
             SET state = 'running', started_at = ?2, finished_at = NULL",
            params![library, unix_now()],
        )?;
        Ok(())
    }

    /// Records how an update of `library` ended.
    pub fn job_finished(&self, library: &str, ok: bool, result: &str) -> Result<(), IndexError> {
        self.conn.execute(
            "UPDATE jobs SET state = ?2, finished_at = ?3, result = ?4 WHERE library_id = ?1",
            params![
                library,
                if ok { "done" } else { "failed" },
                unix_now(),
                result
            ],
        )?;
        Ok(())
    }

    /// The last update job of each library.
    pub fn jobs(&self) -> Result<Vec<Job>, IndexError> {
        let mut stmt = self.conn.prepare(
            "SELECT library_id, state, started_at, finished_at, result FROM jobs ORDER BY library_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Job {
                library: r.get(0)?,
                state: r.get(1)?,
                started_at: r.get(2)?,
                finished_at: r.get(3)?,
                result: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The rules the owners of `library` set in its config file.
    pub fn rules(&self, library: &str) -> Result<Vec<String>, IndexError> {
        let rules: Option<String> = self
            .conn
            .query_row(
                "SELECT rules FROM libraries WHERE id = ?1",
                [library],
                |r| r.get(0),
            )
            .optional()?;
        Ok(rules
            .and_then(|r| serde_json::from_str(&r).ok())
            .unwrap_or_default())
    }

    /// The ready build of `library` at `version` (empty: the default).
    pub fn ready_build(&self, library: &str, version: &str) -> Result<Option<Version>, IndexError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, version, source_rev, model, created_at, files, chunks, bytes, id_offset
                 FROM builds WHERE library_id = ?1 AND version = ?2 AND state = 'ready'
                 ORDER BY id DESC LIMIT 1",
                params![library, version],
                |r| version_from_row(r, 0),
            )
            .optional()?)
    }

    /// The chunks of the documents of `build_id` whose hash is in `hashes`,
    /// to be reused as they are: by document hash, the document's title and
    /// its chunks with their token counts and text hashes.
    pub fn reusable_documents(
        &self,
        build_id: i64,
        hashes: &[&str],
    ) -> Result<HashMap<String, ReusedDocument>, IndexError> {
        let mut out: HashMap<String, ReusedDocument> = HashMap::new();
        let mut docs = self
            .conn
            .prepare_cached("SELECT id, title FROM documents WHERE build_id = ?1 AND hash = ?2")?;
        let mut chunks = self.conn.prepare_cached(
            "SELECT breadcrumb, text, code, start_line, end_line, tokens, hash, internal
             FROM chunks WHERE document_id = ?1 ORDER BY id",
        )?;
        for hash in hashes {
            let Some((doc_id, title)) = docs
                .query_row(params![build_id, hash], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?))
                })
                .optional()?
            else {
                continue;
            };
            let rows = chunks.query_map([doc_id], |r| {
                let breadcrumb: String = r.get(0)?;
                Ok(ReusedChunk {
                    chunk: Chunk {
                        breadcrumb: if breadcrumb.is_empty() {
                            Vec::new()
                        } else {
                            breadcrumb
                                .split(BREADCRUMB_SEPARATOR)
                                .map(str::to_owned)
                                .collect()
                        },
                        text: r.get(1)?,
                        code: r.get(2)?,
                        start_line: r.get(3)?,
                        end_line: r.get(4)?,
                        internal: r.get(7)?,
                    },
                    tokens: r.get(5)?,
                    hash: r.get(6)?,
                })
            })?;
            let chunks = rows.collect::<Result<Vec<_>, _>>()?;
            out.insert((*hash).to_owned(), ReusedDocument { title, chunks });
        }
        Ok(out)
    }

    /// Loads chunks by id, in the order given; unknown ids are skipped.
    pub fn chunks(&self, ids: &[i64]) -> Result<Vec<StoredChunk>, IndexError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.id, c.breadcrumb, c.text, c.path, d.title, c.start_line, c.end_line, c.tokens,
                    c.internal
             FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id = ?1",
        )?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let chunk = stmt
                .query_row([id], |r| {
                    Ok(StoredChunk {
                        id: r.get(0)?,
                        breadcrumb: r.get(1)?,
                        text: r.get(2)?,
                        path: r.get(3)?,
                        title: r.get(4)?,
                        start_line: r.get(5)?,
                        end_line: r.get(6)?,
                        tokens: r.get(7)?,
                        internal: r.get(8)?,
                    })
                })
                .optional()?;
            out.extend(chunk);
        }
        Ok(out)
    }

    /// Records a project whose dependencies `deps` indexed: how it was run
    /// (`options`, JSON), a hash of its lockfiles, and the library versions
    /// (`/org/project/version`) it uses.
    pub fn upsert_project(
        &self,
        path: &str,
        options: &str,
        lockfiles: &str,
        packages: &[String],
    ) -> Result<(), IndexError> {
        self.conn.execute(
            "INSERT INTO projects (path, options, lockfiles, packages, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (path) DO UPDATE
             SET options = ?2, lockfiles = ?3, packages = ?4, updated_at = ?5",
            params![
                path,
                options,
                lockfiles,
                serde_json::to_string(packages).unwrap_or_else(|_| "[]".into()),
                unix_now()
            ],
        )?;
        Ok(())
    }

    /// The followed projects, by path.
    pub fn projects(&self) -> Result<Vec<Project>, IndexError> {
        let mut stmt = self.conn.prepare(
            "SELECT path, options, lockfiles, packages, updated_at FROM projects ORDER BY path",
        )?;
        let rows = stmt.query_map([], |r| {
            let packages: String = r.get(3)?;
            Ok(Project {
                path: r.get(0)?,
                options: r.get(1)?,
                lockfiles: r.get(2)?,
                packages: serde_json::from_str(&packages).unwrap_or_default(),
                updated_at: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Stops following the project at `path`.
    pub fn remove_project(&self, path: &str) -> Result<(), IndexError> {
        self.conn
            .execute("DELETE FROM projects WHERE path = ?1", [path])?;
        Ok(())
    }

    /// Removes the ready builds `ids` and every library left without a
    /// build; returns the ids removed, so their files can be deleted.
    pub fn remove_builds(&mut self, ids: &[i64]) -> Result<Vec<i64>, IndexError> {
        let tx = self.conn.transaction()?;
        for id in ids {
            tx.execute("DELETE FROM builds WHERE id = ?1", [id])?;
        }
        tx.execute(
            "DELETE FROM libraries WHERE id NOT IN (SELECT library_id FROM builds)",
            [],
        )?;
        tx.commit()?;
        Ok(ids.to_vec())
    }

    /// Removes every build of `library` and the library itself; returns the
    /// ids of the removed builds so their files can be deleted.
    pub fn remove_library(&mut self, library: &str) -> Result<Vec<i64>, IndexError> {
        let tx = self.conn.transaction()?;
        let ids = build_ids(
            &tx,
            "SELECT id FROM builds WHERE library_id = ?1",
            [library],
        )?;
        tx.execute("DELETE FROM builds WHERE library_id = ?1", [library])?;
        tx.execute("DELETE FROM libraries WHERE id = ?1", [library])?;
        tx.commit()?;
        Ok(ids)
    }

    /// Deletes builds left in the `building` state by an interrupted run and
    /// returns their ids. Only call while holding the writer lock.
    pub fn remove_unfinished_builds(&mut self) -> Result<Vec<i64>, IndexError> {
        let tx = self.conn.transaction()?;
        let ids = build_ids(&tx, "SELECT id FROM builds WHERE state = 'building'", [])?;
        tx.execute("DELETE FROM builds WHERE state = 'building'", [])?;
        tx.commit()?;
        Ok(ids)
    }
}

/// A document row as a snapshot carries it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DocumentRow {
    pub id: i64,
    pub path: String,
    pub title: Option<String>,
    pub hash: String,
}

/// A chunk row as a snapshot carries it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChunkRow {
    /// The chunk's key in the build's tantivy and usearch files.
    pub key: i64,
    pub document: i64,
    pub breadcrumb: String,
    pub text: String,
    pub code: String,
    pub path: String,
    pub start_line: u32,
    pub end_line: u32,
    pub tokens: u32,
    pub hash: String,
    /// About an item that is not public API (absent in older snapshots).
    #[serde(default)]
    pub internal: bool,
}

/// A library from the columns id, title, description, source, rules,
/// aliases, options (in that order, from 0).
fn library_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Library> {
    let rules: String = r.get(4)?;
    let aliases: String = r.get(5)?;
    let options: Option<String> = r.get(6)?;
    Ok(Library {
        id: r.get(0)?,
        title: r.get(1)?,
        description: r.get(2)?,
        source: r.get(3)?,
        rules: serde_json::from_str(&rules).unwrap_or_default(),
        aliases: serde_json::from_str(&aliases).unwrap_or_default(),
        // Unreadable options were replaced when the catalog was opened.
        options: options
            .as_deref()
            .and_then(|o| parse_options(o).ok())
            .unwrap_or_default(),
        versions: Vec::new(),
    })
}

fn build_ids(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<i64>, IndexError> {
    let mut stmt = conn.prepare(sql)?;
    let ids = stmt
        .query_map(params, |r| r.get(0))?
        .collect::<Result<Vec<i64>, _>>()?;
    Ok(ids)
}

fn version_from_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Version> {
    Ok(Version {
        build_id: r.get(at)?,
        name: r.get(at + 1)?,
        source_rev: r.get(at + 2)?,
        model: r.get(at + 3)?,
        created_at: r.get(at + 4)?,
        files: r.get(at + 5)?,
        chunks: r.get(at + 6)?,
        bytes: r.get(at + 7)?,
        id_offset: r.get(at + 8)?,
    })
}
