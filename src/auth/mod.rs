//! Who may use the HTTP server: API keys (stored hashed, in their own
//! database beside the catalog so that index snapshots never carry them),
//! OAuth access tokens (JWTs checked offline), and per-caller rate limits.

mod access;
mod keys;
mod oauth;
mod rate;

pub use access::{LibraryAccess, parse_library_globs};
pub use keys::{ApiKey, KeyError, KeyStore};
pub use oauth::{OAuthConfig, OAuthError, TokenError, TokenValidator};
pub use rate::{Rate, RateLimiter};
