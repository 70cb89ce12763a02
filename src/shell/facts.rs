//! Turns the commands a script runs into model facts: workloads from
//! `gcloud compute instances create` and friends, grants from
//! `add-iam-policy-binding` and `gsutil iam ch`, enabled APIs from
//! `gcloud services enable`, and the changes `set-service-account` makes.
//!
//! Defaulting follows gcloud (see `rules/scopes.json` and the README): no
//! `--scopes` means gcloud's `default` set, no `--service-account` the
//! Compute Engine default account, `--no-scopes` without `--service-account`
//! no account at all.

use super::argv::{self, Flag, Invocation};
use super::embed::Embedded;
use super::interp::{Cmd, Trace};
use super::word::{Seg, Word};
use crate::knowledge::{Knowledge, SCOPE_PREFIX};
use crate::model::{
    Account, ArgStyle, EnabledApi, FlagSite, FlagText, Grant, Identity, Model, Project, ScopeItem,
    Scopes, ScriptSource, Startup, Template, Unit, Unresolved, Workload, WorkloadIdentity,
};
use crate::source::{FileId, Loc};
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;

/// How the words of the commands are written in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Words {
    /// Shell words.
    Shell,
    /// Items of a YAML sequence (Cloud Build `args`), flow or block style.
    YamlFlow,
    YamlBlock,
}

/// The file a script is in, and how script offsets map to it.
pub struct Script<'a> {
    pub file: FileId,
    /// The file's path as shown to the user (addresses are `FILE:LINE`).
    pub display: &'a str,
    /// The whole file's text.
    pub file_text: &'a str,
    /// Offsets where the file's lines start.
    pub line_starts: &'a [usize],
    pub embed: &'a Embedded,
    /// The directory the script is in (relative `--metadata-from-file` paths).
    pub dir: PathBuf,
    pub words: Words,
}

impl Script<'_> {
    pub fn loc(&self, r: &Range<usize>) -> Loc {
        Loc::new(self.file, self.embed.span(r))
    }

    fn line(&self, script_offset: usize) -> usize {
        let at = self.embed.start(script_offset).min(self.file_text.len());
        self.line_starts.partition_point(|&s| s <= at).max(1)
    }

    fn source_text(&self, r: &Range<usize>) -> &str {
        let f = self.embed.span(r);
        self.file_text.get(f).unwrap_or("")
    }
}

/// What kind of workload a gcloud command creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Creates {
    Instance,
    Template,
    Cluster,
    NodePool,
    Dataproc,
    TpuVm,
}

impl Creates {
    fn of(path: &[String]) -> Option<Creates> {
        let p: Vec<&str> = path.iter().map(String::as_str).collect();
        Some(match p.as_slice() {
            ["compute", "instances", "create" | "create-with-container"] => Creates::Instance,
            [
                "compute",
                "instance-templates",
                "create" | "create-with-container",
            ] => Creates::Template,
            ["container", "clusters", "create"] => Creates::Cluster,
            ["container", "node-pools", "create"] => Creates::NodePool,
            ["dataproc", "clusters", "create"] => Creates::Dataproc,
            ["compute", "tpus", "tpu-vm", "create"] => Creates::TpuVm,
            _ => return None,
        })
    }
}

/// A workload under construction, with what later commands need to find it.
struct Pending {
    node: usize,
    line: usize,
    w: Workload,
    creates: Creates,
    /// Added to the address of a second workload of one command (the
    /// auto-provisioned pools of a cluster).
    part: Option<&'static str>,
}

/// Reads the facts of one script into `model`.
pub fn extract(trace: &Trace, sc: &Script<'_>, kb: &Knowledge, model: &mut Model) {
    let mut pending: Vec<Pending> = Vec::new();
    let mut project: Option<String> = None;
    for (range, why) in &trace.skipped {
        model.unresolved.push(Unresolved {
            loc: sc.loc(range),
            what: why.clone(),
        });
    }
    for cmd in &trace.cmds {
        let Some(inv) = argv::read(&cmd.argv) else {
            continue;
        };
        match inv.program.as_str() {
            "gcloud" => gcloud(cmd, &inv, sc, kb, &mut project, &mut pending, model),
            "gsutil" if inv.path == ["iam", "ch"] => gsutil_iam_ch(cmd, &inv, sc, model),
            _ => {}
        }
    }
    // Addresses: FILE:LINE, with the name when one command makes several workloads.
    let mut per_node: BTreeMap<usize, usize> = BTreeMap::new();
    for p in pending.iter().filter(|p| p.part.is_none()) {
        *per_node.entry(p.node).or_default() += 1;
    }
    for mut p in pending {
        p.w.address = if per_node.get(&p.node).copied().unwrap_or(0) > 1 {
            format!("{}:{}[{}]", sc.display, p.line, p.w.name)
        } else {
            format!("{}:{}", sc.display, p.line)
        };
        p.w.address.push_str(p.part.unwrap_or(""));
        model.workloads.push(p.w);
    }
}

fn kind_of(inv: &Invocation) -> String {
    format!("gcloud {}", inv.path.join(" "))
}

fn flag_text(inv: &Invocation, names: &[&str]) -> Option<String> {
    inv.flag(names)
        .and_then(|f| f.value.as_ref())
        .and_then(Word::text)
}

#[allow(clippy::too_many_arguments)]
fn gcloud(
    cmd: &Cmd,
    inv: &Invocation,
    sc: &Script<'_>,
    kb: &Knowledge,
    project: &mut Option<String>,
    pending: &mut Vec<Pending>,
    model: &mut Model,
) {
    let path: Vec<&str> = inv.path.iter().map(String::as_str).collect();
    if let Some(creates) = Creates::of(&inv.path) {
        create(
            cmd,
            inv,
            creates,
            sc,
            kb,
            project.as_deref(),
            pending,
            model,
        );
        return;
    }
    match path.as_slice() {
        ["compute", "instances", "set-service-account"] => {
            set_service_account(cmd, inv, sc, kb, project.as_deref(), pending, model)
        }
        ["config", "set"] => {
            let args: Vec<Option<String>> = inv.args.iter().map(|&i| cmd.argv[i].text()).collect();
            if let [Some(key), value] = args.as_slice()
                && (key == "project" || key == "core/project")
            {
                *project = value.clone();
            }
        }
        ["services", "enable"] => {
            let enable_project = flag_text(inv, &["--project"]).or(project.clone());
            for &i in &inv.args {
                let w = &cmd.argv[i];
                match w.text() {
                    Some(t) if !w.splat => {
                        let service = if t.contains('.') {
                            t
                        } else {
                            format!("{t}.googleapis.com")
                        };
                        model.enabled_apis.push(EnabledApi {
                            service,
                            loc: sc.loc(&w.span),
                            project: enable_project.as_deref().and_then(Project::id),
                            unit: Unit::default(),
                        });
                    }
                    _ => model.unresolved.push(Unresolved {
                        loc: sc.loc(&w.span),
                        what: "gcloud services enable: a service name is not known".into(),
                    }),
                }
            }
        }
        [.., "add-iam-policy-binding"] => grant(cmd, inv, sc, model),
        [.., "remove-iam-policy-binding"] => revoke(cmd, inv, sc, model),
        _ => {}
    }
}

/// An identity written as an email (a `--service-account` value or the email
/// of a member); `default` is the default account of `project`.
fn identity(w: &Word, project: Option<&str>) -> Option<Identity> {
    if let Some(t) = w.text() {
        let t = t.trim();
        if t == "default" {
            return Some(Identity::default_compute(project));
        }
        return t.contains('@').then(|| Identity::from_email(t));
    }
    // PROJECT_NUMBER-compute@developer.gserviceaccount.com with an unknown number
    if w.known_suffix()
        .to_ascii_lowercase()
        .ends_with("-compute@developer.gserviceaccount.com")
    {
        return Some(Identity::DefaultCompute(None));
    }
    symbolic_identity(w)
}

/// An identity whose every unknown part is a named value (`$SA`,
/// `${NAME}@${PROJECT}.iam.gserviceaccount.com`): the same account wherever
/// the script writes the same thing, though which account is not known.
fn symbolic_identity(w: &Word) -> Option<Identity> {
    let mut text = String::new();
    let mut key = String::new();
    for s in &w.segs {
        match s {
            Seg::Lit { text: t, .. } => {
                text.push_str(t);
                key.push_str(t);
            }
            Seg::Unknown(Some(sym)) => {
                text.push_str(&sym.text);
                key.push_str(&format!("{}#{}", sym.text, sym.generation));
            }
            Seg::Unknown(None) => return None,
        }
    }
    let whole = matches!(w.segs.as_slice(), [Seg::Unknown(Some(_))]);
    (whole || text.contains('@')).then_some(Identity::Symbolic { text, key })
}

fn grant(cmd: &Cmd, inv: &Invocation, sc: &Script<'_>, model: &mut Model) {
    let address = binding_address(cmd, inv, sc);
    let role_flag = inv.flag(&["--role"]);
    let member_flag = inv.flag(&["--member"]);
    let loc = role_flag
        .and_then(|f| f.value.as_ref())
        .map(|v| sc.loc(&v.text_span()))
        .unwrap_or_else(|| sc.loc(&cmd.span));
    let role = role_flag
        .and_then(|f| f.value.as_ref())
        .and_then(Word::text);
    let Some(role) = role else {
        model.unresolved.push(Unresolved {
            loc,
            what: format!("{address}: the role is not known"),
        });
        return;
    };
    let Some(member) = member_flag.and_then(|f| f.value.as_ref()) else {
        model.unresolved.push(Unresolved {
            loc,
            what: format!("{address}: the member is not known"),
        });
        return;
    };
    push_member(model, member, &role, &address, loc);
}

/// `... remove-iam-policy-binding`: a role this script granted earlier to the
/// same account on the same resource no longer counts. A removal whose role
/// or account is not known removes nothing (`--verbose` says so).
fn revoke(cmd: &Cmd, inv: &Invocation, sc: &Script<'_>, model: &mut Model) {
    let address = binding_address(cmd, inv, sc).replacen(
        "remove-iam-policy-binding",
        "add-iam-policy-binding",
        1,
    );
    let value = |name: &str| inv.flag(&[name]).and_then(|f| f.value.as_ref());
    let role = value("--role").and_then(Word::text);
    let member = value("--member")
        .filter(|m| m.known_prefix().starts_with("serviceAccount:"))
        .and_then(|m| identity(&m.tail("serviceAccount:".len()), None));
    let (Some(role), Some(member)) = (role, member) else {
        model.unresolved.push(Unresolved {
            loc: sc.loc(&cmd.span),
            what: format!("{address}: a removed binding is not known; grants stay as they are"),
        });
        return;
    };
    model
        .grants
        .retain(|g| !(g.role == role && g.member == member && g.address == address));
}

/// `gcloud ... add-iam-policy-binding RESOURCE`, as grants are addressed.
fn binding_address(cmd: &Cmd, inv: &Invocation, sc: &Script<'_>) -> String {
    let resource = inv
        .args
        .first()
        .map(|&i| {
            let w = &cmd.argv[i];
            w.text().unwrap_or_else(|| {
                sc.source_text(&w.span)
                    .trim_matches(['\'', '"'])
                    .to_string()
            })
        })
        .unwrap_or_default();
    format!("{} {resource}", kind_of(inv))
        .trim_end()
        .to_string()
}

fn push_member(model: &mut Model, member: &Word, role: &str, address: &str, loc: Loc) {
    let prefix = member.known_prefix();
    if !prefix.starts_with("serviceAccount:") {
        if member.is_known() || prefix.contains(':') {
            // user:, group:, domain: ... are not service accounts
            return;
        }
        model.unresolved.push(Unresolved {
            loc,
            what: format!("{address}: the member is not known"),
        });
        return;
    }
    let email = member.tail("serviceAccount:".len());
    match identity(&email, None) {
        Some(id) => model.grants.push(Grant {
            role: role.to_string(),
            member: id,
            address: address.to_string(),
            loc,
            unit: Unit::default(),
        }),
        None => model.unresolved.push(Unresolved {
            loc,
            what: format!("{address}: the service account is not known"),
        }),
    }
}

/// `gsutil iam ch serviceAccount:EMAIL:ROLE[,ROLE] ... gs://BUCKET`
fn gsutil_iam_ch(cmd: &Cmd, inv: &Invocation, sc: &Script<'_>, model: &mut Model) {
    let buckets: Vec<String> = inv
        .args
        .iter()
        .filter_map(|&i| cmd.argv[i].text())
        .filter(|t| t.starts_with("gs://"))
        .collect();
    let address = format!("gsutil iam ch {}", buckets.join(" "))
        .trim_end()
        .to_string();
    let removed: Vec<usize> = inv
        .flags
        .iter()
        .filter(|f| f.name == "-d")
        .filter_map(|f| f.value_word.or(Some(f.word + 1)))
        .collect();
    for &i in &inv.args {
        if removed.contains(&i) {
            continue;
        }
        let w = &cmd.argv[i];
        let prefix = w.known_prefix();
        if prefix.starts_with("gs://") {
            continue;
        }
        let suffix = w.known_suffix();
        let Some((_, roles)) = suffix.rsplit_once(':') else {
            model.unresolved.push(Unresolved {
                loc: sc.loc(&w.span),
                what: format!("{address}: a binding is not known"),
            });
            continue;
        };
        // the member is the word without `:ROLES`
        let mut member = w.clone();
        trim_suffix(&mut member, roles.len() + 1);
        let loc = sc.loc(&w.text_span());
        for role in roles.split(',') {
            let role = if role.starts_with("roles/") || role.contains('/') {
                role.to_string()
            } else {
                format!("roles/storage.{role}")
            };
            push_member(model, &member, &role, &address, loc.clone());
        }
    }
}

/// Drops the last `n` bytes of a word's known text.
fn trim_suffix(w: &mut Word, mut n: usize) {
    while n > 0 {
        match w.segs.last_mut() {
            Some(Seg::Lit { text, .. }) if text.len() > n => {
                let keep = text.len() - n;
                text.truncate(keep);
                n = 0;
            }
            Some(Seg::Lit { text, .. }) => {
                n -= text.len();
                w.segs.pop();
            }
            _ => break,
        }
    }
}

/// The gcloud `--scopes` value as scope items.
fn scopes_from(value: &Word, at: Loc, sc: &Script<'_>, site: FlagSite) -> Scopes {
    let mut scopes = Scopes {
        dialect: crate::model::Dialect::Gcloud,
        complete: true,
        at: Some(at),
        flag: Some(site),
        ..Scopes::default()
    };
    if let Some(o) = &value.origin {
        scopes.defined = Some(sc.loc(&o.span));
        scopes.via = Some(o.var.clone());
    }
    if value.splat {
        scopes.complete = false;
        return scopes;
    }
    for item in value.split(',') {
        match item.text() {
            Some(t) if t.is_empty() => {}
            Some(t) => {
                let span = item.text_span();
                let exact = item.offset(0).is_some() && sc.embed.is_exact(&span);
                scopes.items.push(ScopeItem {
                    raw: t.trim().to_string(),
                    loc: exact.then(|| sc.loc(&span)),
                });
            }
            None => scopes.complete = false,
        }
    }
    scopes
}

/// Where a patch would put or change `--scopes` on this command.
fn flag_site(
    cmd: &Cmd,
    inv: &Invocation,
    flag: Option<&Flag>,
    sc: &Script<'_>,
    written: Vec<String>,
) -> FlagSite {
    let replace = flag.and_then(|f| {
        let value = f.value.as_ref()?;
        if let Some(o) = &value.origin {
            return Some((sc.loc(&o.span), FlagText::Value));
        }
        match f.value_word {
            Some(i) => Some((sc.loc(&cmd.argv[i].span), FlagText::Value)),
            None => Some((sc.loc(&cmd.argv[f.word].span), FlagText::Flag)),
        }
    });
    let last = inv
        .last_flag_word()
        .or_else(|| inv.args.last().copied())
        .unwrap_or(inv.start + inv.path.len());
    let last = last.min(cmd.argv.len().saturating_sub(1));
    let last_span = cmd
        .argv
        .get(last)
        .map_or(cmd.span.clone(), |w| w.span.clone());
    let insert_after = sc.loc(&(last_span.end..last_span.end));
    let style = match sc.words {
        Words::YamlFlow => ArgStyle::YamlFlow,
        Words::YamlBlock => ArgStyle::YamlBlock {
            indent: item_indent(sc.file_text, insert_after.span.start),
        },
        Words::Shell => ArgStyle::Shell {
            continuation: continuation_indent(sc.file_text, sc.embed.start(last_span.start)),
        },
    };
    FlagSite {
        replace,
        insert_after,
        style,
        written,
    }
}

/// The indentation of the line at `at`, when the word there starts a continued line.
fn continuation_indent(text: &str, at: usize) -> Option<String> {
    let line_start = text.get(..at)?.rfind('\n').map_or(0, |i| i + 1);
    let before = text.get(line_start..at)?;
    if !before.chars().all(|c| c == ' ' || c == '\t') || line_start == 0 {
        return None;
    }
    let prev = text.get(..line_start - 1)?;
    prev.trim_end_matches('\r')
        .ends_with('\\')
        .then(|| before.to_string())
}

/// The indentation of the YAML sequence item on the line at `at` (up to its `-`).
fn item_indent(text: &str, at: usize) -> String {
    let line_start = text
        .get(..at)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    text.get(line_start..)
        .unwrap_or("")
        .chars()
        .take_while(|c| *c == ' ')
        .collect()
}

/// `--no-scopes`: an empty list, which a patch replaces with `--scopes=...`
/// (gcloud accepts only one of the two).
fn no_scopes_site(cmd: &Cmd, f: &Flag, sc: &Script<'_>, mut site: FlagSite) -> Scopes {
    let loc = sc.loc(&cmd.argv[f.word].span);
    site.replace = Some((loc.clone(), FlagText::Flag));
    site.written = Vec::new();
    Scopes {
        dialect: crate::model::Dialect::Gcloud,
        complete: true,
        at: Some(loc),
        flag: Some(site),
        ..Scopes::default()
    }
}

/// The scopes a patch keeps: those written in the flag, or the implied default.
fn written(flag: Option<&Flag>, creates: Creates, kb: &Knowledge) -> Vec<String> {
    match flag {
        Some(f) => f
            .value
            .as_ref()
            .map(|v| {
                v.split(',')
                    .iter()
                    .filter_map(Word::text)
                    .map(|t| t.trim().to_string())
                    .filter(|t| !t.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        None => match creates {
            Creates::Cluster | Creates::NodePool => vec!["gke-default".to_string()],
            Creates::Dataproc => kb
                .scopes
                .dataproc
                .as_ref()
                .map(|d| {
                    d.when_none_given
                        .iter()
                        .map(|s| {
                            kb.gcloud_alias(s)
                                .map_or_else(|| Knowledge::url(s), str::to_string)
                        })
                        .collect()
                })
                .unwrap_or_default(),
            _ => vec!["default".to_string()],
        },
    }
}

/// The account a create command gives its workloads.
fn account_of(
    inv: &Invocation,
    creates: Creates,
    cmd: &Cmd,
    sc: &Script<'_>,
    kb: &Knowledge,
    project: Option<&str>,
) -> Account {
    if creates == Creates::TpuVm {
        return tpu_account(inv, cmd, sc, project);
    }
    let sa = inv.flag(&["--service-account"]);
    let no_sa = inv.has("--no-service-account");
    let scopes_flag = inv.flag(&["--scopes"]);
    let no_scopes = inv.flag(&["--no-scopes"]);
    if no_sa
        || (no_scopes.is_some()
            && sa.is_none()
            && !matches!(creates, Creates::Cluster | Creates::NodePool))
    {
        return Account::None;
    }
    let (identity, identity_at) = match sa {
        None if inv.hidden => return Account::Unknown,
        None => (Identity::default_compute(project), None),
        Some(f) => match f.value.as_ref().and_then(|v| identity(v, project)) {
            Some(id) => (id, f.value.as_ref().map(|v| sc.loc(&v.text_span()))),
            None => return Account::Unknown,
        },
    };
    let site = flag_site(cmd, inv, scopes_flag, sc, written(scopes_flag, creates, kb));
    let mut scopes = if let Some(f) = no_scopes.filter(|_| scopes_flag.is_none()) {
        no_scopes_site(cmd, f, sc, site)
    } else if let Some(f) = scopes_flag {
        flag_scopes(cmd, f, sc, site)
    } else {
        let (alias, why) = match creates {
            Creates::Cluster | Creates::NodePool => {
                ("gke-default", "GKE's default scopes (gke-default)")
            }
            Creates::Dataproc => ("", "the scopes Dataproc gives cluster VMs"),
            _ => ("default", "gcloud's default scopes"),
        };
        Scopes {
            dialect: crate::model::Dialect::Gcloud,
            defaulted: Some(why.to_string()),
            items: if alias.is_empty() {
                Vec::new()
            } else {
                vec![ScopeItem {
                    raw: alias.to_string(),
                    loc: None,
                }]
            },
            // a flag hidden in an unknown word may set the scopes
            complete: !inv.hidden,
            flag: Some(site),
            ..Scopes::default()
        }
    };
    if creates == Creates::Dataproc
        && let Some(d) = &kb.scopes.dataproc
    {
        for s in d.added(scopes_flag.is_some()) {
            scopes.items.push(ScopeItem {
                raw: format!("{SCOPE_PREFIX}{s}"),
                loc: None,
            });
        }
    }
    Account::Attached {
        identity,
        identity_at,
        scopes,
    }
}

/// The identity named by `flag` (absent: the default account of `project`),
/// with where it is written; `None` when the value is not known.
fn named_identity(
    inv: &Invocation,
    flag: &str,
    sc: &Script<'_>,
    project: Option<&str>,
) -> Option<(Identity, Option<Loc>)> {
    match inv.flag(&[flag]) {
        None => Some((Identity::default_compute(project), None)),
        Some(f) => {
            let v = f.value.as_ref()?;
            Some((identity(v, project)?, Some(sc.loc(&v.text_span()))))
        }
    }
}

/// The scopes a flag such as `--scopes` gives, as written.
fn flag_scopes(cmd: &Cmd, f: &Flag, sc: &Script<'_>, site: FlagSite) -> Scopes {
    let end = cmd.argv[f.last_word()].span.end;
    let at = sc.loc(&(cmd.argv[f.word].span.start..end));
    match &f.value {
        Some(v) => scopes_from(v, at, sc, site),
        None => Scopes {
            dialect: crate::model::Dialect::Gcloud,
            at: Some(at),
            ..Scopes::default()
        },
    }
}

/// `gcloud compute tpus tpu-vm create`: no `--service-account` is the Compute
/// Engine default account (TPU API `ServiceAccount.email`); what gcloud sends
/// without `--scopes` is not documented, so those scopes stay unknown.
fn tpu_account(inv: &Invocation, cmd: &Cmd, sc: &Script<'_>, project: Option<&str>) -> Account {
    if inv.hidden {
        return Account::Unknown;
    }
    let Some((identity, identity_at)) = named_identity(inv, "--service-account", sc, project)
    else {
        return Account::Unknown;
    };
    // Whether this command takes gcloud's scope aliases is not documented: no patch.
    let scopes = match inv.flag(&["--scopes"]) {
        Some(f) => Scopes {
            flag: None,
            ..flag_scopes(cmd, f, sc, flag_site(cmd, inv, None, sc, Vec::new()))
        },
        None => Scopes {
            dialect: crate::model::Dialect::Gcloud,
            ..Scopes::default()
        },
    };
    Account::Attached {
        identity,
        identity_at,
        scopes,
    }
}

/// `gcloud container clusters create --enable-autoprovisioning`: the pools
/// GKE creates run with `--autoprovisioning-service-account` and
/// `--autoprovisioning-scopes`; what they get without them is not sourced,
/// so such a cluster's auto-provisioned pools stay unknown.
fn auto_provisioning(
    cmd: &Cmd,
    inv: &Invocation,
    sc: &Script<'_>,
    project: Option<&str>,
    cluster: &Workload,
    model: &mut Model,
) -> Option<Workload> {
    if !inv.has("--enable-autoprovisioning") {
        return None;
    }
    let mut why = None;
    if inv.has("--autoprovisioning-config-file") {
        why = Some("are set in --autoprovisioning-config-file");
    } else if !inv.has("--autoprovisioning-scopes") {
        why = Some("are not given (--autoprovisioning-scopes)");
    } else if !inv.has("--autoprovisioning-service-account") {
        why = Some("run as an account that is not named (--autoprovisioning-service-account)");
    }
    let account = match why {
        Some(why) => {
            model.unresolved.push(Unresolved {
                loc: cluster.block.clone(),
                what: format!(
                    "{}: the scopes of auto-provisioned node pools {why}, so they are not known",
                    kind_of(inv)
                ),
            });
            return None;
        }
        None => {
            let sa = "--autoprovisioning-service-account";
            let f = inv.flag(&["--autoprovisioning-scopes"])?;
            match named_identity(inv, sa, sc, project) {
                Some((identity, identity_at)) if !inv.hidden => {
                    // A `--scopes` patch would not fit this flag: no patch.
                    let mut scopes =
                        flag_scopes(cmd, f, sc, flag_site(cmd, inv, None, sc, Vec::new()));
                    scopes.flag = None;
                    if let Account::Attached { scopes: s, .. } = &cluster.account {
                        scopes.workload_identity = s.workload_identity;
                    }
                    Account::Attached {
                        identity,
                        identity_at,
                        scopes,
                    }
                }
                _ => Account::Unknown,
            }
        }
    };
    Some(Workload {
        account,
        is_instance: false,
        startup: Vec::new(),
        ..cluster.clone()
    })
}

/// The startup scripts a create command sets with `--metadata` / `--metadata-from-file`.
fn startups(inv: &Invocation, cmd: &Cmd, sc: &Script<'_>, kb: &Knowledge) -> Vec<Startup> {
    let mut out = Vec::new();
    for f in &inv.flags {
        let Some(value) = &f.value else { continue };
        let from_file = match f.name.as_str() {
            "--metadata-from-file" => true,
            "--metadata" => false,
            _ => continue,
        };
        for (key, v) in arg_dict(value) {
            let user_data = match key.as_str() {
                "startup-script" => false,
                "user-data" => true,
                _ => continue,
            };
            let at = sc.loc(&(cmd.argv[f.word].span.start..cmd.argv[f.last_word()].span.end));
            if from_file {
                let Some(p) = v.text() else { continue };
                let rel = PathBuf::from(&p);
                let paths = if rel.is_absolute() {
                    Vec::new()
                } else {
                    sc.dir.ancestors().take(4).map(|d| d.join(&rel)).collect()
                };
                out.push(Startup {
                    at,
                    source: ScriptSource::File {
                        paths,
                        template: Template::Raw,
                        vars: Vec::new(),
                    },
                    user_data,
                    calls: Vec::new(),
                });
            } else {
                let mut e = Embedded::default();
                for s in &v.segs {
                    match s {
                        Seg::Lit { text, at: Some(a) }
                            if sc.embed.is_exact(&(*a..*a + text.len())) =>
                        {
                            e.push_mapped(text, sc.embed.start(*a));
                        }
                        Seg::Lit { text, .. } => e.push(text, sc.embed.start(v.span.start), 0),
                        Seg::Unknown(_) => e.push("${__unknown}", sc.embed.start(v.span.start), 0),
                    }
                }
                let calls = super::startup::calls_in(&e, sc.file, kb, user_data);
                out.push(Startup {
                    at,
                    source: ScriptSource::Read,
                    user_data,
                    calls,
                });
            }
        }
    }
    out
}

/// gcloud's `KEY=VALUE,...` dictionaries, with `^DELIM^` to change the delimiter.
fn arg_dict(value: &Word) -> Vec<(String, Word)> {
    let prefix = value.known_prefix();
    let (delim, skip) = match prefix.strip_prefix('^') {
        Some(rest) => match rest.find('^') {
            Some(end) => (rest[..end].chars().next().unwrap_or(','), end + 2),
            None => (',', 0),
        },
        None => (',', 0),
    };
    let body = if skip > 0 {
        value.tail(skip)
    } else {
        value.clone()
    };
    let mut out = Vec::new();
    for item in body.split(delim) {
        let p = item.known_prefix();
        if let Some(eq) = p.find('=') {
            out.push((p[..eq].to_string(), item.tail(eq + 1)));
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn create(
    cmd: &Cmd,
    inv: &Invocation,
    creates: Creates,
    sc: &Script<'_>,
    kb: &Knowledge,
    project: Option<&str>,
    pending: &mut Vec<Pending>,
    model: &mut Model,
) {
    let mut names = workload_names(cmd, inv);
    if creates != Creates::Instance {
        names.truncate(1);
    }
    for n in names.iter().filter(|n| !could_be_resource_name(n)) {
        model.unresolved.push(Unresolved {
            loc: sc.loc(&n.span),
            what: format!(
                "{}: {:?} cannot be a resource name: not a workload",
                kind_of(inv),
                sc.source_text(&n.span)
            ),
        });
    }
    let named = !names.is_empty();
    names.retain(|n| could_be_resource_name(n));
    let zone = flag_text(inv, &["--zone", "--region", "--location"]);
    let project = flag_text(inv, &["--project"]).or(project.map(str::to_string));
    let mut account = account_of(inv, creates, cmd, sc, kb, project.as_deref());
    if let Account::Attached { scopes, .. } = &mut account {
        scopes.workload_identity = workload_identity(inv, creates, pending);
    }
    // From an instance template: without any account flag, the template's account applies.
    let account_flags = [
        "--scopes",
        "--no-scopes",
        "--service-account",
        "--no-service-account",
    ];
    if creates == Creates::Instance
        && !account_flags.iter().any(|f| inv.has(f))
        && let Some(t) = inv.flag(&["--source-instance-template"])
    {
        let template = t
            .value
            .as_ref()
            .and_then(Word::text)
            .map(|t| t.rsplit('/').next().unwrap_or(&t).to_string());
        account = template
            .and_then(|t| {
                pending
                    .iter()
                    .rev()
                    .find(|p| p.creates == Creates::Template && p.w.name == t)
                    .map(|p| p.w.account.clone())
            })
            .unwrap_or(Account::Unknown);
    } else if creates == Creates::Instance
        && inv.has("--source-machine-image")
        && !account_flags.iter().any(|f| inv.has(f))
    {
        account = Account::Unknown;
    }
    let startup = startups(inv, cmd, sc, kb);
    let line = sc.line(cmd.span.start);
    let name_end = names.last().map_or_else(
        || {
            cmd.argv
                .get(inv.start)
                .map_or(cmd.span.start, |w| w.span.end)
        },
        |w| w.span.end,
    );
    let block = sc.loc(
        &(cmd
            .argv
            .get(inv.start)
            .map_or(cmd.span.start, |w| w.span.start)..name_end),
    );
    if names.is_empty() {
        if !named {
            model.unresolved.push(Unresolved {
                loc: block,
                what: format!("{}: no name given", kind_of(inv)),
            });
        }
        return;
    }
    if creates == Creates::TpuVm && !inv.has("--scopes") {
        model.unresolved.push(Unresolved {
            loc: block.clone(),
            what: format!(
                "{}: no --scopes, and the scopes a TPU VM then gets are not documented",
                kind_of(inv)
            ),
        });
    }
    for n in names {
        let name = n
            .text()
            .unwrap_or_else(|| sc.source_text(&n.span).to_string());
        let w = Workload {
            kind: kind_of(inv),
            address: String::new(),
            name,
            zone: zone.clone(),
            project: project.clone(),
            module: sc.display.to_string(),
            block: block.clone(),
            account_block: None,
            account: account.clone(),
            is_instance: creates == Creates::Instance,
            startup: startup.clone(),
            unit: Unit::default(),
            stop_to_update: None,
        };
        let nap = (creates == Creates::Cluster)
            .then(|| auto_provisioning(cmd, inv, sc, project.as_deref(), &w, model))
            .flatten();
        pending.push(Pending {
            node: cmd.node,
            line,
            creates,
            w,
            part: None,
        });
        if let Some(w) = nap {
            pending.push(Pending {
                node: cmd.node,
                line,
                creates,
                w,
                part: Some(".autoprovisioning"),
            });
        }
    }
}

/// Whether pods on the nodes a GKE command creates get their tokens from
/// Workload Identity (then the node's scopes only bound what the node itself
/// does). A cluster has it with `--workload-pool`; a node pool with
/// `--workload-metadata=GKE_METADATA`, else as its cluster, when the script
/// created that cluster, else it is not known.
fn workload_identity(inv: &Invocation, creates: Creates, pending: &[Pending]) -> WorkloadIdentity {
    let text = |names: &[&str]| {
        inv.flag(names)
            .map(|f| f.value.as_ref().and_then(Word::text))
    };
    match creates {
        Creates::Cluster => match text(&["--workload-pool"]) {
            None => WorkloadIdentity::Off,
            Some(Some(pool)) if !pool.trim().is_empty() => WorkloadIdentity::On,
            Some(Some(_)) => WorkloadIdentity::Off,
            Some(None) => WorkloadIdentity::Unknown,
        },
        Creates::NodePool => match text(&["--workload-metadata"]) {
            Some(Some(mode)) if mode.eq_ignore_ascii_case("GKE_METADATA") => WorkloadIdentity::On,
            Some(Some(_)) => WorkloadIdentity::Off,
            Some(None) => WorkloadIdentity::Unknown,
            None => {
                let cluster = text(&["--cluster"]).flatten();
                pending
                    .iter()
                    .rev()
                    .find(|p| p.creates == Creates::Cluster && Some(&p.w.name) == cluster.as_ref())
                    .and_then(|p| match &p.w.account {
                        Account::Attached { scopes, .. } => Some(scopes.workload_identity),
                        _ => None,
                    })
                    .unwrap_or(WorkloadIdentity::Unknown)
            }
        },
        _ => WorkloadIdentity::Off,
    }
}

/// The words of a create command that name what it creates. An unquoted
/// unknown expansion stands for an unknown number of words: the words after
/// it may be anything (values of flags it holds, say), so they are never
/// names. One that comes first is taken as one workload named as written, as
/// the command creates at least one.
fn workload_names<'c>(cmd: &'c Cmd, inv: &Invocation) -> Vec<&'c Word> {
    let after_program = inv.start + 1;
    // The first word that may stand for more words than one, flags included.
    let uncertain = (after_program..cmd.argv.len())
        .find(|&i| cmd.argv.get(i).is_some_and(|w| w.may_split))
        .unwrap_or(usize::MAX);
    let mut names = Vec::new();
    for &i in &inv.args {
        let Some(w) = cmd.argv.get(i) else { break };
        if i < uncertain {
            names.push(w);
        } else {
            if i == uncertain && names.is_empty() && w.splat {
                names.push(w);
            }
            break;
        }
    }
    names
}

/// Whether a word can be a Compute Engine, GKE or Dataproc resource name
/// (lowercase letters, digits and hyphens, starting with a letter, at most 63
/// characters); a partly unknown word is judged by its known text.
fn could_be_resource_name(w: &Word) -> bool {
    let known: String = w
        .segs
        .iter()
        .filter_map(|s| match s {
            Seg::Lit { text, .. } => Some(text.as_str()),
            Seg::Unknown(_) => None,
        })
        .collect();
    let first_known = matches!(w.segs.first(), Some(Seg::Lit { .. }));
    known
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && (!first_known || known.starts_with(|c: char| c.is_ascii_lowercase()))
        && known.len() <= 63
}

/// `gcloud compute instances set-service-account NAME`: changes the VM created
/// earlier in the same script (the last change wins); a VM created elsewhere
/// becomes a workload of its own with what the command says.
fn set_service_account(
    cmd: &Cmd,
    inv: &Invocation,
    sc: &Script<'_>,
    kb: &Knowledge,
    project: Option<&str>,
    pending: &mut [Pending],
    model: &mut Model,
) {
    let Some(name_word) = inv.args.first().map(|&i| &cmd.argv[i]) else {
        return;
    };
    let Some(name) = name_word.text() else {
        model.unresolved.push(Unresolved {
            loc: sc.loc(&name_word.span),
            what: "set-service-account: the instance name is not known".into(),
        });
        return;
    };
    let zone = flag_text(inv, &["--zone"]);
    let project = flag_text(inv, &["--project"]).or(project.map(str::to_string));
    let target = pending.iter_mut().rev().find(|p| {
        p.creates == Creates::Instance
            && p.w.name == name
            && (zone.is_none() || p.w.zone.is_none() || p.w.zone == zone)
    });
    let sa = inv.flag(&["--service-account"]);
    let no_sa = inv.has("--no-service-account");
    let scopes_flag = inv.flag(&["--scopes"]);
    let no_scopes = inv.flag(&["--no-scopes"]);
    let new_scopes = || -> Option<Scopes> {
        let site = flag_site(
            cmd,
            inv,
            scopes_flag,
            sc,
            written(scopes_flag, Creates::Instance, kb),
        );
        if let Some(f) = scopes_flag {
            let end = cmd.argv[f.last_word()].span.end;
            let at = sc.loc(&(cmd.argv[f.word].span.start..end));
            return Some(match &f.value {
                Some(v) => scopes_from(v, at, sc, site),
                None => Scopes {
                    dialect: crate::model::Dialect::Gcloud,
                    at: Some(at),
                    ..Scopes::default()
                },
            });
        }
        no_scopes.map(|f| no_scopes_site(cmd, f, sc, site))
    };
    let new_identity = sa.map(|f| {
        (
            f.value
                .as_ref()
                .and_then(|v| identity(v, project.as_deref())),
            f.value.as_ref().map(|v| sc.loc(&v.text_span())),
        )
    });
    match target {
        Some(p) => {
            if no_sa {
                p.w.account = Account::None;
                return;
            }
            if inv.hidden {
                p.w.account = Account::Unknown;
                return;
            }
            let (old_id, old_at, old_scopes) = match &p.w.account {
                Account::Attached {
                    identity,
                    identity_at,
                    scopes,
                } => (
                    Some(identity.clone()),
                    identity_at.clone(),
                    Some(scopes.clone()),
                ),
                _ => (None, None, None),
            };
            let (id, id_at) = match new_identity {
                Some((Some(id), at)) => (Some(id), at),
                Some((None, _)) => (None, None),
                None => (old_id, old_at),
            };
            let scopes = new_scopes().or(old_scopes);
            p.w.account = match (id, scopes) {
                (Some(identity), Some(scopes)) => Account::Attached {
                    identity,
                    identity_at: id_at,
                    scopes,
                },
                _ => Account::Unknown,
            };
        }
        None => {
            let account = match (new_identity, new_scopes()) {
                _ if no_sa => Account::None,
                (Some((Some(identity), identity_at)), Some(scopes)) => Account::Attached {
                    identity,
                    identity_at,
                    scopes,
                },
                _ => Account::Unknown,
            };
            let block = sc.loc(
                &(cmd
                    .argv
                    .get(inv.start)
                    .map_or(cmd.span.start, |w| w.span.start)
                    ..name_word.span.end),
            );
            let _ = kb;
            model.workloads.push(Workload {
                kind: kind_of(inv),
                address: format!("{}:{}", sc.display, sc.line(cmd.span.start)),
                name,
                zone,
                project,
                module: sc.display.to_string(),
                block,
                account_block: None,
                account,
                is_instance: true,
                startup: Vec::new(),
                unit: Unit::default(),
                stop_to_update: None,
            });
        }
    }
}
