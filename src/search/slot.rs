//! The embedding model at serve time, with a circuit breaker.
//!
//! The model is loaded on first use. If loading or embedding fails (or
//! panics), queries fall back to BM25 and say so; the next attempt waits for
//! a back-off that doubles up to ten minutes, so a broken model costs one
//! failed attempt per back-off, never a retry storm. Query vectors are kept
//! in a small least-recently-used cache because agents repeat themselves.

use std::num::NonZeroUsize;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::embed::{BertEmbedder, Embedder, locate_model};

const FIRST_BACKOFF: Duration = Duration::from_secs(30);
const MAX_BACKOFF: Duration = Duration::from_secs(600);
const QUERY_CACHE: NonZeroUsize = NonZeroUsize::new(512).expect("non-zero");

/// The pool query embeddings run on, one thread per core (see
/// [`ModelSlot::embed_query`]): concurrent queries embed side by side, and
/// the encoder's own parallel steps stay inside it.
fn query_pool() -> &'static rayon::ThreadPool {
    static POOL: std::sync::OnceLock<rayon::ThreadPool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        rayon::ThreadPoolBuilder::new()
            .num_threads(cores)
            .thread_name(|_| "twinmcp-query".into())
            .build()
            .expect("a one-thread pool can be built")
    })
}

enum State {
    Untried,
    Ready(Arc<dyn Embedder>),
    Broken {
        error: String,
        retry_at: Instant,
        backoff: Duration,
    },
}

pub struct ModelSlot {
    explicit: Option<PathBuf>,
    models_dir: PathBuf,
    state: Mutex<State>,
    /// Query vectors by (fingerprint, query).
    cache: Mutex<lru::LruCache<String, Vec<f32>>>,
}

impl ModelSlot {
    /// A slot that loads the model from `explicit` or the data dir when first needed.
    pub fn new(explicit: Option<PathBuf>, models_dir: PathBuf) -> ModelSlot {
        ModelSlot {
            explicit,
            models_dir,
            state: Mutex::new(State::Untried),
            cache: Mutex::new(lru::LruCache::new(QUERY_CACHE)),
        }
    }

    /// The embedder, loading it if needed; `Err` while the breaker is open.
    pub fn get(&self) -> Result<Arc<dyn Embedder>, String> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let backoff = match &*state {
            State::Ready(e) => return Ok(e.clone()),
            State::Broken {
                error, retry_at, ..
            } if Instant::now() < *retry_at => return Err(error.clone()),
            State::Broken { backoff, .. } => (*backoff * 2).min(MAX_BACKOFF),
            State::Untried => FIRST_BACKOFF,
        };
        let loaded = std::panic::catch_unwind(|| {
            let files = locate_model(self.explicit.as_deref(), &self.models_dir)
                .map_err(|e| e.to_string())?;
            BertEmbedder::load(&files).map_err(|e| e.to_string())
        })
        .unwrap_or_else(|_| Err("the model panicked while loading".to_owned()));
        match loaded {
            Ok(embedder) => {
                let embedder: Arc<dyn Embedder> = Arc::new(embedder);
                *state = State::Ready(embedder.clone());
                tracing::info!("embedding model {} loaded", embedder.fingerprint());
                Ok(embedder)
            }
            Err(error) => {
                tracing::warn!("embedding model unavailable, answering from BM25 only: {error}");
                *state = State::Broken {
                    error: error.clone(),
                    retry_at: Instant::now() + backoff,
                    backoff,
                };
                Err(error)
            }
        }
    }

    /// Marks the loaded model broken after it failed at run time.
    fn trip(&self, error: String) {
        tracing::warn!("embedding failed, answering from BM25 only: {error}");
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        *state = State::Broken {
            error,
            retry_at: Instant::now() + FIRST_BACKOFF,
            backoff: FIRST_BACKOFF,
        };
    }

    /// Embeds a query: (model fingerprint, vector).
    pub fn embed_query(&self, query: &str) -> Result<(String, Vec<f32>), String> {
        let embedder = self.get()?;
        let fingerprint = embedder.fingerprint().to_owned();
        let key = format!("{fingerprint}\u{0}{query}");
        if let Some(v) = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned()
        {
            return Ok((fingerprint, v));
        }
        // On the query pool, never rayon's global one (see ARCHITECTURE.md:
        // a request path must not wait on the global pool).
        let vector = std::panic::catch_unwind(AssertUnwindSafe(|| {
            query_pool().install(|| embedder.embed_query(query))
        }))
        .map_err(|_| "the model panicked".to_owned())
        .and_then(|r| r.map_err(|e| e.to_string()));
        match vector {
            Ok(v) => {
                self.cache
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .put(key, v.clone());
                Ok((fingerprint, v))
            }
            Err(e) => {
                self.trip(e.clone());
                Err(e)
            }
        }
    }
}
