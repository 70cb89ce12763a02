//! The grants a script makes and removes: `gcloud ... add-iam-policy-binding`,
//! `remove-iam-policy-binding` and `gsutil iam ch`, each member and role
//! recorded with the address of the binding; and the custom roles it defines
//! (`gcloud iam roles create`), which its grants may name.
//!
//! Separate from [`super::workloads`]: grants and workloads come from
//! different gcloud command families and share only identity parsing.

use super::argv::Invocation;
use super::interp::Cmd;
use super::script::{Script, identity, kind_of};
use super::word::{Seg, Word};
use crate::model::{Grant, Model, RoleDefinition, Unit, Unresolved};
use crate::source::Loc;
use std::path::PathBuf;

pub(super) fn grant(cmd: &Cmd, inv: &Invocation, sc: &Script<'_>, model: &mut Model) {
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

/// `gcloud iam roles create ROLE_ID --project=P|--organization=O
/// --permissions=A,B`: the role `projects/P/roles/ROLE_ID` (the project may
/// come from `gcloud config set project`) with the permissions listed, or
/// those of the YAML definition in `--file` (read later, with the other
/// files the scripts name).
pub(super) fn role_definition(
    cmd: &Cmd,
    inv: &Invocation,
    sc: &Script<'_>,
    project: Option<&str>,
    model: &mut Model,
) {
    let address = format!("{}:{}", sc.display, sc.line(cmd.span.start));
    let text = |name: &str| {
        inv.flag(&[name])
            .and_then(|f| f.value.as_ref())
            .and_then(Word::text)
    };
    let Some(name) = role_name(cmd, inv, project) else {
        model.unresolved.push(Unresolved {
            loc: sc.loc(&cmd.span),
            what: format!("{address}: the custom role's name is not known"),
        });
        return;
    };
    let listed = inv.flag(&["--permissions"]).and_then(|f| f.value.as_ref());
    let permissions = listed.and_then(Word::text).map(|t| {
        t.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect()
    });
    // A relative path is tried from the script's directory up, as the script may be run from there.
    let file = match inv.flag(&["--file"]).and_then(|f| f.value.as_ref()) {
        Some(v) => v
            .text()
            .map(PathBuf::from)
            .filter(|p| p.is_relative())
            .map_or_else(Vec::new, |rel| {
                sc.dir.ancestors().take(4).map(|d| d.join(&rel)).collect()
            }),
        None => Vec::new(),
    };
    model.role_definitions.push(RoleDefinition {
        name,
        permissions: permissions.filter(|_| !inv.has("--file")),
        disabled: text("--stage").is_some_and(|s| s.eq_ignore_ascii_case("DISABLED")),
        file,
        loc: listed.map_or_else(|| sc.loc(&cmd.span), |v| sc.loc(&v.text_span())),
        address,
    });
}

/// The full name of the custom role a `gcloud iam roles ...` command names:
/// `projects/P/roles/ID` or `organizations/O/roles/ID`, the project from
/// `gcloud config set project` when neither flag is given. A flag whose
/// value is not known leaves the name unknown.
fn role_name(cmd: &Cmd, inv: &Invocation, project: Option<&str>) -> Option<String> {
    let plain = |s: &str| !s.is_empty() && !s.contains(['/', '$', ' ']);
    let flag = |name: &str| {
        inv.flag(&[name])
            .map(|f| f.value.as_ref().and_then(Word::text).filter(|v| plain(v)))
    };
    let role_id = inv
        .args
        .first()
        .and_then(|&i| cmd.argv.get(i)?.text())
        .filter(|r| plain(r))?;
    let parent = match (flag("--organization"), flag("--project")) {
        (Some(org), _) => format!("organizations/{}", org?),
        (None, Some(p)) => format!("projects/{}", p?),
        (None, None) => format!("projects/{}", project.filter(|p| plain(p))?),
    };
    Some(format!("{parent}/roles/{role_id}"))
}

/// `gcloud iam roles update|delete|undelete`: a role the script defined is
/// changed afterwards, so its permissions are no longer known from its
/// definition; when the name is not known, no role the script defined is.
pub(super) fn role_change(
    cmd: &Cmd,
    inv: &Invocation,
    sc: &Script<'_>,
    project: Option<&str>,
    model: &mut Model,
) {
    let address = format!("{}:{}", sc.display, sc.line(cmd.span.start));
    match role_name(cmd, inv, project) {
        Some(name) => model.role_definitions.push(RoleDefinition {
            name,
            permissions: None,
            disabled: false,
            file: Vec::new(),
            loc: sc.loc(&cmd.span),
            address,
        }),
        None => model
            .role_definitions
            .iter_mut()
            .for_each(|d| d.permissions = None),
    }
}

/// `... remove-iam-policy-binding`: a role this script granted earlier to the
/// same account on the same resource no longer counts. A removal whose role
/// or account is not known removes nothing (`--verbose` says so).
pub(super) fn revoke(cmd: &Cmd, inv: &Invocation, sc: &Script<'_>, model: &mut Model) {
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
pub(super) fn binding_address(cmd: &Cmd, inv: &Invocation, sc: &Script<'_>) -> String {
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

pub(super) fn push_member(model: &mut Model, member: &Word, role: &str, address: &str, loc: Loc) {
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
pub(super) fn gsutil_iam_ch(cmd: &Cmd, inv: &Invocation, sc: &Script<'_>, model: &mut Model) {
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
pub(super) fn trim_suffix(w: &mut Word, mut n: usize) {
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
