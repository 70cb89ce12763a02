//! Developer tasks for scopelint: the knowledge-base generator
//! (`cargo run -p xtask -- gen-rules`), the corpus generator (`gen-corpus`)
//! and the benchmark (`bench`).
//!
//! Reads Google API Discovery documents (from the pinned google-api-python-client wheel), the IAM
//! role data of the reference data directory and the hand-curated `rules/overrides.yaml`, and
//! writes `rules/scopes.json`, `rules/apis.json`, `rules/roles.json` and `rules/SOURCES.md`.

pub mod apis;
pub mod bench;
pub mod corpus;
pub mod derive;
pub mod discovery;
pub mod generate;
pub mod inputs;
pub mod jsonout;
pub mod roles;
pub mod shapes;

pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The PyPI package whose wheel carries the discovery documents.
pub const DISCOVERY_PACKAGE: &str = "google-api-python-client";
/// Pinned version of [`DISCOVERY_PACKAGE`]. Change it here only, then regenerate.
pub const DISCOVERY_VERSION: &str = "2.202.0";

pub const SCOPE_PREFIX: &str = "https://www.googleapis.com/auth/";

pub const GENERATED_BY: &str = "cargo run -p xtask -- gen-rules";
