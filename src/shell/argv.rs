//! Reads a command's words the way gcloud, gsutil and friends do: which
//! program runs (past `sudo`, `env`, `timeout` ...), its command path
//! (`compute instances create`, release tracks `alpha`/`beta` dropped), its
//! positional arguments and its flags in both `--flag=value` and
//! `--flag value` forms.

use super::word::Word;

/// Programs that run the command after their own options.
const WRAPPERS: &[&str] = &[
    "sudo", "exec", "nohup", "time", "command", "env", "timeout", "nice", "xargs",
];

/// Flags that take no value (so the next word is not theirs). Flags named
/// `--no-*`, `--enable-*`, `--disable-*` and `--shielded-*` are boolean too.
const BOOLEAN: &[&str] = &[
    "--async",
    "--quiet",
    "--preemptible",
    "--spot",
    "--can-ip-forward",
    "--single-node",
    "--deletion-protection",
    "--boot-disk-auto-delete",
    "--restart-on-failure",
    "--container-privileged",
    "--container-stdin",
    "--container-tty",
    "--confidential-compute",
    "--internal-ip-only",
    "--log-http",
    "--issue-client-certificate",
    "--all",
    "--help",
    "--public-ptr",
    "--public-dns",
    "--require-csek-key-create",
    "--user-output-enabled",
    "--skip-defaults",
    "--recursive",
];

/// One flag occurrence.
#[derive(Debug, Clone)]
pub struct Flag {
    /// The flag name with its dashes, e.g. `--scopes`.
    pub name: String,
    /// The value, for `--flag=value` (the part after `=`) and `--flag value`.
    pub value: Option<Word>,
    /// Index of the flag's word in the command's words.
    pub word: usize,
    /// Index of the separate value word, for `--flag value`.
    pub value_word: Option<usize>,
}

impl Flag {
    /// The index of the last word that belongs to the flag.
    pub fn last_word(&self) -> usize {
        self.value_word.unwrap_or(self.word)
    }
}

/// A command read as program, command path, arguments and flags.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The program's base name (`gcloud`, `gsutil`, `bq`, `docker`, `curl` ...).
    pub program: String,
    /// Index of the program's word in the command's words.
    pub start: usize,
    /// The command path, e.g. `["compute", "instances", "create"]`; release tracks dropped.
    pub path: Vec<String>,
    /// Positional arguments after the command path (indices into the words).
    pub args: Vec<usize>,
    pub flags: Vec<Flag>,
    /// Some word might stand for any number of words, flags included.
    pub hidden: bool,
}

impl Invocation {
    /// The last occurrence of any of `names` (later flags win, as in gcloud).
    pub fn flag(&self, names: &[&str]) -> Option<&Flag> {
        self.flags
            .iter()
            .rev()
            .find(|f| names.contains(&f.name.as_str()))
    }

    pub fn has(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f.name == name)
    }

    /// The index of the last word that is a flag or a flag's value.
    pub fn last_flag_word(&self) -> Option<usize> {
        self.flags.iter().map(Flag::last_word).max()
    }
}

fn base_name(t: &str) -> &str {
    t.rsplit('/').next().unwrap_or(t)
}

fn is_boolean(name: &str) -> bool {
    BOOLEAN.contains(&name)
        || name.starts_with("--no-")
        || name.starts_with("--enable-")
        || name.starts_with("--disable-")
        || name.starts_with("--shielded-")
        || !name.starts_with("--")
}

/// Where the real program starts, past wrappers such as `sudo -E` or `env A=b`.
fn program_index(argv: &[Word]) -> Option<usize> {
    let mut i = 0;
    loop {
        let t = argv.get(i)?.text()?;
        let base = base_name(&t);
        if !WRAPPERS.contains(&base) {
            return Some(i);
        }
        i += 1;
        while let Some(w) = argv.get(i) {
            let t = w.text()?;
            if t.starts_with('-') {
                // sudo -u USER, timeout -s SIG, nice -n N
                if matches!(t.as_str(), "-u" | "-g" | "-s" | "-n" | "-k") {
                    i += 1;
                }
                i += 1;
            } else if base == "env" && t.contains('=') {
                i += 1;
            } else if base == "timeout" && t.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                i += 1;
                break;
            } else {
                break;
            }
        }
    }
}

/// Reads `argv` as an invocation of a known program; `None` when the
/// program is unknown or its name is not known statically.
pub fn read(argv: &[Word]) -> Option<Invocation> {
    let start = program_index(argv)?;
    let program = base_name(&argv.get(start)?.text()?).to_string();
    let mut positionals: Vec<usize> = Vec::new();
    let mut flags = Vec::new();
    let mut hidden = false;
    let mut i = start + 1;
    let mut only_args = false;
    // gsutil's own options come before its subcommand and some take a value
    let gsutil_valued = ["-o", "-h", "-u", "-i", "-p"];
    while i < argv.len() {
        let w = &argv[i];
        let prefix = w.known_prefix();
        if w.splat {
            hidden = true;
            positionals.push(i);
            i += 1;
            continue;
        }
        if only_args || !prefix.starts_with('-') || prefix == "-" {
            positionals.push(i);
            i += 1;
            continue;
        }
        if prefix == "--" && w.text().as_deref() == Some("--") {
            only_args = true;
            i += 1;
            continue;
        }
        if let Some(eq) = prefix.find('=')
            && prefix.starts_with("--")
        {
            flags.push(Flag {
                name: prefix[..eq].to_string(),
                value: Some(w.tail(eq + 1)),
                word: i,
                value_word: None,
            });
            i += 1;
            continue;
        }
        let name = match w.text() {
            Some(t) => t,
            None => {
                // `--flag$X`: a flag whose name is not known
                hidden = true;
                i += 1;
                continue;
            }
        };
        let takes_value = if program == "gsutil" {
            gsutil_valued.contains(&name.as_str()) && positionals.is_empty()
        } else if program == "gcloud" {
            !is_boolean(&name)
        } else {
            false
        };
        let next_is_value = takes_value
            && argv
                .get(i + 1)
                .is_some_and(|n| !n.known_prefix().starts_with('-') || n.known_prefix() == "-");
        if next_is_value {
            flags.push(Flag {
                name,
                value: argv.get(i + 1).cloned(),
                word: i,
                value_word: Some(i + 1),
            });
            i += 2;
        } else {
            flags.push(Flag {
                name,
                value: None,
                word: i,
                value_word: None,
            });
            i += 1;
        }
    }
    // The command path: leading positionals that read as command names.
    let mut path = Vec::new();
    let mut args = Vec::new();
    let mut in_path = program == "gcloud" || program == "gsutil" || program == "bq";
    for (k, &p) in positionals.iter().enumerate() {
        let text = argv[p].text();
        let word = text.as_deref().unwrap_or("");
        let is_name = !word.is_empty()
            && word
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !argv[p].splat;
        if in_path && is_name && (program != "gsutil" || k < 2) && path.len() < 5 {
            if program == "gcloud"
                && path.is_empty()
                && matches!(word, "alpha" | "beta" | "preview")
            {
                continue;
            }
            path.push(word.to_string());
            if program == "gcloud" && path_complete(&path) {
                in_path = false;
            }
            if program == "gsutil" && !(path.len() == 1 && word == "iam") {
                in_path = false;
            }
            if program == "bq" {
                in_path = false;
            }
        } else {
            in_path = false;
            args.push(p);
        }
    }
    Some(Invocation {
        program,
        start,
        path,
        args,
        flags,
        hidden,
    })
}

/// Whether a gcloud command path is complete (what follows is arguments).
fn path_complete(path: &[String]) -> bool {
    let last = path.last().map_or("", String::as_str);
    matches!(
        last,
        "create"
            | "create-with-container"
            | "set-service-account"
            | "add-iam-policy-binding"
            | "remove-iam-policy-binding"
            | "enable"
            | "describe"
            | "list"
            | "delete"
            | "access"
            | "publish"
            | "pull"
            | "cp"
            | "rsync"
            | "mv"
            | "cat"
            | "ls"
            | "rm"
            | "write"
            | "read"
            | "encrypt"
            | "decrypt"
            | "predict"
            | "raw-predict"
            | "execute-sql"
            | "get-credentials"
            | "set"
            | "connect"
            | "export"
            | "import"
            | "deploy"
            | "submit"
            | "update"
            | "undelete"
            | "add-metadata"
            | "ssh"
    ) && path.len() >= 2
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;

    fn words(v: &[&str]) -> Vec<Word> {
        let mut pos = 0;
        v.iter()
            .map(|t| {
                let w = Word::literal(t, pos..pos + t.len(), true);
                pos += t.len() + 1;
                w
            })
            .collect()
    }

    #[test]
    fn reads_paths_args_and_both_flag_forms() {
        let argv = words(&[
            "sudo",
            "-E",
            "gcloud",
            "beta",
            "compute",
            "instances",
            "create",
            "a",
            "b",
            "--zone",
            "z",
            "--preemptible",
            "--scopes=x,y",
            "--quiet",
        ]);
        let inv = read(&argv).expect("an invocation");
        assert_eq!(inv.program, "gcloud");
        assert_eq!(inv.path, ["compute", "instances", "create"]);
        assert_eq!(inv.args, [7, 8]);
        let z = inv.flag(&["--zone"]).expect("zone");
        assert_eq!(z.value.as_ref().and_then(Word::text).as_deref(), Some("z"));
        let s = inv.flag(&["--scopes"]).expect("scopes");
        assert_eq!(
            s.value.as_ref().and_then(Word::text).as_deref(),
            Some("x,y")
        );
        assert_eq!(inv.last_flag_word(), Some(13));
    }

    #[test]
    fn gsutil_iam_ch() {
        let argv = words(&[
            "gsutil",
            "-m",
            "iam",
            "ch",
            "serviceAccount:a@b:objectViewer",
            "gs://x",
        ]);
        let inv = read(&argv).expect("an invocation");
        assert_eq!(inv.path, ["iam", "ch"]);
        assert_eq!(inv.args, [4, 5]);
    }
}
