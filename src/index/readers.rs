//! Read-only catalog connections for concurrent readers (`serve`): each
//! request takes its own connection, reads inside one transaction (one
//! consistent snapshot of the catalog, whatever a writer commits
//! meanwhile) and gives it back. No lock is held while a query runs; the
//! pool's lock only guards taking and returning a connection.

use std::ops::Deref;
use std::path::PathBuf;
use std::sync::Mutex;

use super::{Catalog, IndexError};

/// Idle connections kept for reuse; more are opened under load and closed
/// when returned past this.
const MAX_IDLE: usize = 16;

pub struct CatalogReaders {
    path: PathBuf,
    idle: Mutex<Vec<Catalog>>,
}

/// A connection on loan, inside a read transaction; returned when dropped.
pub struct Reader<'a> {
    pool: &'a CatalogReaders,
    catalog: Option<Catalog>,
}

impl CatalogReaders {
    /// Readers of the catalog at `path`, which must exist and be up to date
    /// (opened once with [`Catalog::open`]).
    pub fn new(path: PathBuf) -> CatalogReaders {
        CatalogReaders {
            path,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// A connection with a read transaction begun: everything read
    /// through it sees the catalog as of its first read.
    pub fn read(&self) -> Result<Reader<'_>, IndexError> {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let catalog = match idle {
            Some(catalog) => catalog,
            None => Catalog::open_read_only(&self.path)?,
        };
        catalog.begin_read()?;
        Ok(Reader {
            pool: self,
            catalog: Some(catalog),
        })
    }
}

impl Deref for Reader<'_> {
    type Target = Catalog;

    fn deref(&self) -> &Catalog {
        self.catalog.as_ref().expect("present until dropped")
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        let Some(catalog) = self.catalog.take() else {
            return;
        };
        catalog.end_read();
        let mut idle = self.pool.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(catalog);
        }
    }
}
