use std::path::PathBuf;
use std::process::ExitCode;

use xtask::Result;
use xtask::derive;
use xtask::generate::{self, GenInput};
use xtask::vendor;

const USAGE: &str = "\
usage: cargo run -p xtask -- gen-rules [options]
       cargo run --release -p xtask -- gen-corpus --files <n> --out <dir> [--seed <n>] [--per-module <n>]
                                                 [--default-sa-percent <n>]
       cargo run --release -p xtask -- bench [--help for its options]

gen-rules:

  --kb-dir <dir>           reference data directory (role-services.yaml,
                           scope-aliases.yaml): first derive the curated inputs
                           in xtask/inputs/ from it
  --inputs <dir>           inputs (default: xtask/inputs)
  --discovery-dir <dir>    use these discovery documents instead of the vendored
                           extraction
  --discovery-label <text> how to name them (default: \"local discovery documents\")
  --overrides <file>       default: rules/overrides.yaml
  --out <dir>              default: rules/

       cargo run -p xtask -- vendor-discovery --documents <dir> --wheel-sha256 <hex>
                                             [--version <v>]

vendor-discovery: rewrites xtask/inputs/discovery/documents.json.gz from the
  googleapiclient/discovery_cache/documents/ directory of the
  google-api-python-client wheel (version default: the pinned one)
";

struct Args {
    kb_dir: Option<PathBuf>,
    inputs: PathBuf,
    discovery_dir: Option<PathBuf>,
    discovery_label: Option<String>,
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
    let label = a
        .discovery_label
        .clone()
        .unwrap_or_else(|| "local discovery documents".to_string());
    let overrides = a
        .overrides
        .clone()
        .unwrap_or_else(|| a.out.join("overrides.yaml"));
    let g = generate::generate(&GenInput {
        kb_dir: &a.inputs,
        discovery_dir: a.discovery_dir.as_deref().map(|d| (d, label.as_str())),
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

fn vendor_discovery(mut it: impl Iterator<Item = String>) -> Result<()> {
    let mut documents = None;
    let mut origin = vendor::DiscoveryOrigin {
        package: xtask::DISCOVERY_PACKAGE.to_string(),
        version: xtask::DISCOVERY_VERSION.to_string(),
        wheel_sha256: String::new(),
    };
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--documents" => documents = Some(PathBuf::from(value()?)),
            "--version" => origin.version = value()?,
            "--wheel-sha256" => origin.wheel_sha256 = value()?,
            other => return Err(format!("unknown argument {other}\n\n{USAGE}").into()),
        }
    }
    let documents = documents.ok_or_else(|| format!("--documents is required\n\n{USAGE}"))?;
    let sha = &origin.wheel_sha256;
    if sha.len() != 64 || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!("--wheel-sha256 needs the wheel's 64-digit SHA-256\n\n{USAGE}").into());
    }
    let text = vendor::extract_discovery(&documents, &origin)?;
    let out = vendor::input_path(&derive::inputs_dir(), vendor::DISCOVERY);
    let out = if out.extension().is_some_and(|x| x == "gz") {
        out
    } else {
        out.with_extension("json.gz")
    };
    vendor::write_gz(&out, &text)?;
    eprintln!("wrote {}", out.display());
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
        Some("vendor-discovery") => vendor_discovery(args),
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
