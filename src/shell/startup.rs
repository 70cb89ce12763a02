//! What a VM's own startup script calls (rule SL006): the script is read
//! (written in place, or a file of the tree), run through the shell front end,
//! and each command is matched against `rules/commands.json`. Literal
//! `https://SERVICE.googleapis.com/...` URLs fetched with curl or wget and an
//! `Authorization` header count too. cloud-init `user-data` counts where it is
//! a shell script or a `#cloud-config` with `runcmd`.

use super::argv::{self, Invocation};
use super::cache::ScriptCache;
use super::embed::{self, Embedded};
use super::interp::{self, Cmd};
use super::syntax;
use super::word::Word;
use crate::knowledge::{Access, CommandUse, Knowledge, RoleUse};
use crate::model::{ApiCall, Model, ScriptSource, Template, Unresolved};
use crate::read::normalize;
use crate::source::{FileId, Loc, SourceFile, Sources};
use crate::yaml;
use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Reads every workload's startup scripts and fills in the API calls they make.
/// Files that are not yet among `sources` (a `templatefile()` template, a
/// cloud-init file) are read and added. A script shared by several workloads
/// (the instances of a `count`, a template and its instances) is read once,
/// and distinct scripts are read in parallel.
pub fn resolve(
    model: &mut Model,
    sources: &mut Sources,
    kb: &Knowledge,
    read: ReadFile<'_>,
    cache: Option<&ScriptCache>,
) {
    let mut scripts: Vec<(ScriptSource, bool)> = Vec::new();
    let mut seen = HashSet::new();
    for s in model.workloads.iter().flat_map(|w| &w.startup) {
        let key = (s.source.clone(), s.user_data);
        if seen.insert(key.clone()) {
            scripts.push(key);
        }
    }
    // Where each script's text is: Terraform expressions are looked at in
    // place (each reads only its own file's text).
    let located: Vec<Option<ScriptSource>> = scripts
        .par_iter()
        .map(|(source, _)| match source {
            ScriptSource::Expression { loc } => terraform_source(sources, loc),
            other => Some(other.clone()),
        })
        .collect();
    // Script files that are not inputs are read now, one at a time (they join `sources`).
    let mut known = Known::default();
    let mut not_read: HashMap<(ScriptSource, bool), String> = HashMap::new();
    let files: Vec<Option<FileId>> = scripts
        .iter()
        .zip(&located)
        .map(|(key, l)| match l {
            Some(ScriptSource::File { paths, .. }) => {
                let found = known.first_readable(sources, paths, read);
                found.map_err(|why| not_read.insert(key.clone(), why)).ok()
            }
            _ => None,
        })
        .collect();
    let sources = &*sources;
    let read: HashMap<(ScriptSource, bool), Read> = scripts
        .into_par_iter()
        .zip(located)
        .zip(files)
        .map(|((key, located), file)| {
            let calls = located
                .as_ref()
                .and_then(|l| script_text(l, file, sources))
                .map(|(e, file)| match cache {
                    Some(cache) => cache.get(file, key.1, &e).unwrap_or_else(|| {
                        let found = calls_in(&e, file, kb, key.1);
                        cache.put(file, key.1, &e, &found);
                        found
                    }),
                    None => calls_in(&e, file, kb, key.1),
                });
            (key, Read { located, calls })
        })
        .collect();
    for s in model.workloads.iter().flat_map(|w| &w.startup) {
        if let Some(why) = not_read.get(&(s.source.clone(), s.user_data)) {
            model.unresolved.push(Unresolved {
                loc: s.at.clone(),
                what: format!("startup script {why}"),
            });
        }
    }
    for s in model.workloads.iter_mut().flat_map(|w| &mut w.startup) {
        let Some(r) = read.get(&(s.source.clone(), s.user_data)) else {
            continue;
        };
        if let Some(located) = &r.located {
            s.source = located.clone();
        }
        if let Some(calls) = &r.calls {
            s.calls = calls.clone();
        }
    }
}

/// What reading one script gave: where its text is (`None`: an expression
/// that is not a script), and its calls (`None`: the text is not at hand).
struct Read {
    located: Option<ScriptSource>,
    calls: Option<Vec<ApiCall>>,
}

/// A script's text, mapped to the file it is in.
fn script_text(
    source: &ScriptSource,
    file: Option<FileId>,
    sources: &Sources,
) -> Option<(Embedded, FileId)> {
    match source {
        ScriptSource::Read | ScriptSource::Expression { .. } => None,
        ScriptSource::Inline { loc, template } => {
            let f = sources.get(loc.file)?;
            let text = f.text.get(loc.span.clone()).unwrap_or("");
            Some((
                read_template(text, loc.span.start, *template, &[]),
                loc.file,
            ))
        }
        ScriptSource::File { template, vars, .. } => {
            let id = file?;
            let f = sources.get(id)?;
            Some((read_template(&f.text, 0, *template, vars), id))
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
    if let Some(body) = heredoc_body(text) {
        return Some(ScriptSource::Inline {
            loc: Loc::new(
                loc.file,
                loc.span.start + body.start..loc.span.start + body.end,
            ),
            template: Template::TerraformHeredoc,
        });
    }
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

/// The template of a heredoc expression (`<<EOT` or `<<-EOT`, its lines, and
/// the delimiter on a line of its own), found without parsing the expression
/// again: a script is most of its file's bytes, and the file is already parsed.
/// The range runs from the line after the header to the start of the closing
/// delimiter's line, as hcl-edit gives it.
fn heredoc_body(text: &str) -> Option<std::ops::Range<usize>> {
    let header = text.strip_prefix("<<")?;
    let header = header.strip_prefix('-').unwrap_or(header);
    let end_of_header = header.find('\n')?;
    let delimiter = header.get(..end_of_header)?.trim_end_matches('\r');
    if delimiter.is_empty()
        || !delimiter
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return None;
    }
    let start = text.len() - header.len() + end_of_header + 1;
    let body = text.get(start..)?;
    // The closing line: the last line, holding only the delimiter.
    let last_line = body.rfind('\n').map_or(0, |i| i + 1);
    if body.get(last_line..)?.trim() != delimiter {
        return None;
    }
    Some(start..start + last_line)
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

/// How a script file's bytes are read: the reader of the input files.
pub type ReadFile<'r> = &'r (dyn Fn(&Path) -> Result<Vec<u8>, String> + Sync);

/// The source files by path, so that a script file already read is found
/// without a system call per input file.
#[derive(Default)]
pub(super) struct Known {
    by_path: Option<HashMap<PathBuf, FileId>>,
}

impl Known {
    /// The first of `paths` (candidates, most likely first) that is a source
    /// file or can be read; else why the first that exists was not read.
    pub(super) fn first_readable(
        &mut self,
        sources: &mut Sources,
        paths: &[PathBuf],
        read: ReadFile<'_>,
    ) -> Result<FileId, String> {
        let mut why = None;
        for p in paths {
            match self.file_id(sources, p, read) {
                Ok(id) => return Ok(id),
                Err(e) => {
                    let exists = std::fs::symlink_metadata(p).is_ok();
                    if why.is_none() && exists {
                        why = Some(format!("{}: {e}", crate::discover::display_path(p)));
                    }
                }
            }
        }
        Err(why.unwrap_or_else(|| "not found".to_string()))
    }

    /// The source file at `path`: one already read, or read now like an input
    /// through the guarded reader (a regular file within the size limit, a
    /// symbolic link not followed).
    fn file_id(
        &mut self,
        sources: &mut Sources,
        path: &Path,
        read: ReadFile<'_>,
    ) -> Result<FileId, String> {
        let by_path = self.by_path.get_or_insert_with(|| {
            sources
                .iter()
                .map(|(id, f)| (normalize(&f.path), id))
                .collect()
        });
        let path = normalize(path);
        if let Some(id) = by_path.get(&path) {
            return Ok(*id);
        }
        let text = String::from_utf8(read(&path)?).map_err(|_| "not valid UTF-8".to_string())?;
        let display = crate::discover::display_path(&path);
        let id = sources.push(SourceFile::new(display, path.clone(), text));
        by_path.insert(path, id);
        Ok(id)
    }
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
        let words = &c.words;
        (words.len() <= key.len() && words.iter().zip(&key).all(|(a, b)| a == b))
            .then_some(words.len())
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
            read: None,
            write: None,
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

    /// The heredoc shortcut gives the template range hcl-edit gives.
    #[test]
    fn heredoc_body_matches_the_parser() {
        use hcl::edit::Span;
        use hcl::edit::expr::Expression;
        let cases = [
            "<<EOT\necho hi\nEOT",
            "<<-EOT\n    #!/bin/bash\n    gcloud secrets versions access latest --secret=x\n  EOT",
            "<<EOF\r\necho a\r\necho b\r\nEOF",
            "<<EOT\nEOT",
            "<<EOT\n\n\nEOT",
            "<<-SCRIPT_1\n  a ${var.x} %{ if true }b%{ endif }\n  SCRIPT_1",
        ];
        for text in cases {
            let Ok(Expression::HeredocTemplate(h)) = hcl::edit::parser::parse_expr(text) else {
                panic!("not a heredoc: {text:?}");
            };
            assert_eq!(heredoc_body(text), h.template.span(), "{text:?}");
        }
        for not_a_heredoc in ["\"<<EOT\"", "<<EOT", "<<EOT\nx\nEOF", "<<\nx\n"] {
            assert_eq!(heredoc_body(not_a_heredoc), None);
        }
    }

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
