use std::path::PathBuf;
use std::process::ExitCode;

use xtask::Result;
use xtask::derive;
use xtask::generate::{self, GenInput};

const USAGE: &str = "\
usage: cargo run -p xtask -- gen-rules [options]
       cargo run --release -p xtask -- gen-corpus --files <n> --out <dir> [--seed <n>] [--per-module <n>]
                                                 [--default-sa-percent <n>]
       cargo run --release -p xtask -- bench [--help for its options]

gen-rules:

  --kb-dir <dir>           reference data directory (role-services.yaml,
                           role-permissions-summary.json, scope-aliases.yaml):
                           first derive xtask/inputs/ from it (stage 1)
  --inputs <dir>           derived inputs (default: xtask/inputs)
  --discovery-dir <dir>    use these discovery documents instead of the pinned wheel
  --discovery-label <text> how to name the documents in the output
                           (default: the pinned package, or \"local discovery documents\")
  --cache <dir>            wheel cache (default: target/kb-cache)
  --overrides <file>       default: rules/overrides.yaml
  --out <dir>              default: rules/
";

struct Args {
    kb_dir: Option<PathBuf>,
    inputs: PathBuf,
    discovery_dir: Option<PathBuf>,
    discovery_label: Option<String>,
    cache: PathBuf,
    overrides: Option<PathBuf>,
    out: PathBuf,
}

fn parse(mut it: impl Iterator<Item = String>) -> Result<Args> {
    let root = generate::workspace_root();
    let mut a = Args {
        kb_dir: None,
        inputs: derive::inputs_dir(),
        discovery_dir: None,
        discovery_label: None,
        cache: root.join("target").join("kb-cache"),
        overrides: None,
        out: root.join("rules"),
    };
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--kb-dir" => a.kb_dir = Some(PathBuf::from(value()?)),
            "--inputs" => a.inputs = PathBuf::from(value()?),
            "--discovery-dir" => a.discovery_dir = Some(PathBuf::from(value()?)),
            "--discovery-label" => a.discovery_label = Some(value()?),
            "--cache" => a.cache = PathBuf::from(value()?),
            "--overrides" => a.overrides = Some(PathBuf::from(value()?)),
            "--out" => a.out = PathBuf::from(value()?),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n\n{USAGE}").into()),
        }
    }
    Ok(a)
}

fn gen_rules(args: impl Iterator<Item = String>) -> Result<()> {
    let a = parse(args)?;
    if let Some(kb) = &a.kb_dir {
        for p in derive::write(&derive::derive(kb)?, &a.inputs)? {
            eprintln!("wrote {}", p.display());
        }
    }
    let (docs_dir, label) = match &a.discovery_dir {
        Some(d) => (
            d.clone(),
            a.discovery_label
                .clone()
                .unwrap_or_else(|| "local discovery documents".to_string()),
        ),
        None => (
            generate::fetch_discovery(&a.cache)?,
            a.discovery_label
                .clone()
                .unwrap_or_else(generate::pinned_label),
        ),
    };
    let overrides = a
        .overrides
        .clone()
        .unwrap_or_else(|| a.out.join("overrides.yaml"));
    let g = generate::generate(&GenInput {
        kb_dir: &a.inputs,
        discovery_dir: &docs_dir,
        discovery_label: &label,
        overrides: &overrides,
    })?;
    for d in &g.diagnostics {
        eprintln!("note: {d}");
    }
    for p in generate::write_files(&g, &a.out)? {
        eprintln!("wrote {}", p.display());
    }
    eprintln!("{}", g.summary);
    Ok(())
}

fn gen_corpus(mut it: impl Iterator<Item = String>) -> Result<()> {
    let mut spec = xtask::corpus::Spec {
        files: 0,
        per_module: 12,
        seed: 1,
        default_sa_percent: 25,
    };
    let mut out = None;
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--files" => spec.files = value()?.parse()?,
            "--seed" => spec.seed = value()?.parse()?,
            "--per-module" => spec.per_module = value()?.parse()?,
            "--default-sa-percent" => spec.default_sa_percent = value()?.parse()?,
            "--out" => out = Some(PathBuf::from(value()?)),
            other => return Err(format!("unknown argument {other}\n\n{USAGE}").into()),
        }
    }
    let out = out.ok_or_else(|| format!("--out is required\n\n{USAGE}"))?;
    if spec.files == 0 {
        return Err(format!("--files is required\n\n{USAGE}").into());
    }
    let w = xtask::corpus::generate(&spec, &out)?;
    eprintln!(
        "wrote {} files ({:.1} MB, {} resources) in {} modules under {}",
        w.files,
        w.bytes as f64 / 1e6,
        w.resources,
        w.modules,
        out.display()
    );
    Ok(())
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let result = match args.next().as_deref() {
        Some("gen-rules") => gen_rules(args),
        Some("gen-corpus") => gen_corpus(args),
        Some("bench") => xtask::bench::parse(&generate::workspace_root(), args)
            .and_then(|a| xtask::bench::run(&generate::workspace_root(), &a)),
        _ => Err(USAGE.into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
