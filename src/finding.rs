//! The findings model: what every rule produces and every renderer reads.

use crate::knowledge::Access;
use crate::source::Loc;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A rule's identity: stable code, kebab-case name, default severity, one-line summary.
#[derive(Debug)]
pub struct RuleMeta {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
}

/// The workload a finding is about.
#[derive(Debug, Clone, Serialize)]
pub struct WorkloadRef {
    pub kind: String,
    pub address: String,
    pub name: String,
}

/// One API involved in a finding, the roles that make it needed, and what it accepts.
#[derive(Debug, Clone, Serialize)]
pub struct ApiUse {
    pub service: String,
    pub roles: Vec<String>,
    pub access: Access,
    pub accepted_scopes: Vec<String>,
}

/// A secondary location, such as the IAM grant that makes an API needed.
#[derive(Debug, Clone)]
pub struct Related {
    pub loc: Loc,
    pub message: String,
}

/// A text replacement in one file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edit {
    pub loc: Loc,
    pub replacement: String,
}

/// A suggested patch.
#[derive(Debug, Clone)]
pub struct Fix {
    pub description: String,
    pub edits: Vec<Edit>,
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static RuleMeta,
    pub severity: Severity,
    pub message: String,
    /// Where the finding points, and the label shown there.
    pub primary: Loc,
    pub label: String,
    pub workload: WorkloadRef,
    /// Where the workload is defined (suppressions above it apply).
    pub workload_loc: Option<Loc>,
    pub identity: String,
    pub apis: Vec<ApiUse>,
    pub related: Vec<Related>,
    pub help: Vec<String>,
    pub fix: Option<Fix>,
}

impl Finding {
    /// A fingerprint that identifies the finding across runs: it depends on the
    /// rule, file, workload and APIs, not on line numbers, so it survives
    /// unrelated edits (SARIF `partialFingerprints`, baselines).
    pub fn fingerprint(&self, file: &str) -> String {
        let mut key = format!("{}|{file}|{}", self.rule.code, self.workload.address);
        for api in &self.apis {
            key.push('|');
            key.push_str(&api.service);
        }
        // FNV-1a, 64 bit: stable across platforms and releases, unlike std's hasher.
        let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        format!("{hash:016x}")
    }
}
