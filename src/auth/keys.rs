//! API keys: created with a random secret shown once, stored as its SHA-256.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::Rate;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS api_keys (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    prefix      TEXT NOT NULL,
    hash        TEXT NOT NULL UNIQUE,
    rate        TEXT,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
"#;

/// Every secret starts with this, so that leaked keys are easy to grep for.
const SECRET_PREFIX: &str = "tmcp_";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key store {path}: {source}")]
    Sqlite {
        path: String,
        source: rusqlite::Error,
    },
    #[error("a key named `{0}` already exists; revoke it first or pick another name")]
    Exists(String),
    #[error("no active key is named `{0}` or starts with it")]
    Unknown(String),
    #[error("key names are 1 to 64 letters, digits, `.`, `_`, `@` or `-`")]
    BadName,
    #[error("cannot read random bytes for a key: {0}")]
    Random(String),
}

/// A key as listed (never with its secret).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKey {
    pub id: i64,
    pub name: String,
    /// The first characters of the secret, to tell keys apart.
    pub prefix: String,
    pub rate: Option<Rate>,
    pub created_at: i64,
    pub revoked: bool,
    /// Globs of the libraries it may see (`/acme/*`); empty: all.
    pub libraries: Vec<String>,
}

/// The key database of a data dir (`keys.sqlite`).
pub struct KeyStore {
    conn: Connection,
    path: String,
}

impl KeyStore {
    pub fn open(path: &Path) -> Result<KeyStore, KeyError> {
        let shown = path.display().to_string();
        let err = |source| KeyError::Sqlite {
            path: shown.clone(),
            source,
        };
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .and_then(|_| conn.pragma_update(None, "journal_mode", "WAL"))
            .and_then(|_| conn.execute_batch(SCHEMA))
            .and_then(|_| add_libraries_column(&conn))
            .map_err(err)?;
        Ok(KeyStore { conn, path: shown })
    }

    fn sqlite(&self, source: rusqlite::Error) -> KeyError {
        KeyError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Creates a key; returns it with its secret, which is not stored.
    pub fn create(
        &self,
        name: &str,
        rate: Option<Rate>,
        libraries: &[String],
    ) -> Result<(ApiKey, String), KeyError> {
        let valid = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
        if !valid {
            return Err(KeyError::BadName);
        }
        let exists: bool = self
            .conn
            .query_row(
                "SELECT count(*) FROM api_keys WHERE name = ?1 AND revoked_at IS NULL",
                [name],
                |r| r.get::<_, i64>(0).map(|n| n > 0),
            )
            .map_err(|e| self.sqlite(e))?;
        if exists {
            return Err(KeyError::Exists(name.to_owned()));
        }
        let mut bytes = [0u8; 24];
        getrandom::fill(&mut bytes).map_err(|e| KeyError::Random(e.to_string()))?;
        let secret = format!("{SECRET_PREFIX}{}", hex(&bytes));
        let prefix = secret[..SECRET_PREFIX.len() + 8].to_owned();
        let now = now();
        // A revoked key's name may be reused: the old row keeps its record.
        self.conn
            .execute(
                "UPDATE api_keys SET name = name || '#' || id WHERE name = ?1 AND revoked_at IS NOT NULL",
                [name],
            )
            .map_err(|e| self.sqlite(e))?;
        self.conn
            .execute(
                "INSERT INTO api_keys (name, prefix, hash, rate, created_at, libraries)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    name,
                    prefix,
                    hash(&secret),
                    rate.map(|r| r.to_string()),
                    now,
                    serde_json::to_string(libraries).unwrap_or_else(|_| "[]".into())
                ],
            )
            .map_err(|e| self.sqlite(e))?;
        let key = ApiKey {
            id: self.conn.last_insert_rowid(),
            name: name.to_owned(),
            prefix,
            rate,
            created_at: now,
            revoked: false,
            libraries: libraries.to_vec(),
        };
        Ok((key, secret))
    }

    /// Every key, revoked ones included, oldest first.
    pub fn list(&self) -> Result<Vec<ApiKey>, KeyError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, name, prefix, rate, created_at, revoked_at, libraries FROM api_keys ORDER BY id",
            )
            .map_err(|e| self.sqlite(e))?;
        let rows = stmt
            .query_map([], key_from_row)
            .map_err(|e| self.sqlite(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sqlite(e))
    }

    /// Revokes the active key named `name_or_prefix` (or whose secret starts with it).
    pub fn revoke(&self, name_or_prefix: &str) -> Result<ApiKey, KeyError> {
        let key = self
            .conn
            .query_row(
                "SELECT id, name, prefix, rate, created_at, revoked_at, libraries FROM api_keys
                 WHERE revoked_at IS NULL AND (name = ?1 OR (length(?1) >= 9 AND prefix LIKE ?1 || '%'))",
                [name_or_prefix],
                key_from_row,
            )
            .optional()
            .map_err(|e| self.sqlite(e))?
            .ok_or_else(|| KeyError::Unknown(name_or_prefix.to_owned()))?;
        self.conn
            .execute(
                "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1",
                params![key.id, now()],
            )
            .map_err(|e| self.sqlite(e))?;
        Ok(ApiKey {
            revoked: true,
            ..key
        })
    }

    /// The active key whose secret is `secret`, if any.
    pub fn verify(&self, secret: &str) -> Result<Option<ApiKey>, KeyError> {
        self.conn
            .prepare_cached(
                "SELECT id, name, prefix, rate, created_at, revoked_at, libraries FROM api_keys
                 WHERE hash = ?1 AND revoked_at IS NULL",
            )
            .and_then(|mut stmt| {
                stmt.query_row([hash(secret.trim())], key_from_row)
                    .optional()
            })
            .map_err(|e| self.sqlite(e))
    }

    /// How many keys are active; the server requires a key when any is.
    pub fn active_count(&self) -> Result<usize, KeyError> {
        self.conn
            .prepare_cached("SELECT count(*) FROM api_keys WHERE revoked_at IS NULL")
            .and_then(|mut stmt| stmt.query_row([], |r| r.get::<_, i64>(0)))
            .map(|n| n as usize)
            .map_err(|e| self.sqlite(e))
    }
}

fn key_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ApiKey> {
    let rate: Option<String> = r.get(3)?;
    Ok(ApiKey {
        id: r.get(0)?,
        name: r.get(1)?,
        prefix: r.get(2)?,
        rate: rate.and_then(|s| s.parse().ok()),
        created_at: r.get(4)?,
        revoked: r.get::<_, Option<i64>>(5)?.is_some(),
        libraries: r
            .get::<_, Option<String>>(6)?
            .and_then(|l| serde_json::from_str(&l).ok())
            .unwrap_or_default(),
    })
}

/// Key stores from before per-key library access gain its column.
fn add_libraries_column(conn: &Connection) -> rusqlite::Result<()> {
    let exists: bool = conn.query_row(
        "SELECT count(*) FROM pragma_table_info('api_keys') WHERE name = 'libraries'",
        [],
        |r| r.get::<_, i64>(0).map(|n| n > 0),
    )?;
    if !exists {
        conn.execute_batch("ALTER TABLE api_keys ADD COLUMN libraries TEXT")?;
    }
    Ok(())
}

fn hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stored_hashed_verified_and_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyStore::open(&dir.path().join("keys.sqlite")).unwrap();
        assert_eq!(store.active_count().unwrap(), 0);
        let (key, secret) = store
            .create("alice", Some("60/min".parse().unwrap()), &[])
            .unwrap();
        assert!(secret.starts_with("tmcp_") && secret.len() == 5 + 48);
        assert!(secret.starts_with(&key.prefix));
        let raw = std::fs::read(dir.path().join("keys.sqlite")).unwrap();
        assert!(
            !raw.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "the secret itself is never stored"
        );
        assert_eq!(store.verify(&secret).unwrap().unwrap().name, "alice");
        assert!(store.verify("tmcp_wrong").unwrap().is_none());
        assert!(matches!(
            store.create("alice", None, &[]),
            Err(KeyError::Exists(_))
        ));
        assert!(matches!(
            store.create("no spaces", None, &[]),
            Err(KeyError::BadName)
        ));

        store.revoke("alice").unwrap();
        assert!(store.verify(&secret).unwrap().is_none());
        assert_eq!(store.active_count().unwrap(), 0);
        // The name is free again; the old key stays listed as revoked.
        let (_, second) = store.create("alice", None, &[]).unwrap();
        assert!(store.verify(&second).unwrap().is_some());
        let listed = store.list().unwrap();
        assert_eq!(listed.len(), 2);
        assert!(listed[0].revoked && !listed[1].revoked);
        assert_eq!(
            listed[0].rate.map(|r| r.to_string()).as_deref(),
            Some("60/min")
        );
        assert!(matches!(store.revoke("bob"), Err(KeyError::Unknown(_))));
    }
}
