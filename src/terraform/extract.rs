//! Builds the [`Model`] of one Terraform module: its workloads (with identity
//! and scopes), IAM grants and enabled APIs.

use super::eval::{Env, Evaluator, V, Val, index};
use super::marker;
use super::module::{Index, Res, Src};
use crate::model::{
    Account, EnabledApi, Grant, Identity, Model, ScopeItem, Scopes, ScriptSource, Startup,
    Template, Unresolved, Workload,
};
use crate::source::Loc;
use hcl::edit::Span;
use hcl::edit::structure::{Block, Body};

/// Resource types whose `service_account { email, scopes }` block gives a VM its token.
const INSTANCE_KINDS: &[&str] = &[
    "google_compute_instance",
    "google_compute_instance_template",
    "google_compute_region_instance_template",
    "google_compute_instance_from_template",
    "google_compute_instance_from_machine_image",
];

/// At most this many instances of one `count`/`for_each` resource are analysed.
const MAX_INSTANCES: usize = 1000;

pub fn extract(idx: &Index<'_>) -> Model {
    let ev = Evaluator::new(idx);
    let mut model = Model::default();
    for (&(ty, name), res) in &idx.resources {
        let base = format!("{ty}.{name}");
        let instances = instances(&ev, res, &base, &mut model);
        for (address, env) in instances {
            if INSTANCE_KINDS.contains(&ty) {
                let w = instance_workload(&ev, res, ty, &address, name, &env);
                model.workloads.push(w);
            } else if ty == "google_container_node_pool" {
                if let Some(nc) = first_block(&res.block.body, "node_config") {
                    let w = gke_workload(&ev, res, nc, ty, &address, name, &env);
                    model.workloads.push(w);
                }
            } else if ty == "google_container_cluster" {
                cluster_workloads(&ev, res, &address, name, &env, &mut model);
            } else if is_grant_kind(ty) {
                grants(&ev, res, ty, &address, &env, &mut model);
            } else if ty == "google_project_service" {
                let v = res.attr("service").map(|d| ev.def(d, &env));
                match v.as_ref().and_then(Val::as_str) {
                    Some(s) if !marker::is_symbolic(s) => model.enabled_apis.push(EnabledApi {
                        service: s.to_string(),
                        loc: v.and_then(|v| v.loc).unwrap_or_else(|| res.header()),
                    }),
                    _ => unresolved(
                        &mut model,
                        res.header(),
                        format!("{address}: service is not known"),
                    ),
                }
            }
        }
    }
    model
}

fn unresolved(model: &mut Model, loc: Loc, what: String) {
    model.unresolved.push(Unresolved { loc, what });
}

/// The instances a resource stands for: one, or one per `count` index / `for_each` key.
fn instances(
    ev: &Evaluator<'_>,
    res: &Res<'_>,
    base: &str,
    model: &mut Model,
) -> Vec<(String, Env)> {
    if let Some(count) = res.attr("count") {
        return match ev.def(count, &Env::default()).v {
            V::Num(n) if n >= 0.0 => (0..(n as usize).min(MAX_INSTANCES))
                .map(|i| (format!("{base}[{i}]"), Env::count(i)))
                .collect(),
            _ => {
                unresolved(model, res.header(), format!("{base}: count is not known"));
                vec![(base.to_string(), Env::default())]
            }
        };
    }
    let Some(fe) = res.attr("for_each") else {
        return vec![(base.to_string(), Env::default())];
    };
    let coll = ev.def(fe, &Env::default());
    let pairs: Vec<(String, Val)> = match coll.v {
        V::Map(m) => m.into_iter().collect(),
        V::List(items) => items
            .into_iter()
            .filter_map(|v| v.as_str().map(|s| (s.to_string(), v.clone())))
            .collect(),
        _ => {
            unresolved(
                model,
                res.header(),
                format!("{base}: for_each is not known"),
            );
            return vec![(base.to_string(), Env::default())];
        }
    };
    pairs
        .into_iter()
        .take(MAX_INSTANCES)
        .map(|(k, v)| (format!("{base}[{k:?}]"), Env::each(Val::str(k, None), v)))
        .collect()
}

fn first_block<'b>(body: &'b Body, ident: &str) -> Option<&'b Block> {
    body.blocks().find(|b| b.ident.as_str() == ident)
}

fn name_of(ev: &Evaluator<'_>, res: &Res<'_>, env: &Env, label: &str) -> String {
    res.attr("name")
        .map(|d| ev.def(d, env))
        .and_then(|v| {
            v.as_str()
                .filter(|s| !marker::is_symbolic(s))
                .map(str::to_string)
        })
        .unwrap_or_else(|| label.to_string())
}

fn string_attr(ev: &Evaluator<'_>, res: &Res<'_>, key: &str, env: &Env) -> Option<String> {
    let v = res.attr(key).map(|d| ev.def(d, env))?;
    v.as_str()
        .filter(|s| !marker::is_symbolic(s))
        .map(str::to_string)
}

fn instance_workload(
    ev: &Evaluator<'_>,
    res: &Res<'_>,
    ty: &str,
    address: &str,
    label: &str,
    env: &Env,
) -> Workload {
    let mut w = Workload {
        kind: ty.to_string(),
        address: address.to_string(),
        name: name_of(ev, res, env, label),
        zone: string_attr(ev, res, "zone", env),
        project: ev.project_of(res, env),
        module: ev.idx.module.clone(),
        block: res.header(),
        account_block: None,
        account: Account::None,
        is_instance: matches!(
            ty,
            "google_compute_instance" | "google_compute_instance_from_template"
        ),
        startup: startup_scripts(ev, res, env),
    };
    match account_block(ev, &res.block.body, res.src, env) {
        AccountBlock::Absent
            if ty.ends_with("_from_template") || ty.ends_with("_from_machine_image") =>
        {
            // Inherits the template's account; a machine image's is not in the configuration.
            let template = res
                .attr("source_instance_template")
                .map(|d| ev.def(d, env))
                .and_then(|v| {
                    v.as_str()
                        .and_then(marker::resource_address)
                        .map(|(_, a)| a.to_string())
                });
            w.account = template
                .and_then(|t| inherited_account(ev, &t))
                .unwrap_or(Account::Unknown);
        }
        AccountBlock::Absent => w.account = Account::None,
        AccountBlock::Unknown(loc) => {
            w.account_block = loc;
            w.account = Account::Unknown;
        }
        AccountBlock::Found {
            body,
            src,
            env: benv,
            loc,
        } => {
            w.account_block = loc;
            w.account = attached(ev, body, src, &benv, "email", "scopes");
        }
    }
    w
}

/// The account of the instance template at `address` (`TYPE.NAME` or `TYPE.NAME[key]`).
fn inherited_account(ev: &Evaluator<'_>, address: &str) -> Option<Account> {
    let (ty, rest) = address.split_once('.')?;
    let (name, key) = match rest.split_once('[') {
        Some((n, k)) => (
            n,
            Some(k.trim_end_matches(']').trim_matches('"').to_string()),
        ),
        None => (rest, None),
    };
    let res = ev.idx.resources.get(&(ty, name)).copied()?;
    let env = match key {
        Some(k) => {
            let coll = res.attr("for_each").map(|d| ev.def(d, &Env::default()))?;
            let key = Val::str(k, None);
            let value = index(&coll, &key);
            Env::each(key, value)
        }
        None => Env::default(),
    };
    Some(match account_block(ev, &res.block.body, res.src, &env) {
        AccountBlock::Absent => Account::None,
        AccountBlock::Unknown(_) => Account::Unknown,
        AccountBlock::Found { body, src, env, .. } => {
            attached(ev, body, src, &env, "email", "scopes")
        }
    })
}

enum AccountBlock<'b> {
    Absent,
    Unknown(Option<Loc>),
    Found {
        body: &'b Body,
        src: Src,
        env: Env,
        loc: Option<Loc>,
    },
}

/// The `service_account` block, static or `dynamic`, with the bindings its content needs.
fn account_block<'b>(ev: &Evaluator<'_>, body: &'b Body, src: Src, env: &Env) -> AccountBlock<'b> {
    if let Some(b) = first_block(body, "service_account") {
        return AccountBlock::Found {
            body: &b.body,
            src,
            env: env.clone(),
            loc: src.loc(b.span()),
        };
    }
    let dynamic = body.blocks().find(|b| {
        b.ident.as_str() == "dynamic"
            && b.labels
                .first()
                .is_some_and(|l| l.as_str() == "service_account")
    });
    let Some(d) = dynamic else {
        return AccountBlock::Absent;
    };
    let loc = src.loc(d.span());
    let (Some(fe), Some(content)) = (
        d.body.get_attribute("for_each"),
        first_block(&d.body, "content"),
    ) else {
        return AccountBlock::Unknown(loc);
    };
    let iterator = d
        .body
        .get_attribute("iterator")
        .and_then(|a| match &a.value {
            hcl::edit::expr::Expression::Variable(v) => Some(v.as_str().to_string()),
            _ => None,
        })
        .unwrap_or_else(|| "service_account".to_string());
    let coll = ev.eval(&fe.value, src, env);
    let first = match coll.v {
        V::List(items) => items.into_iter().next().map(|v| (v.clone(), v)),
        V::Map(m) => m.into_iter().next().map(|(k, v)| (Val::str(k, None), v)),
        _ => return AccountBlock::Unknown(loc),
    };
    let Some((key, value)) = first else {
        return AccountBlock::Absent;
    };
    let mut it = std::collections::BTreeMap::new();
    it.insert("key".to_string(), key);
    it.insert("value".to_string(), value);
    AccountBlock::Found {
        body: &content.body,
        src,
        env: env.with(&iterator, Val::new(V::Map(it), None)),
        loc,
    }
}

/// Reads identity and scopes from a block's `email_key` and `scopes_key` attributes.
fn attached(
    ev: &Evaluator<'_>,
    body: &Body,
    src: Src,
    env: &Env,
    email_key: &str,
    scopes_key: &str,
) -> Account {
    let (identity, identity_at) = match body.get_attribute(email_key) {
        None => (Some(Identity::DefaultCompute), None),
        Some(a) => {
            let v = ev.eval(&a.value, src, env);
            let id = match &v.v {
                V::Null => Some(Identity::DefaultCompute),
                V::Str(s) if s.is_empty() || s == "default" => Some(Identity::DefaultCompute),
                V::Str(s) => marker::identity_of(s),
                _ => None,
            };
            (id, src.loc(a.value.span()))
        }
    };
    let Some(identity) = identity else {
        return Account::Unknown;
    };
    let scopes = match body.get_attribute(scopes_key) {
        None => Scopes::default(),
        Some(a) => scopes_of(ev.eval(&a.value, src, env), src.loc(a.value.span())),
    };
    Account::Attached {
        identity,
        identity_at,
        scopes,
    }
}

fn scopes_of(v: Val, at: Option<Loc>) -> Scopes {
    let mut scopes = Scopes {
        items: Vec::new(),
        complete: true,
        at,
        defined: v.loc.clone(),
        via: v.via.clone(),
        ..Scopes::default()
    };
    match v.v {
        V::List(items) => {
            for item in items {
                match &item.v {
                    V::Str(s) if !marker::is_symbolic(s) => scopes.items.push(ScopeItem {
                        raw: s.clone(),
                        loc: item.loc.clone(),
                    }),
                    V::Null => {}
                    _ => scopes.complete = false,
                }
            }
        }
        V::Null => {}
        _ => scopes.complete = false,
    }
    scopes
}

#[allow(clippy::too_many_arguments)]
fn gke_workload(
    ev: &Evaluator<'_>,
    res: &Res<'_>,
    nc: &Block,
    ty: &str,
    address: &str,
    label: &str,
    env: &Env,
) -> Workload {
    let mut account = attached(
        ev,
        &nc.body,
        res.src,
        env,
        "service_account",
        "oauth_scopes",
    );
    // An absent or empty oauth_scopes means GKE's own default, which is not modelled.
    if let Account::Attached { scopes, .. } = &mut account
        && scopes.items.is_empty()
    {
        scopes.complete = false;
    }
    Workload {
        kind: ty.to_string(),
        address: address.to_string(),
        name: name_of(ev, res, env, label),
        zone: string_attr(ev, res, "location", env),
        project: ev.project_of(res, env),
        module: ev.idx.module.clone(),
        block: res.header(),
        account_block: res.src.loc(nc.span()),
        account,
        is_instance: false,
        startup: Vec::new(),
    }
}

fn cluster_workloads(
    ev: &Evaluator<'_>,
    res: &Res<'_>,
    address: &str,
    label: &str,
    env: &Env,
    model: &mut Model,
) {
    let removed = res
        .attr("remove_default_node_pool")
        .map(|d| ev.def(d, env).v);
    if !matches!(removed, Some(V::Bool(true)) | Some(V::Unknown))
        && let Some(nc) = first_block(&res.block.body, "node_config")
    {
        model.workloads.push(gke_workload(
            ev,
            res,
            nc,
            "google_container_cluster",
            address,
            label,
            env,
        ));
    }
    for (i, pool) in res
        .block
        .body
        .blocks()
        .filter(|b| b.ident.as_str() == "node_pool")
        .enumerate()
    {
        if let Some(nc) = first_block(&pool.body, "node_config") {
            let mut w = gke_workload(
                ev,
                res,
                nc,
                "google_container_cluster",
                &format!("{address}.node_pool[{i}]"),
                label,
                env,
            );
            if let Some(n) = pool
                .body
                .get_attribute("name")
                .map(|a| ev.eval(&a.value, res.src, env))
                && let Some(s) = n.as_str()
            {
                w.name = s.to_string();
            }
            model.workloads.push(w);
        }
    }
}

fn is_grant_kind(ty: &str) -> bool {
    ty.starts_with("google_")
        && (ty.ends_with("_iam_member")
            || ty.ends_with("_iam_binding")
            || ty.ends_with("_iam_policy"))
}

fn grants(
    ev: &Evaluator<'_>,
    res: &Res<'_>,
    ty: &str,
    address: &str,
    env: &Env,
    model: &mut Model,
) {
    if ty.ends_with("_iam_policy") {
        let policy = res.attr("policy_data").map(|d| ev.def(d, env));
        let data = policy
            .as_ref()
            .and_then(Val::as_str)
            .and_then(marker::resource_address)
            .and_then(|(_, a)| a.strip_prefix("data.google_iam_policy."))
            .and_then(|label| ev.idx.data.get(&("google_iam_policy", label)).copied());
        let Some(data) = data else {
            unresolved(
                model,
                res.header(),
                format!("{address}: policy_data is not known"),
            );
            return;
        };
        for b in data
            .block
            .body
            .blocks()
            .filter(|b| b.ident.as_str() == "binding")
        {
            let role = b
                .body
                .get_attribute("role")
                .map(|a| ev.eval(&a.value, data.src, &Env::default()));
            let members = b
                .body
                .get_attribute("members")
                .map(|a| ev.eval(&a.value, data.src, &Env::default()));
            let loc = role
                .as_ref()
                .and_then(|r| r.loc.clone())
                .unwrap_or_else(|| data.header());
            push_grants(model, address, role, members, loc);
        }
        return;
    }
    let role = res.attr("role").map(|d| ev.def(d, env));
    let members = if ty.ends_with("_iam_binding") {
        res.attr("members").map(|d| ev.def(d, env))
    } else {
        res.attr("member").map(|d| {
            let m = ev.def(d, env);
            let loc = m.loc.clone();
            Val::new(V::List(vec![m]), loc)
        })
    };
    let loc = res
        .attr("role")
        .and_then(|d| d.src.loc(d.expr.span()))
        .unwrap_or_else(|| res.header());
    push_grants(model, address, role, members, loc);
}

fn push_grants(
    model: &mut Model,
    address: &str,
    role: Option<Val>,
    members: Option<Val>,
    loc: Loc,
) {
    let role = role
        .as_ref()
        .and_then(Val::as_str)
        .filter(|r| !marker::is_symbolic(r));
    let Some(role) = role else {
        unresolved(model, loc, format!("{address}: role is not known"));
        return;
    };
    let items = match members.map(|m| m.v) {
        Some(V::List(items)) => items,
        _ => {
            unresolved(model, loc, format!("{address}: members are not known"));
            return;
        }
    };
    for m in items {
        match m.as_str() {
            Some(s) => {
                if let Some(member) = Identity::from_member(s) {
                    model.grants.push(Grant {
                        role: role.to_string(),
                        member,
                        address: address.to_string(),
                        loc: loc.clone(),
                    });
                } else if s.starts_with("serviceAccount:") {
                    unresolved(
                        model,
                        loc.clone(),
                        format!("{address}: member is not known"),
                    );
                }
            }
            None => unresolved(
                model,
                loc.clone(),
                format!("{address}: a member is not known"),
            ),
        }
    }
}

/// Where a VM's startup scripts are written (rule SL006): `metadata_startup_script`
/// and the `startup-script` / `user-data` entries of a literal `metadata` map,
/// each a string, a heredoc, or `file()` / `templatefile()` of a path in the
/// module. They are read once every input file is loaded.
fn startup_scripts(ev: &Evaluator<'_>, res: &Res<'_>, env: &Env) -> Vec<Startup> {
    use hcl::edit::expr::{Expression, ObjectKey};
    let mut found: Vec<(&Expression, bool)> = Vec::new();
    if let Some(d) = res.attr("metadata_startup_script") {
        found.push((d.expr, false));
    }
    if let Some(Expression::Object(o)) = res.attr("metadata").map(|d| d.expr) {
        for (k, v) in o.iter() {
            let key = match k {
                ObjectKey::Ident(id) => id.as_str().to_string(),
                ObjectKey::Expression(Expression::String(s)) => s.value().to_string(),
                ObjectKey::Expression(_) => continue,
            };
            match key.as_str() {
                "startup-script" => found.push((v.expr(), false)),
                "user-data" => found.push((v.expr(), true)),
                _ => {}
            }
        }
    }
    let dir = std::path::PathBuf::from(&ev.idx.module);
    let mut out = Vec::new();
    for (expr, user_data) in found {
        let Some(at) = res.src.loc(expr.span()) else {
            continue;
        };
        let source = match expr {
            Expression::HeredocTemplate(h) => {
                res.src
                    .loc(h.template.span())
                    .map(|loc| ScriptSource::Inline {
                        loc,
                        template: Template::TerraformHeredoc,
                    })
            }
            Expression::String(_) | Expression::StringTemplate(_) => {
                let inner = at.span.start + 1..at.span.end.saturating_sub(1).max(at.span.start + 1);
                Some(ScriptSource::Inline {
                    loc: Loc::new(at.file, inner),
                    template: Template::TerraformQuoted,
                })
            }
            Expression::FuncCall(call)
                if matches!(call.name.name.as_str(), "file" | "templatefile") =>
            {
                let mut args = call.args.iter();
                args.next().and_then(|arg| {
                    let path = module_path(ev, arg, res.src, env)?;
                    let mut vars = Vec::new();
                    if let Some(V::Map(m)) = args.next().map(|a| ev.eval(a, res.src, env).v) {
                        for (k, v) in m {
                            if let Some(s) = v.as_str().filter(|s| !marker::is_symbolic(s)) {
                                vars.push((k, s.to_string()));
                            }
                        }
                    }
                    Some(ScriptSource::File {
                        paths: vec![dir.join(path)],
                        template: if call.name.name.as_str() == "templatefile" {
                            Template::TerraformHeredoc
                        } else {
                            Template::Raw
                        },
                        vars,
                    })
                })
            }
            _ => None,
        };
        if let Some(source) = source {
            out.push(Startup {
                at,
                source,
                user_data,
                calls: Vec::new(),
            });
        }
    }
    out
}

/// A path argument relative to the module: `"${path.module}/x.sh"` or a known string.
fn module_path(
    ev: &Evaluator<'_>,
    arg: &hcl::edit::expr::Expression,
    src: super::module::Src,
    env: &Env,
) -> Option<String> {
    use hcl::edit::expr::Expression;
    use hcl::edit::template::Element;
    if let Expression::StringTemplate(t) = arg {
        let mut out = String::new();
        for el in t.iter() {
            match el {
                Element::Literal(l) => out.push_str(l.value()),
                Element::Interpolation(i) => {
                    let text = i.expr.to_string();
                    if matches!(text.trim(), "path.module" | "path.root" | "path.cwd") {
                        out.push('.');
                    } else {
                        out.push_str(ev.eval(&i.expr, src, env).as_str()?);
                    }
                }
                Element::Directive(_) => return None,
            }
        }
        return Some(out);
    }
    ev.eval(arg, src, env)
        .as_str()
        .filter(|s| !marker::is_symbolic(s))
        .map(str::to_string)
}
