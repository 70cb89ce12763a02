//! `cargo run --release -p xtask -- bench`: scopelint on generated corpora of
//! growing size, against a raw-read floor (`cat` of the same files) measured in
//! the same run, optionally beside checkov; then the pre-commit case (one
//! module of 50 files, wall time including process start).
//!
//! Wall times are the minimum over repeated runs (the machine may be shared;
//! the load average is printed with every row), peak RSS comes from
//! `/usr/bin/time` (Debian package `time`) when it is installed.

use crate::Result;
use crate::corpus::{self, GENERATOR_VERSION, Spec};
use crate::shapes;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const USAGE: &str = "\
usage: cargo run --release -p xtask -- bench [options]

  --sizes <n,n,...>        corpus sizes in files (default 100,1000,5000,20000)
  --repeat <n>             runs per measurement, the minimum is kept (default 3)
  --seed <n>               corpus seed (default 1)
  --bin <path>             the scopelint binary (default: build target/release/scopelint)
  --work <dir>             corpora and tools (default target/bench)
  --with-checkov           also run checkov (from PyPI, cached under --work) on each size
  --checkov-max-files <n>  skip checkov above this size (default 5000; it takes minutes)
  --precommit-runs <n>     runs of the 50-file module case (default 30; 0 skips it)
  --default-sa-percent <n> modules on the default compute account in the main
                           table (default 0: every workload has its own account)
  --default-sa-sizes <n,..> sizes of a second table with 25% of the modules on the
                           default compute account (default 100,1000,5000; \"\" skips)
  --one-file-vms <n,..>    VMs in one .tf file, each needing a scopes patch
                           (default 500,1000,2000; \"\" skips)
  --skip-adversarial       skip the inputs that once crashed or exhausted scopelint
  --lsp-edits <n>          edits of the language server cases (default 20; 0 skips them)
  --lsp-workspace-files <n> files of the language server's workspace case, in
                           modules of 50 (default 2000; 0 skips it)
  --audit-instances <n,..> VMs of a Cloud Asset export for `scopelint audit`, in
                           n/100 projects (default 100000; \"\" skips)
  --audit-formats <f,..>   report formats of the audit case, each written to a
                           file (default compact; e.g. compact,json,sarif,pretty)
";

/// The checkov release the comparison installs.
pub const CHECKOV_VERSION: &str = "3.3.30";

pub struct Args {
    pub sizes: Vec<usize>,
    pub repeat: usize,
    pub seed: u64,
    pub bin: Option<PathBuf>,
    pub work: PathBuf,
    pub with_checkov: bool,
    pub checkov_max_files: usize,
    pub precommit_runs: usize,
    pub default_sa_percent: usize,
    pub default_sa_sizes: Vec<usize>,
    pub one_file_vms: Vec<usize>,
    pub adversarial: bool,
    pub lsp_edits: usize,
    pub lsp_workspace_files: usize,
    pub audit_instances: Vec<usize>,
    pub audit_formats: Vec<String>,
}

fn sizes(list: &str) -> Result<Vec<usize>> {
    Ok(list
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse::<usize>())
        .collect::<std::result::Result<_, _>>()?)
}

pub fn parse(root: &Path, mut it: impl Iterator<Item = String>) -> Result<Args> {
    let mut a = Args {
        sizes: vec![100, 1000, 5000, 20000],
        repeat: 3,
        seed: 1,
        bin: None,
        work: root.join("target").join("bench"),
        with_checkov: false,
        checkov_max_files: 5000,
        precommit_runs: 30,
        default_sa_percent: 0,
        default_sa_sizes: vec![100, 1000, 5000],
        one_file_vms: vec![500, 1000, 2000],
        adversarial: true,
        lsp_edits: 20,
        lsp_workspace_files: 2000,
        audit_instances: vec![100_000],
        audit_formats: vec!["compact".to_string()],
    };
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--sizes" => a.sizes = sizes(&value()?)?,
            "--default-sa-sizes" => a.default_sa_sizes = sizes(&value()?)?,
            "--one-file-vms" => a.one_file_vms = sizes(&value()?)?,
            "--skip-adversarial" => a.adversarial = false,
            "--lsp-edits" => a.lsp_edits = value()?.parse()?,
            "--lsp-workspace-files" => a.lsp_workspace_files = value()?.parse()?,
            "--audit-instances" => a.audit_instances = sizes(&value()?)?,
            "--audit-formats" => {
                a.audit_formats = value()?.split(',').map(str::to_string).collect()
            }
            "--repeat" => a.repeat = value()?.parse::<usize>()?.max(1),
            "--seed" => a.seed = value()?.parse()?,
            "--bin" => a.bin = Some(PathBuf::from(value()?)),
            "--work" => a.work = PathBuf::from(value()?),
            "--with-checkov" => a.with_checkov = true,
            "--checkov-max-files" => a.checkov_max_files = value()?.parse()?,
            "--precommit-runs" => a.precommit_runs = value()?.parse()?,
            "--default-sa-percent" => a.default_sa_percent = value()?.parse()?,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n\n{USAGE}").into()),
        }
    }
    Ok(a)
}

/// A generated corpus, cached by size, seed and generator version.
pub fn corpus(
    work: &Path,
    files: usize,
    per_module: usize,
    seed: u64,
    default_sa: usize,
) -> Result<PathBuf> {
    let dir = work.join(format!(
        "corpus-{files}x{per_module}-seed{seed}-sa{default_sa}-v{GENERATOR_VERSION}"
    ));
    let done = dir.join(".complete");
    if !done.exists() {
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        let spec = Spec {
            files,
            per_module,
            seed,
            default_sa_percent: default_sa,
        };
        let w = corpus::generate(&spec, &dir)?;
        eprintln!(
            "generated {} files, {:.1} MB in {} modules under {}",
            w.files,
            w.bytes as f64 / 1e6,
            w.modules,
            dir.display()
        );
        std::fs::write(&done, "")?;
    }
    Ok(dir)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".to_string())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string())
}

fn today() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// One timed run: wall time, and peak RSS in KiB when `/usr/bin/time` is there.
struct Sample {
    wall: Duration,
    rss_kib: Option<u64>,
    status: Option<i32>,
}

const GNU_TIME: &str = "/usr/bin/time";

fn timed(program: &Path, args: &[&std::ffi::OsStr], stdin: Option<&[u8]>) -> Result<Sample> {
    let rss_file = std::env::temp_dir().join(format!("scopelint-bench-rss-{}", std::process::id()));
    let use_time = Path::new(GNU_TIME).exists();
    let mut cmd = if use_time {
        let mut c = Command::new(GNU_TIME);
        c.arg("-f").arg("%M").arg("-o").arg(&rss_file).arg(program);
        c
    } else {
        Command::new(program)
    };
    cmd.args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    let start = Instant::now();
    let mut child = cmd.spawn()?;
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        use std::io::Write;
        pipe.write_all(input)?;
    }
    let status = child.wait()?;
    let wall = start.elapsed();
    let rss_kib = if use_time {
        let text = std::fs::read_to_string(&rss_file).unwrap_or_default();
        let _ = std::fs::remove_file(&rss_file);
        text.lines().last().and_then(|l| l.trim().parse().ok())
    } else {
        None
    };
    Ok(Sample {
        wall,
        rss_kib,
        status: status.code(),
    })
}

/// The fastest of `n` runs, and the largest peak RSS seen.
fn best_of(
    n: usize,
    program: &Path,
    args: &[&std::ffi::OsStr],
    stdin: Option<&[u8]>,
) -> Result<Sample> {
    let mut best: Option<Sample> = None;
    let mut rss = None;
    for _ in 0..n {
        let s = timed(program, args, stdin)?;
        rss = rss.max(s.rss_kib);
        if best.as_ref().is_none_or(|b| s.wall < b.wall) {
            best = Some(s);
        }
    }
    let mut best = best.ok_or("no run")?;
    best.rss_kib = rss;
    Ok(best)
}

fn secs(d: Duration) -> String {
    if d.as_secs_f64() < 1.0 {
        format!("{:.1} ms", d.as_secs_f64() * 1e3)
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(
        || "n/a".to_string(),
        |k| format!("{:.0} MiB", k as f64 / 1024.0),
    )
}

fn build_release(root: &Path) -> Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    eprintln!("building scopelint (release)...");
    let ok = Command::new(cargo)
        .current_dir(root)
        .args([
            "build",
            "--release",
            "--locked",
            "-p",
            "scopelint",
            "--bin",
            "scopelint",
        ])
        .status()?
        .success();
    if !ok {
        return Err("cargo build --release failed".into());
    }
    Ok(root.join("target").join("release").join("scopelint"))
}

/// checkov from PyPI in a virtual environment under `work`.
fn checkov(work: &Path) -> Result<PathBuf> {
    let venv = work.join(format!("checkov-{CHECKOV_VERSION}"));
    let bin = venv.join("bin").join("checkov");
    if !bin.exists() {
        eprintln!(
            "installing checkov {CHECKOV_VERSION} into {}...",
            venv.display()
        );
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()?
            .success()
            && Command::new(venv.join("bin").join("pip"))
                .args([
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    &format!("checkov=={CHECKOV_VERSION}"),
                ])
                .status()?
                .success();
        if !ok {
            return Err("cannot install checkov".into());
        }
    }
    Ok(bin)
}

pub fn run(root: &Path, a: &Args) -> Result<()> {
    let bin = match &a.bin {
        Some(b) => b.clone(),
        None => build_release(root)?,
    };
    let bin = std::path::absolute(bin)?;
    std::fs::create_dir_all(&a.work)?;
    let checkov = if a.with_checkov {
        Some(checkov(&a.work)?)
    } else {
        None
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "scopelint benchmark, {} UTC, {cores} cores ({}), best of {} runs, load average {} at start{}",
        today(),
        cpu_model(),
        a.repeat,
        load_average(),
        if Path::new(GNU_TIME).exists() {
            ""
        } else {
            "; peak RSS needs /usr/bin/time (apt-get install time)"
        }
    );
    println!();
    println!(
        "Every workload with a dedicated service account (--default-sa-percent {}):",
        a.default_sa_percent
    );
    if !a.sizes.is_empty() {
        table(&bin, checkov.as_deref(), a, &a.sizes, a.default_sa_percent)?;
    }
    if !a.default_sa_sizes.is_empty() {
        println!();
        println!(
            "25% of the modules (each its own project) on the Compute Engine default service account:"
        );
        table(&bin, checkov.as_deref(), a, &a.default_sa_sizes, 25)?;
    }
    if a.precommit_runs > 0 {
        precommit(&bin, a)?;
    }
    if a.lsp_edits > 0 {
        lsp(&bin, a)?;
    }
    if !a.one_file_vms.is_empty() {
        one_file(&bin, a)?;
    }
    if !a.audit_instances.is_empty() {
        audit(&bin, a)?;
    }
    if a.adversarial {
        adversarial(&bin, a)?;
    }
    println!("\nload average {} at the end", load_average());
    Ok(())
}

/// The fastest of `repeat` runs of `scopelint check DIR --format json`.
fn check_json(bin: &Path, dir: &Path, repeat: usize) -> Result<Sample> {
    let args = [
        "check".as_ref(),
        dir.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
        "--exit-zero".as_ref(),
    ];
    let s = best_of(repeat, bin, &args, None)?;
    if s.status != Some(0) {
        return Err(format!("scopelint exited with {:?} on {}", s.status, dir.display()).into());
    }
    Ok(s)
}

/// One table row per corpus size.
fn table(
    bin: &Path,
    checkov: Option<&Path>,
    a: &Args,
    sizes: &[usize],
    default_sa: usize,
) -> Result<()> {
    println!();
    println!(
        "| files | MB | resources | scopelint | files/s | MB/s | peak RSS | `cat` floor | × floor | load |{}",
        if checkov.is_some() {
            " checkov | checkov ÷ scopelint |"
        } else {
            ""
        }
    );
    println!(
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|{}",
        if checkov.is_some() { "---:|---:|" } else { "" }
    );
    for &size in sizes {
        let dir = corpus(&a.work, size, 12, a.seed, default_sa)?;
        let files = corpus::input_files(&dir)?;
        let mut bytes = 0u64;
        let mut list = Vec::new();
        for f in &files {
            bytes += std::fs::metadata(f)?.len();
            list.extend_from_slice(f.as_os_str().as_encoded_bytes());
            list.push(0);
        }
        let resources = count_resources(&files);
        // Warm the page cache for both, then measure the floor and scopelint.
        let xargs = Path::new("xargs");
        let cat_args = ["-0".as_ref(), "cat".as_ref()];
        timed(xargs, &cat_args, Some(&list))?;
        let floor = best_of(a.repeat, xargs, &cat_args, Some(&list))?;
        let s = check_json(bin, &dir, a.repeat)?;
        let wall = s.wall.as_secs_f64();
        let mut row = format!(
            "| {} | {:.1} | {} | {} | {:.0} | {:.1} | {} | {} | {:.1} | {} |",
            files.len(),
            bytes as f64 / 1e6,
            resources,
            secs(s.wall),
            files.len() as f64 / wall,
            bytes as f64 / 1e6 / wall,
            mib(s.rss_kib),
            secs(floor.wall),
            wall / floor.wall.as_secs_f64(),
            load_average(),
        );
        if let Some(checkov) = checkov {
            if files.len() <= a.checkov_max_files {
                let cargs = [
                    "-d".as_ref(),
                    dir.as_os_str(),
                    "--framework".as_ref(),
                    "terraform".as_ref(),
                    "--quiet".as_ref(),
                    "--compact".as_ref(),
                    "--skip-download".as_ref(),
                    "-o".as_ref(),
                    "json".as_ref(),
                ];
                let c = timed(checkov, &cargs, None)?;
                row.push_str(&format!(
                    " {} | {:.0}× |",
                    secs(c.wall),
                    c.wall.as_secs_f64() / wall
                ));
            } else {
                row.push_str(" skipped | |");
            }
        }
        println!("{row}");
    }
    Ok(())
}

/// The pre-commit case: one module of 50 files, named one by one as the hook does.
fn precommit(bin: &Path, a: &Args) -> Result<()> {
    let dir = corpus(&a.work, 50, 50, a.seed, a.default_sa_percent)?;
    let files = corpus::input_files(&dir)?;
    let bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
        .sum();
    println!();
    println!(
        "pre-commit case: one module of {} files ({:.2} MB), {} runs each, wall time including process start",
        files.len(),
        bytes as f64 / 1e6,
        a.precommit_runs
    );
    println!();
    println!("| command | min | median | p90 |");
    println!("|---|---:|---:|---:|");
    let mut file_args: Vec<&std::ffi::OsStr> = vec!["check".as_ref()];
    file_args.extend(files.iter().map(|f| f.as_os_str()));
    let cases: [(&str, Vec<&std::ffi::OsStr>); 3] = [
        (
            "`scopelint --version` (process start)",
            vec!["--version".as_ref()],
        ),
        (
            "`scopelint check DIR`",
            vec!["check".as_ref(), dir.as_os_str()],
        ),
        ("`scopelint check FILE...` (50 files)", file_args),
    ];
    for (name, args) in cases {
        for _ in 0..3 {
            run_quiet(bin, &args)?;
        }
        let mut walls = Vec::with_capacity(a.precommit_runs);
        for _ in 0..a.precommit_runs {
            let start = Instant::now();
            run_quiet(bin, &args)?;
            walls.push(start.elapsed());
        }
        walls.sort();
        let at = |q: f64| walls[((walls.len() - 1) as f64 * q).round() as usize];
        println!(
            "| {name} | {} | {} | {} |",
            secs(walls[0]),
            secs(at(0.5)),
            secs(at(0.9))
        );
    }
    Ok(())
}

/// The language server on the pre-commit module, and on a workspace of many
/// modules: `didChange` to `publishDiagnostics`, one edit at a time, in the
/// file with the first VM.
fn lsp(bin: &Path, a: &Args) -> Result<()> {
    let mut cases = vec![(50, "one module of 50 files")];
    if a.lsp_workspace_files > 0 {
        cases.push((a.lsp_workspace_files, "a workspace of modules of 50 files"));
    }
    for (files, what) in cases {
        let dir = std::path::absolute(corpus(&a.work, files, 50, a.seed, a.default_sa_percent)?)?;
        let inputs = corpus::input_files(&dir)?;
        let file = inputs
            .iter()
            .find(|f| {
                std::fs::read_to_string(f).is_ok_and(|t| t.contains("\"google_compute_instance\""))
            })
            .or(inputs.first())
            .ok_or("the module has no file")?;
        let m = crate::bench_lsp::latencies(bin, &dir, file, a.lsp_edits)?;
        let walls = &m.latencies;
        let at = |q: f64| walls[((walls.len() - 1) as f64 * q).round() as usize];
        println!();
        println!(
            "language server, {what} ({} files), {} edits of one file, didChange to publishDiagnostics",
            inputs.len(),
            walls.len()
        );
        println!();
        let mib =
            |k: Option<u64>| k.map_or("?".to_string(), |k| format!("{:.0} MiB", k as f64 / 1024.0));
        println!("| min | median | p90 | max | RSS after the edits | peak RSS |");
        println!("|---:|---:|---:|---:|---:|---:|");
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            secs(walls[0]),
            secs(at(0.5)),
            secs(at(0.9)),
            secs(walls[walls.len() - 1]),
            mib(m.rss_kib),
            mib(m.peak_kib)
        );
    }
    Ok(())
}

/// Many workloads in one file, each needing a patch, beside the same findings
/// with nothing to patch: the patch column grows with the product of the two
/// when every patch re-reads its whole file.
fn one_file(bin: &Path, a: &Args) -> Result<()> {
    println!();
    println!(
        "One .tf file with many VMs, each with one finding; patched: every finding carries a verified scopes patch, unpatched: the same findings with the scopes behind `concat` (nothing to patch):"
    );
    println!();
    println!("| VMs | MB | patched | peak RSS | unpatched | patched ÷ unpatched | load |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for &vms in &a.one_file_vms {
        let mut walls = Vec::with_capacity(2);
        let mut patched_rss = None;
        let mut bytes = 0;
        for scopes in [shapes::Scopes::Literal, shapes::Scopes::Computed] {
            let dir = shapes::patched_vms_dir(&a.work, vms, scopes)?;
            if scopes == shapes::Scopes::Literal {
                bytes = std::fs::metadata(dir.join("main.tf"))?.len();
            }
            let s = check_json(bin, &dir, a.repeat)?;
            if scopes == shapes::Scopes::Literal {
                patched_rss = s.rss_kib;
            }
            walls.push(s.wall);
        }
        let (patched, unpatched) = match walls.as_slice() {
            [p, u] => (*p, *u),
            _ => return Err("a shape was not measured".into()),
        };
        println!(
            "| {vms} | {:.1} | {} | {} | {} | {:.1} | {} |",
            bytes as f64 / 1e6,
            secs(patched),
            mib(patched_rss),
            secs(unpatched),
            patched.as_secs_f64() / unpatched.as_secs_f64(),
            load_average(),
        );
    }
    Ok(())
}

/// `scopelint audit` on a generated Cloud Asset export: half the VMs have a
/// finding, written to a file in each format asked for.
fn audit(bin: &Path, a: &Args) -> Result<()> {
    println!();
    println!(
        "`scopelint audit --asset-export FILE --format F --output REPORT --max-file-size 0` on a generated export (half the VMs with a finding):"
    );
    println!();
    println!("| VMs | projects | MB | format | wall | peak RSS | load |");
    println!("|---:|---:|---:|---|---:|---:|---:|");
    for &n in &a.audit_instances {
        let file = shapes::asset_export_file(&a.work, n)?;
        let bytes = std::fs::metadata(&file)?.len();
        for format in &a.audit_formats {
            let report = a.work.join(format!("audit-report.{format}"));
            let args = [
                "audit".as_ref(),
                "--asset-export".as_ref(),
                file.as_os_str(),
                "--format".as_ref(),
                format.as_ref(),
                "--output".as_ref(),
                report.as_os_str(),
                // Exports of a million VMs are over the default 100 MiB limit.
                "--max-file-size".as_ref(),
                "0".as_ref(),
            ];
            let s = best_of(a.repeat, bin, &args, None)?;
            let _ = std::fs::remove_file(&report);
            if s.status != Some(1) {
                return Err(format!(
                    "audit of {n} VMs ({format}) exited with {:?}, not 1",
                    s.status
                )
                .into());
            }
            println!(
                "| {n} | {} | {:.0} | {format} | {} | {} | {} |",
                (n / 100).max(1),
                bytes as f64 / 1e6,
                secs(s.wall),
                mib(s.rss_kib),
                load_average()
            );
        }
    }
    Ok(())
}

/// Inputs of a few KB that once crashed scopelint or took gigabytes or
/// minutes: wall time, peak memory and the size of the pretty report.
fn adversarial(bin: &Path, a: &Args) -> Result<()> {
    println!();
    println!("Adversarial inputs, `scopelint check DIR` (pretty format):");
    println!();
    println!("| input | input KB | wall | peak RSS | output | exit |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (i, shape) in shapes::adversarial().iter().enumerate() {
        let dir = shapes::adversarial_dir(&a.work, i, shape)?;
        let input: usize = shape.files.iter().map(|(_, t)| t.len()).sum();
        let args = ["check".as_ref(), dir.as_os_str()];
        let s = best_of(a.repeat, bin, &args, None)?;
        let out = Command::new(bin)
            .args(args)
            .env("NO_COLOR", "1")
            .stderr(Stdio::null())
            .output()?;
        println!(
            "| {} | {:.1} | {} | {} | {:.1} KB | {} |",
            shape.name,
            input as f64 / 1e3,
            secs(s.wall),
            mib(s.rss_kib),
            out.stdout.len() as f64 / 1e3,
            s.status
                .map_or_else(|| "signal".to_string(), |c| c.to_string()),
        );
    }
    Ok(())
}

fn run_quiet(bin: &Path, args: &[&std::ffi::OsStr]) -> Result<()> {
    let status = Command::new(bin)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    match status.code() {
        Some(0..=2) => Ok(()),
        other => Err(format!("{} exited with {other:?}", bin.display()).into()),
    }
}

/// `resource` blocks in the files (what the corpus declares).
fn count_resources(files: &[PathBuf]) -> usize {
    files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .map(|t| t.lines().filter(|l| l.starts_with("resource \"")).count())
        .sum()
}
