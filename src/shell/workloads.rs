//! The workloads a script creates and changes: Compute Engine instances and
//! templates, GKE clusters and node pools (with auto-provisioning), Dataproc
//! clusters, TPU VMs, and `set-service-account`; each with its account,
//! scopes, workload identity and startup scripts.
//!
//! Separate from [`super::facts`], which dispatches each gcloud command to
//! here or to [`super::grants`].

use super::argv::Invocation;
use super::embed::Embedded;
use super::interp::Cmd;
use super::scope_flags::{flag_scopes, flag_site, no_scopes_site, scopes_from, written};
use super::script::{Creates, Pending, Script, flag_text, identity, kind_of};
use super::word::{Seg, Word};
use crate::knowledge::{Knowledge, SCOPE_PREFIX};
use crate::model::{
    Account, Identity, Model, ScopeItem, Scopes, ScriptSource, Startup, Template, Unit, Unresolved,
    Workload, WorkloadIdentity,
};
use crate::source::Loc;
use std::path::PathBuf;

/// The account a create command gives its workloads.
pub(super) fn account_of(
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
                    raw: alias.into(),
                    loc: None,
                }]
            },
            // a flag hidden in an unknown word may set the scopes
            complete: !inv.hidden,
            flag: site,
            ..Scopes::default()
        }
    };
    if creates == Creates::Dataproc
        && let Some(d) = &kb.scopes.dataproc
    {
        for s in d.added(scopes_flag.is_some()) {
            scopes.items.push(ScopeItem {
                raw: format!("{SCOPE_PREFIX}{s}").into(),
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
pub(super) fn named_identity(
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

/// `gcloud compute tpus tpu-vm create`: no `--service-account` is the Compute
/// Engine default account (TPU API `ServiceAccount.email`); what gcloud sends
/// without `--scopes` is not documented, so those scopes stay unknown.
pub(super) fn tpu_account(
    inv: &Invocation,
    cmd: &Cmd,
    sc: &Script<'_>,
    project: Option<&str>,
) -> Account {
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
pub(super) fn auto_provisioning(
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
pub(super) fn startups(
    inv: &Invocation,
    cmd: &Cmd,
    sc: &Script<'_>,
    kb: &Knowledge,
) -> Vec<Startup> {
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
pub(super) fn arg_dict(value: &Word) -> Vec<(String, Word)> {
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
pub(super) fn create(
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
            stop_to_update: crate::model::StopToUpdate::Unknown,
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
pub(super) fn workload_identity(
    inv: &Invocation,
    creates: Creates,
    pending: &[Pending],
) -> WorkloadIdentity {
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
pub(super) fn workload_names<'c>(cmd: &'c Cmd, inv: &Invocation) -> Vec<&'c Word> {
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
pub(super) fn could_be_resource_name(w: &Word) -> bool {
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
pub(super) fn set_service_account(
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
                stop_to_update: crate::model::StopToUpdate::Unknown,
            });
        }
    }
}
