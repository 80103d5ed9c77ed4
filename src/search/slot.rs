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

use crate::embed::{BertEmbedder, Embedder, Precision, locate_model};

const FIRST_BACKOFF: Duration = Duration::from_secs(30);
const MAX_BACKOFF: Duration = Duration::from_secs(600);
const QUERY_CACHE: NonZeroUsize = NonZeroUsize::new(512).expect("non-zero");

/// Most queries embedded in one forward pass.
const MAX_QUERY_BATCH: usize = 32;

/// A query waiting to be embedded, and where its vector goes.
struct Pending {
    embedder: Arc<dyn Embedder>,
    text: String,
    reply: std::sync::mpsc::SyncSender<Result<Vec<f32>, String>>,
}

/// Query embedding for a server: one worker per core, each a one-thread
/// rayon pool, takes every query waiting (up to [`MAX_QUERY_BATCH`]) and
/// embeds them in one packed forward pass. Alone, a query is embedded at
/// once; under load, concurrent queries share passes, which multiply
/// larger matrices at a better fraction of the machine's peak than one
/// short query can. A query alone on an idle machine (an editor over stdio)
/// uses every core; under load each pass keeps to its worker's core, since
/// splitting it would only add synchronisation to cores already busy.
struct QueryBatcher {
    queue: Mutex<std::collections::VecDeque<Pending>>,
    ready: std::sync::Condvar,
    /// Workers embedding right now.
    busy: std::sync::atomic::AtomicUsize,
    /// All cores, for a query that is alone.
    wide: rayon::ThreadPool,
}

fn query_batcher() -> &'static QueryBatcher {
    static BATCHER: std::sync::OnceLock<&'static QueryBatcher> = std::sync::OnceLock::new();
    BATCHER.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let batcher: &'static QueryBatcher = Box::leak(Box::new(QueryBatcher {
            queue: Mutex::new(Default::default()),
            ready: std::sync::Condvar::new(),
            busy: Default::default(),
            wide: rayon::ThreadPoolBuilder::new()
                .num_threads(cores)
                .thread_name(|n| format!("twinmcp-query-wide-{n}"))
                .build()
                .expect("a query pool can be built"),
        }));
        for n in 0..cores {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .thread_name(move |_| format!("twinmcp-query-{n}"))
                .build()
                .expect("a one-thread pool can be built");
            std::thread::Builder::new()
                .name(format!("twinmcp-batch-{n}"))
                .spawn(move || batcher.work(&pool))
                .expect("a query worker starts");
        }
        batcher
    })
}

impl QueryBatcher {
    /// Embeds `text`, waiting for a worker.
    fn embed(&self, embedder: Arc<dyn Embedder>, text: &str) -> Result<Vec<f32>, String> {
        let (reply, answer) = std::sync::mpsc::sync_channel(1);
        self.queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(Pending {
                embedder,
                text: text.to_owned(),
                reply,
            });
        self.ready.notify_one();
        answer
            .recv()
            .unwrap_or_else(|_| Err("the query embedding worker stopped".to_owned()))
    }

    /// A worker's loop: take what waits (same model), embed it, answer.
    fn work(&self, pool: &rayon::ThreadPool) {
        loop {
            let (batch, alone) = {
                let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
                while queue.is_empty() {
                    queue = self.ready.wait(queue).unwrap_or_else(|e| e.into_inner());
                }
                let first = queue.pop_front().expect("not empty");
                let mut batch = vec![first];
                while batch.len() < MAX_QUERY_BATCH
                    && queue
                        .front()
                        .is_some_and(|p| Arc::ptr_eq(&p.embedder, &batch[0].embedder))
                {
                    batch.extend(queue.pop_front());
                }
                let others = self.busy.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let alone = batch.len() == 1 && queue.is_empty() && others == 0;
                (batch, alone)
            };
            let texts: Vec<&str> = batch.iter().map(|p| p.text.as_str()).collect();
            let embedder = &batch[0].embedder;
            let run = || embedder.embed_queries(&texts);
            let vectors = std::panic::catch_unwind(AssertUnwindSafe(|| {
                if alone {
                    self.wide.install(run)
                } else {
                    pool.install(run)
                }
            }))
            .map_err(|_| "the model panicked".to_owned())
            .and_then(|r| r.map_err(|e| e.to_string()));
            self.busy.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
            match vectors {
                Ok(vectors) if vectors.len() == batch.len() => {
                    for (pending, v) in batch.iter().zip(vectors) {
                        let _ = pending.reply.send(Ok(v));
                    }
                }
                Ok(_) => {
                    for pending in &batch {
                        let _ = pending
                            .reply
                            .send(Err("the model returned too few vectors".into()));
                    }
                }
                Err(e) => {
                    for pending in &batch {
                        let _ = pending.reply.send(Err(e.clone()));
                    }
                }
            }
        }
    }
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
    precision: Precision,
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
            precision: Precision::default(),
            state: Mutex::new(State::Untried),
            cache: Mutex::new(lru::LruCache::new(QUERY_CACHE)),
        }
    }

    /// The slot, loading the model in `precision`.
    pub fn with_precision(mut self, precision: Precision) -> ModelSlot {
        self.precision = precision;
        self
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
            BertEmbedder::load(&files, self.precision).map_err(|e| e.to_string())
        })
        .unwrap_or_else(|_| Err("the model panicked while loading".to_owned()));
        match loaded {
            Ok(embedder) => {
                let embedder: Arc<dyn Embedder> = Arc::new(embedder);
                *state = State::Ready(embedder.clone());
                tracing::info!(
                    "embedding model {} loaded, precision {:?}",
                    embedder.fingerprint(),
                    self.precision
                );
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

    /// `loaded`, `loading` (not tried yet, or loading now) or `unavailable`
    /// (answers come from BM25 alone until a retry loads it).
    pub fn status(&self) -> &'static str {
        match self.state.try_lock().as_deref() {
            Ok(State::Ready(_)) => "loaded",
            Ok(State::Broken { .. }) => "unavailable",
            Ok(State::Untried) | Err(_) => "loading",
        }
    }

    /// The loaded model's fingerprint (`name:weights-sha:dimensions`), if
    /// it is loaded; never loads it.
    pub fn loaded_fingerprint(&self) -> Option<String> {
        match self.state.try_lock().as_deref() {
            Ok(State::Ready(e)) => Some(e.fingerprint().to_owned()),
            _ => None,
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
        // On the query workers, never rayon's global pool (see
        // ARCHITECTURE.md: a request path must not wait on the global pool).
        let vector = query_batcher().embed(embedder, query);
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
