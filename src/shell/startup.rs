//! What a VM's own startup script calls (rule SL006): the script is read
//! (written in place, or a file of the tree), run through the shell front end,
//! and each command is matched against `rules/commands.json`. Literal
//! `https://SERVICE.googleapis.com/...` URLs fetched with curl or wget and an
//! `Authorization` header count too. cloud-init `user-data` counts where it is
//! a shell script or a `#cloud-config` with `runcmd`.

use super::argv::{self, Invocation};
use super::embed::{self, Embedded};
use super::interp::{self, Cmd};
use super::word::Word;
use super::{syntax, yaml};
use crate::knowledge::{Access, CommandUse, Knowledge, RoleUse};
use crate::model::{ApiCall, Model, ScriptSource, Template};
use crate::source::{FileId, Loc, SourceFile, Sources};
use std::collections::BTreeSet;
use std::path::Path;

/// Reads every workload's startup scripts and fills in the API calls they make.
/// Files that are not yet among `sources` (a `templatefile()` template, a
/// cloud-init file) are read and added.
pub fn resolve(model: &mut Model, sources: &mut Sources, kb: &Knowledge) {
    for w in &mut model.workloads {
        for s in &mut w.startup {
            if let ScriptSource::Expression { loc } = &s.source {
                match terraform_source(sources, loc) {
                    Some(source) => s.source = source,
                    None => continue,
                }
            }
            let (e, file) = match &s.source {
                ScriptSource::Read | ScriptSource::Expression { .. } => continue,
                ScriptSource::Inline { loc, template } => {
                    let Some(f) = sources.get(loc.file) else {
                        continue;
                    };
                    let text = f.text.get(loc.span.clone()).unwrap_or("");
                    (
                        read_template(text, loc.span.start, *template, &[]),
                        loc.file,
                    )
                }
                ScriptSource::File {
                    paths,
                    template,
                    vars,
                } => {
                    let Some(id) = paths.iter().find_map(|p| file_id(sources, p)) else {
                        continue;
                    };
                    let Some(f) = sources.get(id) else { continue };
                    (read_template(&f.text, 0, *template, vars), id)
                }
            };
            s.calls = calls_in(&e, file, kb, s.user_data);
        }
    }
}

/// What a Terraform startup-script expression holds: text written in place,
/// or a file of the module read with `file()` / `templatefile()`.
fn terraform_source(sources: &Sources, loc: &Loc) -> Option<ScriptSource> {
    use hcl::edit::Span;
    use hcl::edit::expr::{Expression, ObjectKey};
    let file = sources.get(loc.file)?;
    let text = file.text.get(loc.span.clone())?;
    let expr = hcl::edit::parser::parse_expr(text).ok()?;
    let shift = |r: std::ops::Range<usize>| {
        Loc::new(loc.file, loc.span.start + r.start..loc.span.start + r.end)
    };
    match &expr {
        Expression::HeredocTemplate(h) => Some(ScriptSource::Inline {
            loc: shift(h.template.span()?),
            template: Template::TerraformHeredoc,
        }),
        Expression::String(_) | Expression::StringTemplate(_) => {
            let span = expr.span()?;
            let inner = span.start + 1..span.end.saturating_sub(1).max(span.start + 1);
            Some(ScriptSource::Inline {
                loc: shift(inner),
                template: Template::TerraformQuoted,
            })
        }
        Expression::FuncCall(call)
            if matches!(call.name.name.as_str(), "file" | "templatefile") =>
        {
            let mut args = call.args.iter();
            let path = module_path(args.next()?)?;
            let mut vars = Vec::new();
            if let Some(Expression::Object(o)) = args.next() {
                for (k, v) in o.iter() {
                    let key = match k {
                        ObjectKey::Ident(id) => id.as_str().to_string(),
                        ObjectKey::Expression(Expression::String(s)) => s.value().clone(),
                        ObjectKey::Expression(_) => continue,
                    };
                    if let Expression::String(s) = v.expr() {
                        vars.push((key, s.value().clone()));
                    }
                }
            }
            let dir = file
                .path
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            Some(ScriptSource::File {
                paths: vec![dir.join(path)],
                template: if call.name.name.as_str() == "templatefile" {
                    Template::TerraformHeredoc
                } else {
                    Template::Raw
                },
                vars,
            })
        }
        _ => None,
    }
}

/// A path argument relative to the module: `"${path.module}/x.sh"` or a literal.
fn module_path(arg: &hcl::edit::expr::Expression) -> Option<String> {
    use hcl::edit::expr::Expression;
    use hcl::edit::template::Element;
    match arg {
        Expression::String(s) => Some(s.value().clone()),
        Expression::StringTemplate(t) => {
            let mut out = String::new();
            for el in t.iter() {
                match el {
                    Element::Literal(l) => out.push_str(l.value()),
                    Element::Interpolation(i) => {
                        let text = i.expr.to_string();
                        if !matches!(text.trim(), "path.module" | "path.root" | "path.cwd") {
                            return None;
                        }
                        out.push('.');
                    }
                    Element::Directive(_) => return None,
                }
            }
            Some(out)
        }
        _ => None,
    }
}

fn read_template(
    text: &str,
    base: usize,
    template: Template,
    vars: &[(String, String)],
) -> Embedded {
    match template {
        Template::Raw => {
            let mut e = Embedded::default();
            e.push_mapped(text, base);
            e
        }
        Template::TerraformHeredoc => embed::terraform_template(text, base, false, vars),
        Template::TerraformQuoted => embed::terraform_template(text, base, true, vars),
    }
}

/// The source file at `path`: one already read, or read now.
fn file_id(sources: &mut Sources, path: &Path) -> Option<FileId> {
    let path: std::path::PathBuf = path
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect();
    let path = path.as_path();
    let canonical = std::fs::canonicalize(path).ok()?;
    for (id, f) in sources.iter() {
        if std::fs::canonicalize(&f.path).ok().as_ref() == Some(&canonical) {
            return Some(id);
        }
    }
    let text = std::fs::read_to_string(path).ok()?;
    let display = crate::discover::display_path(path);
    Some(sources.push(SourceFile::new(display, path.to_path_buf(), text)))
}

/// The API calls in a script (or cloud-init user-data) mapped by `e` into `file`.
pub fn calls_in(e: &Embedded, file: FileId, kb: &Knowledge, user_data: bool) -> Vec<ApiCall> {
    let head = e.text.trim_start();
    if user_data && head.starts_with("#cloud-config") {
        return cloud_init(e, file, kb);
    }
    if user_data && !head.starts_with("#!") {
        // MIME multipart and other formats are not read
        return Vec::new();
    }
    script_calls(e, file, kb)
}

fn script_calls(e: &Embedded, file: FileId, kb: &Knowledge) -> Vec<ApiCall> {
    let Some(tree) = syntax::parse(&e.text) else {
        return Vec::new();
    };
    let trace = interp::run(tree.root_node(), &e.text, &[]);
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for cmd in &trace.cmds {
        for (command, uses) in command_uses(cmd, kb) {
            let loc = Loc::new(file, e.span(&cmd.span));
            if seen.insert((command.clone(), uses.api.clone(), uses.access, loc.clone())) {
                out.push(ApiCall { command, uses, loc });
            }
        }
    }
    out
}

/// `runcmd` of a `#cloud-config` document: strings run with `sh -c`, lists as argv.
fn cloud_init(e: &Embedded, file: FileId, kb: &Knowledge) -> Vec<ApiCall> {
    let Ok(root) = yaml::parse(&e.text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in root.get("runcmd").map(yaml::Node::items).unwrap_or(&[]) {
        match &item.value {
            yaml::Value::Scalar(s) => {
                let inner = yaml::map_scalar(&e.text, item.at, s).embed;
                out.extend(script_calls(&through(&inner, e), file, kb));
            }
            yaml::Value::Seq(words) => {
                let argv: Vec<Word> = words
                    .iter()
                    .filter_map(|n| {
                        let text = n.as_str()?;
                        let m = yaml::map_scalar(&e.text, n.at, text);
                        Some(Word::literal(text, n.at..m.end, false))
                    })
                    .collect();
                let span = item.at..argv.last().map_or(item.at, |w| w.span.end);
                let cmd = Cmd {
                    argv,
                    span: span.clone(),
                    node: item.at,
                };
                for (command, uses) in command_uses(&cmd, kb) {
                    out.push(ApiCall {
                        command,
                        uses,
                        loc: Loc::new(file, e.span(&span)),
                    });
                }
            }
            _ => {}
        }
    }
    out
}

/// `inner` (offsets into `outer.text`) mapped on through `outer` to the file.
pub fn through(inner: &Embedded, outer: &Embedded) -> Embedded {
    inner.through(outer)
}

/// The API uses of one command, by the knowledge base's command table.
pub fn command_uses(cmd: &Cmd, kb: &Knowledge) -> Vec<(String, RoleUse)> {
    let Some(inv) = argv::read(&cmd.argv) else {
        return Vec::new();
    };
    if matches!(inv.program.as_str(), "curl" | "wget") {
        return url_use(cmd, &inv, kb).into_iter().collect();
    }
    let mut key: Vec<String> = vec![inv.program.clone()];
    key.extend(inv.path.iter().cloned());
    let args: Vec<&Word> = inv.args.iter().map(|&i| &cmd.argv[i]).collect();
    let args: Vec<&Word> = if inv.path.is_empty() {
        // docker and others: the first argument is the subcommand
        if let Some(first) = args.first().and_then(|w| w.text()) {
            key.push(first);
        }
        args.into_iter().skip(1).collect()
    } else {
        args
    };
    let matches = |c: &CommandUse| -> Option<usize> {
        let toks: Vec<&str> = c.command.split_whitespace().collect();
        (toks.len() <= key.len() && toks.iter().zip(&key).all(|(a, b)| a == b))
            .then_some(toks.len())
    };
    let best = kb.commands.iter().filter_map(matches).max();
    let Some(best) = best else {
        return Vec::new();
    };
    kb.commands
        .iter()
        .filter(|c| matches(c) == Some(best))
        .filter(|c| condition(&c.when, &args))
        .map(|c| (c.command.clone(), c.uses.clone()))
        .collect()
}

/// Whether an entry's `when` holds for the command's arguments; an unknown
/// argument never satisfies a condition.
fn condition(when: &str, args: &[&Word]) -> bool {
    let gs = |w: &Word| w.known_prefix().starts_with("gs://");
    match when {
        "always" => true,
        "to-gs" => args.last().is_some_and(|w| gs(w)),
        "from-gs" => {
            let n = args.len();
            args.iter().take(n.saturating_sub(1)).any(|w| gs(w))
        }
        "google-registry" => args.first().is_some_and(|w| {
            let p = w.known_prefix();
            let Some((host, _)) = p.split_once('/') else {
                return false;
            };
            host == "gcr.io"
                || host.ends_with(".gcr.io")
                || host.ends_with("-docker.pkg.dev")
                || host.ends_with(".pkg.dev")
        }),
        _ => false,
    }
}

/// `curl`/`wget` of a literal `https://SERVICE.googleapis.com/...` URL with an
/// `Authorization` header (the VM's token); without one the call is anonymous.
fn url_use(cmd: &Cmd, inv: &Invocation, kb: &Knowledge) -> Option<(String, RoleUse)> {
    let words: Vec<&Word> = cmd.argv.iter().skip(inv.start + 1).collect();
    let authorized = words.iter().any(|w| {
        w.known_prefix()
            .to_ascii_lowercase()
            .contains("authorization:")
    });
    if !authorized {
        return None;
    }
    let write = words.iter().any(|w| {
        let p = w.known_prefix();
        let flag = p.split('=').next().unwrap_or("");
        matches!(
            flag,
            "-d" | "--data"
                | "--data-raw"
                | "--data-binary"
                | "--data-urlencode"
                | "-F"
                | "--form"
                | "-T"
                | "--upload-file"
                | "--post-data"
                | "--post-file"
        ) || p.starts_with("-d")
    }) || words.windows(2).any(|p| {
        matches!(p[0].text().as_deref(), Some("-X" | "--request"))
            && !matches!(p[1].text().as_deref(), Some("GET" | "HEAD"))
    }) || words.iter().any(|w| {
        w.text()
            .is_some_and(|t| t.starts_with("--method=") && !t.ends_with("GET"))
    });
    let url = words
        .iter()
        .map(|w| w.known_prefix())
        .find(|p| p.starts_with("https://"))?;
    let rest = url.strip_prefix("https://")?;
    // the host must be known up to its end
    let host_end = rest.find(['/', '?', ':'])?;
    let host = rest.get(..host_end)?;
    let service = service_of(host, rest, kb)?;
    let api = kb.apis.get(&service)?;
    let class = if write { &api.write } else { &api.read };
    let mut needs: BTreeSet<String> = class.all.iter().cloned().collect();
    needs.extend(class.some.keys().cloned());
    if needs.is_empty() {
        return None;
    }
    Some((
        format!("curl https://{host}"),
        RoleUse {
            api: service,
            access: if write { Access::Write } else { Access::Read },
            needs_any_of: needs.into_iter().collect(),
        },
    ))
}

/// The API a googleapis.com host (and path, for `www.googleapis.com`) serves.
fn service_of(host: &str, rest: &str, kb: &Knowledge) -> Option<String> {
    if !host.ends_with(".googleapis.com") {
        return None;
    }
    if host == "www.googleapis.com" {
        let first = rest.split('/').nth(1)?;
        let s = format!("{first}.googleapis.com");
        return kb.apis.contains_key(&s).then_some(s);
    }
    if kb.apis.contains_key(host) {
        return Some(host.to_string());
    }
    // regional endpoints: us-central1-aiplatform.googleapis.com
    let (_, tail) = host.split_once('-')?;
    let tail = tail.split_once('-').map_or(tail, |(_, t)| t);
    kb.apis.contains_key(tail).then(|| tail.to_string())
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;

    fn calls(script: &str) -> Vec<(String, String, Access)> {
        let kb = Knowledge::get().expect("knowledge");
        let e = Embedded::whole(script);
        calls_in(&e, FileId(0), kb, false)
            .into_iter()
            .map(|c| (c.command, c.uses.api, c.uses.access))
            .collect()
    }

    #[test]
    fn maps_commands_to_api_uses() {
        let got = calls(
            "#!/bin/bash\nDB_PASS=$(gcloud secrets versions access latest --secret=db)\ngsutil cp gs://b/app.tar /opt/\ngsutil cp /var/log/x gs://b/logs/\ndocker pull us-docker.pkg.dev/p/r/app:1\ndocker pull nginx\ngcloud config set project p\n",
        );
        assert_eq!(
            got,
            vec![
                (
                    "gcloud secrets versions access".into(),
                    "secretmanager.googleapis.com".into(),
                    Access::Read
                ),
                (
                    "gsutil cp".into(),
                    "storage.googleapis.com".into(),
                    Access::Read
                ),
                (
                    "gsutil cp".into(),
                    "storage.googleapis.com".into(),
                    Access::Write
                ),
                ("docker pull".into(), "docker.pkg.dev".into(), Access::Read),
            ]
        );
    }

    #[test]
    fn urls_count_only_with_the_vm_token() {
        let got = calls(
            "curl -s https://secretmanager.googleapis.com/v1/projects/p/secrets/s/versions/latest:access\nTOKEN=$(curl -s -H 'Metadata-Flavor: Google' http://metadata/token)\ncurl -H \"Authorization: Bearer $TOKEN\" https://secretmanager.googleapis.com/v1/projects/p/secrets/s/versions/latest:access\n",
        );
        assert_eq!(
            got,
            vec![(
                "curl https://secretmanager.googleapis.com".into(),
                "secretmanager.googleapis.com".into(),
                Access::Read
            )]
        );
    }

    #[test]
    fn cloud_init_runcmd() {
        let kb = Knowledge::get().expect("knowledge");
        let text = "#cloud-config\nruncmd:\n  - gsutil cp gs://b/x /opt/x\n  - [gcloud, secrets, versions, access, latest, --secret=s]\n";
        let e = Embedded::whole(text);
        let got: Vec<String> = calls_in(&e, FileId(0), kb, true)
            .into_iter()
            .map(|c| c.command)
            .collect();
        assert_eq!(got, ["gsutil cp", "gcloud secrets versions access"]);
    }
}
