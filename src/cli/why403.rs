//! `scopelint why-403`: explain a refused Google API call from its error body.

use super::{AnswerFormat, print_answer};
use scopelint::audit::json::{last_segment, segment_after};
use scopelint::audit::why::{Cause, Diagnosis, ErrorBody, diagnose};
use scopelint::knowledge::Knowledge;
use scopelint::quote::quote;
use scopelint::render::visible::visible;
use serde::Serialize;
use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct WhyArgs {
    /// The error body, from a file (`-`: standard input).
    #[arg(long, value_name = "FILE", conflicts_with = "error")]
    error_file: Option<PathBuf>,
    /// The error body as text.
    #[arg(long, value_name = "TEXT")]
    error: Option<String>,
    /// The VM's scopes: aliases or URLs, separated by commas, semicolons or
    /// spaces, as `gcloud compute instances describe` prints them.
    #[arg(long, value_name = "LIST", conflicts_with = "instance")]
    scopes: Option<String>,
    /// The VM, looked up in the export given with --instances.
    #[arg(long, value_name = "NAME", requires = "instances")]
    instance: Option<String>,
    /// `gcloud compute instances list --format=json` output holding --instance.
    #[arg(long, value_name = "FILE", requires = "instance")]
    instances: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = AnswerFormat::Pretty)]
    format: AnswerFormat,
}

/// The VM the error came from, as far as it is known.
#[derive(Serialize, Default)]
struct Vm {
    name: Option<String>,
    zone: Option<String>,
    project: Option<String>,
}

#[derive(Serialize)]
struct Answer {
    #[serde(flatten)]
    diagnosis: Diagnosis,
    vm: Vm,
    /// The commands that add the scope to the VM, when there is one to add.
    commands: Vec<String>,
}

pub fn run(args: &WhyArgs) -> ExitCode {
    let kb = match Knowledge::get() {
        Ok(kb) => kb,
        Err(e) => {
            eprintln!("scopelint: internal error: the embedded knowledge base is invalid: {e}");
            return ExitCode::from(2);
        }
    };
    let text = match (&args.error, &args.error_file) {
        (Some(t), _) => t.clone(),
        (None, Some(path)) if path.as_os_str() == "-" => {
            let mut t = String::new();
            if std::io::stdin().read_to_string(&mut t).is_err() {
                eprintln!("scopelint: cannot read the error body from standard input");
                return ExitCode::from(2);
            }
            t
        }
        (None, Some(path)) => {
            match scopelint::read::file(
                path,
                scopelint::DEFAULT_MAX_FILE_SIZE,
                scopelint::read::Links::Follow,
            )
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("scopelint: {}: {}", visible(&path.display().to_string()), e);
                    return ExitCode::from(2);
                }
            }
        }
        (None, None) => {
            eprintln!(
                "scopelint: give the error body with --error TEXT or --error-file FILE (- for standard input)"
            );
            return ExitCode::from(2);
        }
    };
    let mut vm = Vm::default();
    let scopes = match (&args.scopes, &args.instance, &args.instances) {
        (Some(list), _, _) => match short_names(kb, list) {
            Ok(s) => Some(s),
            Err(unknown) => {
                eprintln!(
                    "scopelint: unknown scope `{}` in --scopes",
                    visible(&unknown)
                );
                return ExitCode::from(2);
            }
        },
        (None, Some(name), Some(path)) => match instance(path, name) {
            Ok((found, urls)) => {
                vm = found;
                Some(urls.iter().map(|u| short(u)).collect())
            }
            Err(e) => {
                eprintln!("scopelint: {}", visible(&e));
                return ExitCode::from(2);
            }
        },
        _ => None,
    };
    let diagnosis = diagnose(kb, ErrorBody::parse(&text), scopes);
    let commands = commands(kb, &diagnosis, &vm);
    let answer = Answer {
        diagnosis,
        vm,
        commands,
    };
    print_answer(args.format, &answer, || pretty(&answer))
}

/// A scope URL's short name (`https://www.googleapis.com/auth/x` → `x`).
fn short(url: &str) -> String {
    url.strip_prefix(scopelint::knowledge::SCOPE_PREFIX)
        .unwrap_or(url)
        .to_string()
}

/// Reads a scope list in any form `gcloud` prints or takes; `Err` names an unknown element.
fn short_names(kb: &Knowledge, list: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for raw in list
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .map(|s| s.trim_matches(|c: char| matches!(c, '[' | ']' | '\'' | '"')))
        .filter(|s| !s.is_empty())
    {
        match kb.gcloud_scope(raw) {
            Some(list) => out.extend(list),
            None => return Err(raw.to_string()),
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Finds instance `name` in an instances export: where it is and its scope URLs.
fn instance(path: &std::path::Path, name: &str) -> Result<(Vm, Vec<String>), String> {
    let bytes = scopelint::read::file(
        path,
        scopelint::DEFAULT_MAX_FILE_SIZE,
        scopelint::read::Links::Follow,
    )
    .map_err(|e| format!("{}: {e}", path.display()))?;
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{}: cannot parse: {e}", path.display()))?;
    let record = value
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r.get("name").and_then(|n| n.as_str()) == Some(name))
        .ok_or_else(|| format!("{}: no instance named {name}", path.display()))?;
    let text = |key: &str| record.get(key).and_then(|v| v.as_str()).unwrap_or("");
    let scopes = record
        .get("serviceAccounts")
        .and_then(|a| a.get(0))
        .and_then(|a| a.get("scopes"))
        .and_then(|s| s.as_array())
        .map(|s| {
            s.iter()
                .filter_map(|u| u.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let vm = Vm {
        name: Some(name.to_string()),
        zone: last_segment(text("zone")).map(str::to_string),
        project: segment_after(text("selfLink"), "projects").map(str::to_string),
    };
    Ok((vm, scopes))
}

/// stop / set-service-account / start for the VM, with NAME and ZONE when not known.
fn commands(kb: &Knowledge, d: &Diagnosis, vm: &Vm) -> Vec<String> {
    let Some(add) = &d.add else {
        return Vec::new();
    };
    let mut scopes: Vec<String> = d.scopes.clone().unwrap_or_default();
    scopes.push(add.clone());
    scopes.sort();
    scopes.dedup();
    let list: Vec<String> = scopes
        .iter()
        .map(|s| {
            kb.gcloud_alias(s)
                .map_or_else(|| Knowledge::url(s), str::to_string)
        })
        .collect();
    let name = vm.name.as_deref().map_or("NAME".into(), quote);
    let mut at = format!("--zone={}", vm.zone.as_deref().map_or("ZONE".into(), quote));
    if let Some(p) = &vm.project {
        at.push_str(&format!(" --project={}", quote(p)));
    }
    let mut out = vec![
        format!("gcloud compute instances stop {name} {at}"),
        format!(
            "gcloud compute instances set-service-account {name} {at} --scopes={}",
            quote(&list.join(","))
        ),
        format!("gcloud compute instances start {name} {at}"),
    ];
    if d.scopes.is_none() {
        out.insert(
            0,
            "# --scopes replaces the list: keep the VM's current scopes in it (give them with --scopes or --instance)".to_string(),
        );
    }
    out
}

fn pretty(a: &Answer) -> String {
    let d = &a.diagnosis;
    let mut out = String::new();
    let cause = match d.cause {
        Cause::Scopes => "the VM's OAuth scopes",
        Cause::Iam => "IAM permissions, not scopes",
        Cause::ServiceDisabled => "a disabled API, not scopes",
        Cause::Unknown => "not told by the error body",
    };
    out.push_str(&format!("cause: {cause}\n"));
    if let Some(s) = &d.error.service {
        out.push_str(&format!("service: {}\n", visible(s)));
    }
    if let Some(m) = &d.error.method {
        out.push_str(&format!("method: {}\n", visible(m)));
    }
    if let Some(m) = &d.method_scopes {
        out.push_str(&format!(
            "accepted by this method: {}\n",
            m.scopes.join(", ")
        ));
    }
    if !d.accepted_by_every_method.is_empty() {
        out.push_str(&format!(
            "accepted by every method of the API: {}\n",
            d.accepted_by_every_method.join(", ")
        ));
    }
    if !d.accepted_by_some_methods.is_empty() {
        out.push_str(&format!(
            "accepted by some of its methods only: {}\n",
            d.accepted_by_some_methods.join(", ")
        ));
    }
    if let Some(s) = &d.scopes {
        out.push_str(&format!("the VM's scopes: {}\n", s.join(", ")));
    }
    for e in &d.explanation {
        out.push_str(&format!("{}\n", visible(e)));
    }
    if !a.commands.is_empty() {
        out.push_str("scopes change only while the VM is stopped:\n");
        for c in &a.commands {
            out.push_str(&format!("  {c}\n"));
        }
    }
    out
}
