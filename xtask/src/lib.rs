//! Developer tasks for scopelint: the knowledge-base generator
//! (`cargo run -p xtask -- gen-rules`), the corpus generator (`gen-corpus`)
//! and the benchmark (`bench`).
//!
//! Reads the vendored inputs in `xtask/inputs/` (Google API Discovery documents of the pinned
//! google-api-python-client wheel, iam-dataset roles, the curated API families) and the
//! hand-curated `rules/overrides.yaml`, offline, and writes `rules/scopes.json`, `rules/apis.json`, `rules/roles.json`, `rules/methods.json`,
//! `rules/permissions.json` and `rules/SOURCES.md`.

pub mod apis;
pub mod bench;
pub mod bench_lsp;
pub mod corpus;
pub mod derive;
pub mod discovery;
pub mod generate;
pub mod grpc;
pub mod inputs;
pub mod jsonout;
pub mod permission_table;
pub mod permissions;
pub mod reach;
pub mod roles;
pub mod shapes;
pub mod vendor;

pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The PyPI package whose wheel carries the discovery documents.
pub const DISCOVERY_PACKAGE: &str = "google-api-python-client";
/// The version of [`DISCOVERY_PACKAGE`] `vendor-discovery` records unless told otherwise.
pub const DISCOVERY_VERSION: &str = "2.202.0";

pub const SCOPE_PREFIX: &str = "https://www.googleapis.com/auth/";

pub const GENERATED_BY: &str = "cargo run -p xtask -- gen-rules";
