//! Who may use the HTTP server: API keys (stored hashed, in their own
//! database beside the catalog so that index snapshots never carry them)
//! and per-caller rate limits.

mod keys;
mod rate;

pub use keys::{ApiKey, KeyError, KeyStore};
pub use rate::{Rate, RateLimiter};
