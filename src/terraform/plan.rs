//! Terraform JSON plans: the output of `terraform show -json PLANFILE`,
//! recognised by its content (`format_version` and `terraform_version` first).
//!
//! The plan gives every value Terraform knows before apply, fully resolved:
//! `planned_values` (every resource instance of every module instance), with
//! `resource_changes[].change.after_unknown` marking what is only known after
//! apply, and data sources read during planning from `prior_state`. What is
//! still unknown, such as the email of a service account the same plan
//! creates, is followed through the `configuration` section's references
//! (`google_service_account.x.email`, `module.m.email`, `var.v`) to the
//! resource it names, so that a VM and a grant naming the same new account
//! are one identity.
//!
//! When the plan's configuration is one of the scanned root modules (same
//! resources and module calls), the plan stands in for that root's source
//! analysis and findings are located in source: every value the source also
//! resolves to the same thing keeps its source location (and its patch); other
//! values are shown at the attribute that sets them. Otherwise findings are
//! located in the plan file, at the resource's entry in `planned_values`, and no
//! patch is offered.

use super::eval::{Modules, V, Val, normalize};
use super::json::parse_value;
use super::object::{Field, Mode, Obj, ResourceInst, Resources};
use super::syntax::ParseError;
use crate::knowledge::Knowledge;
use crate::model::Unresolved;
use crate::model::marker;
use crate::source::{FileId, Loc, SourceFile};
use jsonc_parser::ast::{ObjectProp, Value};
use jsonc_parser::common::Ranged;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// A plan file, kept as text until the configuration it describes is known.
pub struct PlanInput {
    pub file: FileId,
    pub display: String,
    pub path: PathBuf,
    pub text: String,
    pub offset: usize,
}

impl PlanInput {
    pub fn new(file: FileId, src: &SourceFile) -> Result<PlanInput, ParseError> {
        parse_value(src.body())?;
        Ok(PlanInput {
            file,
            display: src.display.clone(),
            path: src.path.clone(),
            text: src.body().to_string(),
            offset: src.bom,
        })
    }
}

/// What a plan stands for.
pub struct PlanResult {
    /// The scanned root module the plan was made from, when its sources were scanned.
    pub root: Option<PathBuf>,
    pub resources: Resources,
}

fn get<'v, 'a>(v: &'v Value<'a>, key: &str) -> Option<&'v Value<'a>> {
    match v {
        Value::Object(o) => o
            .properties
            .iter()
            .find(|p| p.name.as_str() == key)
            .map(|p| &p.value),
        _ => None,
    }
}

fn props<'v, 'a>(v: &'v Value<'a>) -> &'v [ObjectProp<'a>] {
    match v {
        Value::Object(o) => &o.properties,
        _ => &[],
    }
}

fn items<'v, 'a>(v: Option<&'v Value<'a>>) -> &'v [Value<'a>] {
    match v {
        Some(Value::Array(a)) => &a.elements,
        _ => &[],
    }
}

fn string<'v>(v: Option<&'v Value<'_>>) -> Option<&'v str> {
    match v {
        Some(Value::StringLit(s)) => Some(&s.value),
        _ => None,
    }
}

/// `a.b["x.y"].c` → `["a", "b[\"x.y\"]", "c"]`: dots inside brackets do not split.
fn split_address(a: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let (mut depth, mut quoted, mut escaped) = (0usize, false, false);
    for c in a.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '[' if !quoted => depth += 1,
            ']' if !quoted => depth = depth.saturating_sub(1),
            '.' if !quoted && depth == 0 => {
                parts.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    parts.push(cur);
    parts
}

/// `name[key]` → `("name", "[key]")`.
fn split_key(s: &str) -> (&str, &str) {
    match s.find('[') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    }
}

/// A resource address: the module instance path and the resource within it.
struct Address {
    /// `(call name, instance key)` from the root.
    modules: Vec<(String, String)>,
    /// `TYPE.NAME` or `data.TYPE.NAME`, without instance key.
    local: String,
}

impl Address {
    fn parse(a: &str) -> Option<Address> {
        let parts = split_address(a);
        let mut i = 0;
        let mut modules = Vec::new();
        while parts.get(i).map(String::as_str) == Some("module") {
            let (name, key) = split_key(parts.get(i + 1)?);
            modules.push((name.to_string(), key.to_string()));
            i += 2;
        }
        let rest = parts.get(i..)?;
        let local = match rest {
            [d, ty, name] if d == "data" => format!("data.{ty}.{}", split_key(name).0),
            [ty, name] => format!("{ty}.{}", split_key(name).0),
            _ => return None,
        };
        Some(Address { modules, local })
    }
}

/// The instance path of module call names with keys: `module.a["k"].module.b`.
fn module_path(modules: &[(String, String)]) -> String {
    modules
        .iter()
        .map(|(n, k)| format!("module.{n}{k}"))
        .collect::<Vec<_>>()
        .join(".")
}

fn join(path: &str, local: &str) -> String {
    if path.is_empty() {
        local.to_string()
    } else {
        format!("{path}.{local}")
    }
}

/// One resource instance as the plan shows it.
struct Planned<'v, 'a> {
    address: String,
    mode: Mode,
    kind: String,
    name: String,
    entry: &'v Value<'a>,
    values: Option<&'v Value<'a>>,
}

struct Ctx<'v, 'a> {
    file: FileId,
    offset: usize,
    namespace: String,
    configuration: Option<&'v Value<'a>>,
    after_unknown: HashMap<String, &'v Value<'a>>,
    /// Known service account emails by address.
    emails: HashMap<String, String>,
}

impl<'v, 'a> Ctx<'v, 'a> {
    fn loc(&self, v: &impl Ranged) -> Loc {
        let r = v.range();
        Loc::new(self.file, r.start + self.offset..r.end + self.offset)
    }

    /// A planned value, with `unknown` (the matching part of `after_unknown`) marking
    /// what is known only after apply. Plan values carry no location of their own:
    /// they are not where the configuration is written, and must never be patched.
    fn value(&self, v: &Value<'_>, unknown: Option<&Value<'_>>) -> Val {
        if matches!(unknown, Some(Value::BooleanLit(b)) if b.value) {
            return Val::unknown();
        }
        let v = match v {
            Value::StringLit(s) => V::Str(s.value.to_string()),
            Value::NumberLit(n) => n.value.parse::<f64>().map_or(V::Unknown, V::Num),
            Value::BooleanLit(b) => V::Bool(b.value),
            Value::NullKeyword(_) => V::Null,
            Value::Array(a) => {
                let u = items(unknown);
                if !u.is_empty() && u.len() != a.elements.len() {
                    // Elements were dropped or nulled: which ones is not known.
                    if u.iter()
                        .any(|x| matches!(x, Value::BooleanLit(b) if b.value))
                    {
                        return Val::unknown();
                    }
                }
                V::List(
                    a.elements
                        .iter()
                        .enumerate()
                        .map(|(i, e)| self.value(e, u.get(i)))
                        .collect(),
                )
            }
            Value::Object(o) => {
                let mut m: BTreeMap<String, Val> = o
                    .properties
                    .iter()
                    .map(|p| {
                        let u = unknown.and_then(|u| get(u, p.name.as_str()));
                        (p.name.as_str().to_string(), self.value(&p.value, u))
                    })
                    .collect();
                for p in unknown.map(props).unwrap_or_default() {
                    if matches!(&p.value, Value::BooleanLit(b) if b.value) {
                        m.insert(p.name.as_str().to_string(), Val::unknown());
                    }
                }
                V::Map(m)
            }
        };
        Val::new(v, None)
    }

    /// A resource's (or nested block's) attributes: arrays of objects are blocks.
    fn obj(&self, v: &Value<'_>, unknown: Option<&Value<'_>>) -> Obj {
        let mut obj = Obj {
            span: Some(self.loc(v)),
            absent_is_unknown: true,
            ..Obj::default()
        };
        for p in props(v) {
            let key = p.name.as_str();
            let u = unknown.and_then(|u| get(u, key));
            let blocks = match &p.value {
                Value::Array(a) if !a.elements.is_empty() => {
                    a.elements.iter().all(|e| matches!(e, Value::Object(_)))
                }
                _ => false,
            };
            if blocks && !matches!(u, Some(Value::BooleanLit(b)) if b.value) {
                let us = items(u);
                for (i, e) in items(Some(&p.value)).iter().enumerate() {
                    obj.blocks.push((key.to_string(), self.obj(e, us.get(i))));
                }
            } else {
                obj.attrs.insert(
                    key.to_string(),
                    Field {
                        val: self.value(&p.value, u),
                        at: Some(self.loc(&p.value)),
                    },
                );
            }
        }
        for p in unknown.map(props).unwrap_or_default() {
            if matches!(&p.value, Value::BooleanLit(b) if b.value)
                && !obj.attrs.contains_key(p.name.as_str())
            {
                obj.attrs.insert(
                    p.name.as_str().to_string(),
                    Field {
                        val: Val::unknown(),
                        at: obj.span.clone(),
                    },
                );
            }
        }
        obj
    }

    /// The configuration of the module at `calls` (call names from the root).
    fn cfg_module(&self, calls: &[(String, String)]) -> Option<&'v Value<'a>> {
        let mut m = get(self.configuration?, "root_module")?;
        for (name, _) in calls {
            m = get(get(get(m, "module_calls")?, name)?, "module")?;
        }
        Some(m)
    }

    fn cfg_call(&self, calls: &[(String, String)], name: &str) -> Option<&'v Value<'a>> {
        get(get(self.cfg_module(calls)?, "module_calls")?, name)
    }

    fn cfg_resource(&self, calls: &[(String, String)], local: &str) -> Option<&'v Value<'a>> {
        items(get(self.cfg_module(calls)?, "resources"))
            .iter()
            .find(|r| string(get(r, "address")) == Some(local))
    }

    /// The configuration expression at `path` (attribute names and block indexes) of a resource.
    fn cfg_expression(
        &self,
        calls: &[(String, String)],
        local: &str,
        path: &[PathStep<'_>],
    ) -> Option<&'v Value<'a>> {
        let mut e = get(self.cfg_resource(calls, local)?, "expressions")?;
        for step in path {
            e = match step {
                PathStep::Attr(a) => get(e, a)?,
                PathStep::Block(b, i) => items(get(e, b)).get(*i)?,
            };
        }
        Some(e)
    }

    /// What a configuration expression's references say a value is: the email (or
    /// member) of one service account, or a reference to one resource.
    fn follow(
        &self,
        calls: &[(String, String)],
        expr: &Value<'_>,
        want: Want,
        depth: usize,
    ) -> Option<String> {
        if depth > 16 {
            return None;
        }
        if let Some(c) = get(expr, "constant_value") {
            return string(Some(c)).map(str::to_string);
        }
        let refs: Vec<&str> = items(get(expr, "references"))
            .iter()
            .filter_map(|r| string(Some(r)))
            .collect();
        // Each reference comes with its shorter forms (`x.y.email`, `x.y`): keep the longest.
        let longest: Vec<&str> = refs
            .iter()
            .copied()
            .filter(|r| {
                !refs.iter().any(|o| {
                    o.len() > r.len() && o.starts_with(r) && o[r.len()..].starts_with(['.', '['])
                })
            })
            .collect();
        let mut found: Option<String> = None;
        for r in longest {
            let v = self.follow_ref(calls, &split_address(r), want, depth)?;
            match &found {
                Some(f) if *f != v => return None,
                _ => found = Some(v),
            }
        }
        found
    }

    fn follow_ref(
        &self,
        calls: &[(String, String)],
        parts: &[String],
        want: Want,
        depth: usize,
    ) -> Option<String> {
        let path = module_path(calls);
        let email = |address: &str, attr: Option<&str>| -> Option<String> {
            let email = match self.emails.get(address) {
                Some(e) => e.clone(),
                None => {
                    let (name, key) = split_key(address.rsplit('.').next().unwrap_or(""));
                    let local = format!("google_service_account.{name}");
                    let cfg = self.cfg_resource(calls, &local);
                    let expanded = cfg.is_some_and(|c| {
                        get(c, "count_expression").is_some()
                            || get(c, "for_each_expression").is_some()
                    });
                    if expanded && key.is_empty() {
                        return None;
                    }
                    marker::service_account(&self.namespace, address)
                }
            };
            match (attr, want) {
                (Some("email"), Want::Email) => Some(email),
                (Some("member"), Want::Email) => Some(format!("serviceAccount:{email}")),
                (Some("email"), Want::Member) => Some(format!("serviceAccount:{email}")),
                (Some("member"), Want::Member) => Some(format!("serviceAccount:{email}")),
                _ => None,
            }
        };
        let part = |i: usize| parts.get(i).map(String::as_str);
        match (part(0)?, want) {
            ("google_service_account", Want::Email | Want::Member) => {
                let address = join(&path, &format!("google_service_account.{}", part(1)?));
                email(&address, part(2))
            }
            ("data", Want::Email | Want::Member)
                if part(1) == Some("google_compute_default_service_account") =>
            {
                let sa = marker::default_sa(None);
                match (part(3)?, want) {
                    ("email", Want::Email) => Some(sa),
                    ("email" | "member", _) => Some(format!("serviceAccount:{sa}")),
                    _ => None,
                }
            }
            ("data", Want::Resource(_)) => {
                let address = join(&path, &format!("data.{}.{}", part(1)?, part(2)?));
                Some(marker::resource(&self.namespace, &address))
            }
            ("module", _) => {
                let (name, key) = split_key(part(1)?);
                let call = self.cfg_call(calls, name)?;
                let expanded = get(call, "count_expression").is_some()
                    || get(call, "for_each_expression").is_some();
                if expanded && key.is_empty() {
                    return None;
                }
                let output = get(
                    get(get(get(call, "module")?, "outputs")?, part(2)?)?,
                    "expression",
                )?;
                let mut inner = calls.to_vec();
                inner.push((name.to_string(), key.to_string()));
                // `module.m.out.email`: the output is an object (a whole resource).
                let rest: Vec<String> = parts.get(3..).unwrap_or_default().to_vec();
                if rest.is_empty() {
                    return self.follow(&inner, output, want, depth + 1);
                }
                let refs: Vec<&str> = items(get(output, "references"))
                    .iter()
                    .filter_map(|r| string(Some(r)))
                    .collect();
                let target = refs.iter().max_by_key(|r| r.len())?;
                let mut full = split_address(target);
                full.extend(rest);
                self.follow_ref(&inner, &full, want, depth + 1)
            }
            ("var", _) => {
                let (last, parent) = calls.split_last()?;
                let call = self.cfg_call(parent, &last.0)?;
                let arg = get(get(call, "expressions")?, part(1)?)?;
                if parts.len() > 2 {
                    return None;
                }
                self.follow(parent, arg, want, depth + 1)
            }
            (ty, Want::Resource(kinds)) if kinds.contains(&ty) => {
                let attr = part(2);
                matches!(attr, Some("self_link" | "id" | "name" | "self_link_unique")).then(|| {
                    marker::resource(
                        &self.namespace,
                        &join(&path, &format!("{ty}.{}", part(1).unwrap_or(""))),
                    )
                })
            }
            _ => None,
        }
    }
}

#[derive(Clone, Copy)]
enum Want {
    Email,
    Member,
    /// A reference to a resource of one of these types (or a data source).
    Resource(&'static [&'static str]),
}

enum PathStep<'s> {
    Attr(&'s str),
    Block(&'s str, usize),
}

const TEMPLATES: &[&str] = &[
    "google_compute_instance_template",
    "google_compute_region_instance_template",
];
const CLUSTERS: &[&str] = &["google_container_cluster"];

/// Fills values the plan leaves unknown from the configuration's references.
fn resolve_unknowns(cx: &Ctx<'_, '_>, p: &Planned<'_, '_>, obj: &mut Obj) {
    let Some(addr) = Address::parse(&p.address) else {
        return;
    };
    let calls = &addr.modules;
    let fill = |field: &mut Field, path: &[PathStep<'_>], want: Want| {
        if !field.val.is_unknown() {
            return;
        }
        if let Some(e) = cx.cfg_expression(calls, &addr.local, path)
            && let Some(s) = cx.follow(calls, e, want, 0)
        {
            field.val = Val::str(s, None);
        }
    };
    let kind = p.kind.as_str();
    if let Some(sa) = obj.blocks.iter_mut().find(|(i, _)| i == "service_account")
        && let Some(f) = sa.1.attrs.get_mut("email")
    {
        fill(
            f,
            &[
                PathStep::Block("service_account", 0),
                PathStep::Attr("email"),
            ],
            Want::Email,
        );
    }
    if let Some(nc) = obj.blocks.iter_mut().find(|(i, _)| i == "node_config")
        && let Some(f) = nc.1.attrs.get_mut("service_account")
    {
        fill(
            f,
            &[
                PathStep::Block("node_config", 0),
                PathStep::Attr("service_account"),
            ],
            Want::Email,
        );
    }
    for (i, pool) in obj
        .blocks
        .iter_mut()
        .filter(|(b, _)| b == "node_pool")
        .enumerate()
    {
        if let Some(nc) = pool.1.blocks.iter_mut().find(|(b, _)| b == "node_config")
            && let Some(f) = nc.1.attrs.get_mut("service_account")
        {
            fill(
                f,
                &[
                    PathStep::Block("node_pool", i),
                    PathStep::Block("node_config", 0),
                    PathStep::Attr("service_account"),
                ],
                Want::Email,
            );
        }
    }
    let attrs: &[(&str, Want)] = match kind {
        k if k.ends_with("_iam_member") => &[("member", Want::Member)],
        k if k.ends_with("_iam_policy") => &[("policy_data", Want::Resource(&[]))],
        "google_compute_instance_from_template" => {
            &[("source_instance_template", Want::Resource(TEMPLATES))]
        }
        "google_container_node_pool" => &[("cluster", Want::Resource(CLUSTERS))],
        _ => &[],
    };
    for (key, want) in attrs {
        let f = obj
            .attrs
            .entry((*key).to_string())
            .or_insert_with(|| Field {
                val: Val::unknown(),
                at: None,
            });
        fill(f, &[PathStep::Attr(key)], *want);
    }
}

/// Every resource instance of a module in `planned_values` (or `prior_state`), recursively.
fn planned<'v, 'a>(module: &'v Value<'a>, out: &mut Vec<Planned<'v, 'a>>) {
    for r in items(get(module, "resources")) {
        let (Some(address), Some(kind), Some(name)) = (
            string(get(r, "address")),
            string(get(r, "type")),
            string(get(r, "name")),
        ) else {
            continue;
        };
        let mode = match string(get(r, "mode")) {
            Some("data") => Mode::Data,
            _ => Mode::Managed,
        };
        out.push(Planned {
            address: address.to_string(),
            mode,
            kind: kind.to_string(),
            name: name.to_string(),
            entry: r,
            values: get(r, "values"),
        });
    }
    for m in items(get(module, "child_modules")) {
        planned(m, out);
    }
}

/// The resource and module-call names of a configuration module.
fn cfg_names(module: &Value<'_>) -> (BTreeSet<String>, BTreeSet<String>) {
    let resources = items(get(module, "resources"))
        .iter()
        .filter_map(|r| string(get(r, "address")).map(str::to_string))
        .collect();
    let calls = props(get(module, "module_calls").unwrap_or(module))
        .iter()
        .filter(|_| get(module, "module_calls").is_some())
        .map(|p| p.name.as_str().to_string())
        .collect();
    (resources, calls)
}

/// The scanned root module whose resources and module calls are the plan's.
fn matching_root(
    configuration: Option<&Value<'_>>,
    plan_dir: &Path,
    configs: &[(Option<PathBuf>, Resources)],
    modules: &Modules<'_>,
) -> Option<PathBuf> {
    let root = get(configuration?, "root_module")?;
    let (resources, calls) = cfg_names(root);
    let candidates: Vec<&PathBuf> = configs
        .iter()
        .filter_map(|(d, _)| d.as_ref())
        .filter(|d| {
            modules.get(*d).is_some_and(|idx| {
                let r: BTreeSet<String> = idx
                    .resources
                    .keys()
                    .map(|(t, n)| format!("{t}.{n}"))
                    .chain(idx.data.keys().map(|(t, n)| format!("data.{t}.{n}")))
                    .collect();
                let c: BTreeSet<String> = idx.calls.keys().map(|c| c.to_string()).collect();
                r == resources && c == calls
            })
        })
        .collect();
    let plan_dir = normalize(plan_dir);
    candidates
        .iter()
        .find(|d| ***d == plan_dir)
        .or_else(|| (candidates.len() == 1).then(|| &candidates[0]))
        .map(|d| (*d).clone())
}

/// Whether a source value and a plan value are the same value (scope aliases
/// and their URLs are the same scope; lists compare as sets, as the plan
/// stores scopes in sets).
fn same(plan: &Val, src: &Val, kb: Option<&Knowledge>) -> bool {
    match (&plan.v, &src.v) {
        (V::Str(a), V::Str(b)) => {
            a == b
                || kb.is_some_and(|kb| {
                    let (x, y) = (kb.terraform_scope(a), kb.terraform_scope(b));
                    x.is_some() && x == y
                })
        }
        (V::List(a), V::List(b)) => {
            if a.len() != b.len() {
                return false;
            }
            let mut used = vec![false; b.len()];
            a.iter().all(|x| {
                let hit = b
                    .iter()
                    .enumerate()
                    .find(|(i, y)| !used[*i] && same(x, y, kb));
                match hit {
                    Some((i, _)) => {
                        used[i] = true;
                        true
                    }
                    None => false,
                }
            })
        }
        (V::Map(a), V::Map(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, x)| b.get(k).is_some_and(|y| same(x, y, kb)))
        }
        (V::Null, V::Null) => true,
        (V::Bool(a), V::Bool(b)) => a == b,
        (V::Num(a), V::Num(b)) => a == b,
        _ => false,
    }
}

/// The plan's values, at the source's locations where the source says the same.
fn merge(plan: Obj, src: &Obj, kb: Option<&Knowledge>) -> Obj {
    let mut out = Obj {
        span: src.span.clone().or(plan.span.clone()),
        absent_is_unknown: true,
        ..Obj::default()
    };
    for (k, pf) in plan.attrs {
        let f = match src.attrs.get(&k) {
            Some(sf) if same(&pf.val, &sf.val, kb) => sf.clone(),
            Some(sf) => Field {
                val: pf.val,
                at: sf.at.clone(),
            },
            None => pf,
        };
        out.attrs.insert(k, f);
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (ident, b) in plan.blocks {
        let n = seen.entry(ident.clone()).or_default();
        let merged = match src.blocks(&ident).nth(*n) {
            Some(s) => merge(b, s, kb),
            None => b,
        };
        *n += 1;
        out.blocks.push((ident, merged));
    }
    out
}

/// The address with every instance key removed.
fn keyless(address: &str) -> String {
    split_address(address)
        .iter()
        .map(|p| split_key(p).0.to_string())
        .collect::<Vec<_>>()
        .join(".")
}

/// The resource instances a plan describes.
pub fn resources(
    p: &PlanInput,
    configs: &[(Option<PathBuf>, Resources)],
    modules: &Modules<'_>,
) -> PlanResult {
    let plan_dir = p.path.parent().unwrap_or(Path::new("")).to_path_buf();
    let mut fallback = Resources::new(super::module::module_name(&plan_dir));
    let root = match parse_value(&p.text) {
        Ok(v) => v,
        Err(_) => {
            return PlanResult {
                root: None,
                resources: fallback,
            };
        }
    };
    let Some(planned_values) = get(&root, "planned_values") else {
        fallback.notes.push(Unresolved {
            loc: Loc::new(p.file, p.offset..p.offset),
            what: format!(
                "{}: a Terraform JSON document without planned_values (not a plan), ignored",
                p.display
            ),
        });
        return PlanResult {
            root: None,
            resources: fallback,
        };
    };
    let configuration = get(&root, "configuration");
    let matched = matching_root(configuration, &plan_dir, configs, modules);
    let source = matched
        .as_ref()
        .and_then(|d| configs.iter().find(|(c, _)| c.as_ref() == Some(d)))
        .map(|(_, r)| r);
    let namespace = source.map_or_else(|| fallback.namespace.clone(), |s| s.namespace.clone());

    let mut list = Vec::new();
    if let Some(m) = get(planned_values, "root_module") {
        planned(m, &mut list);
    }
    let mut known: BTreeSet<String> = list.iter().map(|p| p.address.clone()).collect();
    if let Some(m) = get(&root, "prior_state")
        .and_then(|s| get(s, "values"))
        .and_then(|v| get(v, "root_module"))
    {
        let mut prior = Vec::new();
        planned(m, &mut prior);
        for r in prior.into_iter().filter(|r| r.mode == Mode::Data) {
            if known.insert(r.address.clone()) {
                list.push(r);
            }
        }
    }
    let mut after_unknown = HashMap::new();
    for rc in items(get(&root, "resource_changes")) {
        if let (Some(a), Some(u)) = (
            string(get(rc, "address")),
            get(rc, "change").and_then(|c| get(c, "after_unknown")),
        ) {
            after_unknown.insert(a.to_string(), u);
        }
    }
    let emails = list
        .iter()
        .filter(|r| r.kind == "google_service_account" && r.mode == Mode::Managed)
        .filter_map(|r| {
            Some((
                r.address.clone(),
                string(get(r.values?, "email"))?.to_string(),
            ))
        })
        .collect();
    let cx = Ctx {
        file: p.file,
        offset: p.offset,
        namespace: namespace.clone(),
        configuration,
        after_unknown,
        emails,
    };
    let kb = Knowledge::get().ok();
    let mut out = Resources::new(namespace);
    for r in &list {
        if !super::extract::relevant(r.mode, &r.kind) {
            continue;
        }
        let unknown = cx.after_unknown.get(&r.address).copied();
        let mut body = match r.values {
            Some(v) => cx.obj(v, unknown),
            None => Obj {
                absent_is_unknown: true,
                span: Some(cx.loc(r.entry)),
                ..Obj::default()
            },
        };
        resolve_unknowns(&cx, r, &mut body);
        let header = get(r.entry, "address").map_or_else(|| cx.loc(r.entry), |a| cx.loc(a));
        let mut inst = ResourceInst {
            mode: r.mode,
            kind: r.kind.clone(),
            label: r.name.clone(),
            address: r.address.clone(),
            module: fallback.namespace.clone(),
            header,
            project: body.string("project"),
            body,
        };
        if let Some(src) = source {
            let counterpart = src.get(&r.address).or_else(|| {
                // A source resource whose count/for_each was not known has one unexpanded instance.
                let k = keyless(&r.address);
                let mut hits = src.list.iter().filter(|s| keyless(&s.address) == k);
                let first = hits.next()?;
                (hits.next().is_none() && first.address == k).then_some(first)
            });
            if let Some(s) = counterpart {
                inst.header = s.header.clone();
                inst.module = s.module.clone();
                inst.body = merge(inst.body, &s.body, kb);
            }
        }
        out.push(inst);
    }
    PlanResult {
        root: matched,
        resources: out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_split_outside_brackets() {
        assert_eq!(
            split_address(r#"module.a["x.y"].google_x.b[0]"#),
            vec!["module", r#"a["x.y"]"#, "google_x", "b[0]"]
        );
        let a = Address::parse(r#"module.a["k"].module.b.data.google_iam_policy.p"#);
        let a = a.map(|a| (module_path(&a.modules), a.local));
        assert_eq!(
            a,
            Some((
                r#"module.a["k"].module.b"#.to_string(),
                "data.google_iam_policy.p".to_string()
            ))
        );
        assert_eq!(keyless(r#"module.a["k"].x.y[2]"#), "module.a.x.y");
    }
}
