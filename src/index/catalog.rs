//! The SQLite catalog: libraries, builds, documents and chunks.
//!
//! The catalog is the source of truth. A build is one indexing run of one
//! library version; readers only ever see builds in the `ready` state, and a
//! build becomes ready in the same transaction that retires its predecessor.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use std::collections::HashMap;

use super::IndexError;
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
];

/// A library as listed to users and to `resolve-library-id`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Library {
    pub id: String,
    pub title: String,
    pub description: String,
    pub source: String,
    /// The library owners' rules, shown above every `query-docs` answer.
    pub rules: Vec<String>,
    /// Other names it resolves by (package names).
    pub aliases: Vec<String>,
    /// The branch, tag or commit asked for with `--ref`, for `update`.
    pub git_ref: Option<String>,
    /// The `--versions` rule, for `update`.
    pub version_rule: Option<String>,
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

/// A connection to the catalog database.
pub struct Catalog {
    conn: Connection,
}

impl Catalog {
    /// Opens (creating if needed) the catalog at `path`.
    pub fn open(path: &Path) -> Result<Catalog, IndexError> {
        let conn = Connection::open(path).map_err(|e| IndexError::sqlite(path, e))?;
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .and_then(|_| conn.pragma_update(None, "journal_mode", "WAL"))
            .and_then(|_| conn.pragma_update(None, "synchronous", "NORMAL"))
            .and_then(|_| conn.pragma_update(None, "foreign_keys", "ON"))
            .and_then(|_| conn.execute_batch(SCHEMA))
            .and_then(|_| add_missing_columns(&conn))
            .map_err(|e| IndexError::sqlite(path, e))?;
        Ok(Catalog { conn })
    }

    pub(crate) fn conn(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Every library with at least one ready build, ordered by id.
    pub fn libraries(&self) -> Result<Vec<Library>, IndexError> {
        let mut stmt = self.conn.prepare(
            "SELECT l.id, l.title, l.description, l.source, l.rules, l.aliases, l.git_ref, l.version_rule,
                    b.id, b.version, b.source_rev, b.model, b.created_at, b.files, b.chunks, b.bytes,
                    b.id_offset
             FROM libraries l JOIN builds b ON b.library_id = l.id AND b.state = 'ready'
             ORDER BY l.id, b.version DESC",
        )?;
        let mut out: Vec<Library> = Vec::new();
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                (
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<String>>(7)?,
                ),
                version_from_row(r, 8)?,
            ))
        })?;
        for row in rows {
            let (id, title, description, source, rules, aliases, (git_ref, version_rule), version) =
                row?;
            match out.last_mut() {
                Some(lib) if lib.id == id => lib.versions.push(version),
                _ => out.push(Library {
                    id,
                    title,
                    description,
                    source,
                    rules: serde_json::from_str(&rules).unwrap_or_default(),
                    aliases: serde_json::from_str(&aliases).unwrap_or_default(),
                    git_ref,
                    version_rule,
                    versions: vec![version],
                }),
            }
        }
        Ok(out)
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
            "SELECT breadcrumb, text, code, start_line, end_line, tokens, hash
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
            "SELECT c.id, c.breadcrumb, c.text, c.path, d.title, c.start_line, c.end_line, c.tokens
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
                    })
                })
                .optional()?;
            out.extend(chunk);
        }
        Ok(out)
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
