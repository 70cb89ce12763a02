//! `scopelint kb`: facts about the embedded knowledge base itself.

use super::AnswerFormat;
use clap::Subcommand;
use scopelint::knowledge::{Knowledge, RoleClass};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct KbArgs {
    #[command(subcommand)]
    command: KbCommand,
}

#[derive(Subcommand)]
enum KbCommand {
    /// Coverage of the knowledge base: APIs, roles by class, curated overrides, source versions.
    Stats(StatsArgs),
}

#[derive(clap::Args)]
struct StatsArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = AnswerFormat::Pretty)]
    format: AnswerFormat,
}

pub fn run(args: &KbArgs) -> ExitCode {
    let kb = match Knowledge::get() {
        Ok(kb) => kb,
        Err(e) => {
            eprintln!("scopelint: internal error: the embedded knowledge base is invalid: {e}");
            return ExitCode::from(2);
        }
    };
    match &args.command {
        KbCommand::Stats(a) => {
            let stats = stats(kb);
            super::print_answer(a.format, &stats, || stats.pretty())
        }
    }
}

#[derive(Serialize)]
struct Stats {
    apis: ApiStats,
    roles: RoleStats,
    scopes: ScopeStats,
    /// Entries per section of the hand-curated rules/overrides.yaml.
    curated_overrides: BTreeMap<String, u32>,
    sources: SourceStats,
}

#[derive(Serialize)]
struct ApiStats {
    total: usize,
    /// Described by a discovery document.
    from_discovery: usize,
    /// Hand-curated entries for APIs discovery does not describe (gRPC-only, endpoints).
    curated: usize,
    /// APIs with at least one method that accepts an OAuth scope.
    with_scopes: usize,
    /// APIs none of whose methods accept an OAuth scope (API keys or no methods).
    without_scopes: usize,
    /// APIs whose enabling counts as evidence for SL005.
    workload: usize,
    /// Role uses pointing at APIs, over all roles.
    role_uses: usize,
}

#[derive(Serialize)]
struct RoleStats {
    total: usize,
    /// `api`, `scope-independent`, `all-services`, `service-agent`, `unmapped`.
    by_class: BTreeMap<&'static str, usize>,
    /// Why the unmapped roles are unmapped.
    unmapped_reasons: BTreeMap<&'static str, usize>,
}

#[derive(Serialize)]
struct ScopeStats {
    known: usize,
    gcloud_aliases: usize,
    gcloud_deprecated: usize,
    terraform_aliases: usize,
}

#[derive(Serialize)]
struct SourceStats {
    discovery_package: Option<String>,
    discovery_documents: Option<u32>,
    discovery_wheel_sha256: Option<String>,
    iam_dataset_commit: Option<String>,
    googleapis_commit: Option<String>,
    gcloud_aliases: String,
    terraform_aliases: String,
    /// Every source line of the generated files' headers.
    all: Vec<String>,
    generated_by: String,
}

/// Groups the generator's notes on unmapped roles.
fn unmapped_reason(note: Option<&str>) -> &'static str {
    let n = note.unwrap_or("");
    if n.starts_with("no permissions other than incidental") {
        "only incidental permissions"
    } else if n.contains("scopes are unknown") {
        "service without discovery document or curated scopes"
    } else if n.contains("no scope is accepted by every method") {
        "no scope accepted by every method of its class"
    } else {
        "other"
    }
}

fn stats(kb: &Knowledge) -> Stats {
    let curated = kb.apis.values().filter(|a| a.grpc).count();
    let with_scopes = kb
        .apis
        .values()
        .filter(|a| {
            [&a.read, &a.write]
                .iter()
                .any(|c| !c.all.is_empty() || !c.some.is_empty())
        })
        .count();
    let mut by_class: BTreeMap<&'static str, usize> = [
        RoleClass::Api,
        RoleClass::ScopeIndependent,
        RoleClass::AllServices,
        RoleClass::ServiceAgent,
        RoleClass::Unmapped,
    ]
    .into_iter()
    .map(|c| (c.as_str(), 0))
    .collect();
    let mut unmapped_reasons = BTreeMap::new();
    for r in kb.roles.values() {
        *by_class.entry(r.class.as_str()).or_insert(0) += 1;
        if r.class == RoleClass::Unmapped {
            *unmapped_reasons
                .entry(unmapped_reason(r.note.as_deref()))
                .or_insert(0) += 1;
        }
    }
    let h = &kb.scopes.header;
    Stats {
        apis: ApiStats {
            total: kb.apis.len(),
            from_discovery: kb.apis.len() - curated,
            curated,
            with_scopes,
            without_scopes: kb.apis.len() - with_scopes,
            workload: kb.apis.values().filter(|a| a.workload).count(),
            role_uses: kb.roles.values().map(|r| r.uses.len()).sum(),
        },
        roles: RoleStats {
            total: kb.roles.len(),
            by_class,
            unmapped_reasons,
        },
        scopes: ScopeStats {
            known: kb.scopes.known.len(),
            gcloud_aliases: kb.scopes.gcloud.aliases.len(),
            gcloud_deprecated: kb.scopes.gcloud.deprecated.len(),
            terraform_aliases: kb.scopes.terraform.aliases.len(),
        },
        curated_overrides: h.curated_overrides.clone(),
        sources: SourceStats {
            discovery_package: kb.apis_header.discovery_package.clone(),
            discovery_documents: kb.apis_header.discovery_documents,
            discovery_wheel_sha256: kb.apis_header.discovery_wheel_sha256.clone(),
            iam_dataset_commit: kb.roles_header.iam_dataset_commit.clone(),
            googleapis_commit: kb.apis_header.googleapis_commit.clone(),
            gcloud_aliases: kb.scopes.gcloud.source.clone(),
            terraform_aliases: kb.scopes.terraform.source.clone(),
            all: h.sources.clone(),
            generated_by: h.generated_by.clone(),
        },
    }
}

impl Stats {
    fn pretty(&self) -> String {
        let mut s = String::new();
        let a = &self.apis;
        let docs = self
            .sources
            .discovery_documents
            .map(|n| format!(" ({n} documents)"))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "APIs: {}: {} from discovery{docs}, {} gRPC/endpoint entries (service configurations and curated)",
            a.total, a.from_discovery, a.curated
        );
        let _ = writeln!(
            s,
            "  {} accept OAuth scopes, {} accept none (API keys only); {} count as SL005 evidence",
            a.with_scopes, a.without_scopes, a.workload
        );
        let r = &self.roles;
        let _ = writeln!(s, "roles: {} predefined roles", r.total);
        for (class, n) in &r.by_class {
            let _ = writeln!(s, "  {class:<18} {n:>5}");
        }
        let _ = writeln!(s, "  ({} role uses of APIs)", a.role_uses);
        if !r.unmapped_reasons.is_empty() {
            let _ = writeln!(s, "unmapped roles, why:");
            for (why, n) in &r.unmapped_reasons {
                let _ = writeln!(s, "  {n:>5}  {why}");
            }
        }
        let sc = &self.scopes;
        let _ = writeln!(
            s,
            "scopes: {} known; {} gcloud aliases ({} deprecated), {} Terraform aliases",
            sc.known, sc.gcloud_aliases, sc.gcloud_deprecated, sc.terraform_aliases
        );
        let total: u32 = self.curated_overrides.values().sum();
        let _ = writeln!(
            s,
            "curated overrides (rules/overrides.yaml): {total} entries"
        );
        for (section, n) in &self.curated_overrides {
            let _ = writeln!(s, "  {section:<20} {n:>4}");
        }
        let _ = writeln!(s, "sources:");
        for line in &self.sources.all {
            let _ = writeln!(s, "  {line}");
        }
        if let Some(h) = &self.sources.discovery_wheel_sha256 {
            let _ = writeln!(s, "  discovery wheel sha256: {h}");
        }
        let _ = writeln!(s, "regenerate with: {}", self.sources.generated_by);
        s
    }
}
