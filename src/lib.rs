//! TwinMCP: an offline documentation engine for coding assistants.
//!
//! The binary (`main.rs`) is glue over these modules; benchmarks use them
//! directly. Data flows `source → parse → chunk → embed → index → search → mcp`.

pub mod auth;
pub mod chunk;
pub mod cli;
pub mod deps;
pub mod embed;
#[doc(hidden)]
pub mod fuzz;
pub mod index;
pub mod mcp;
pub mod parse;
pub mod pipeline;
pub mod search;
pub mod snapshot;
pub mod source;
