//! `.scopelint.yaml`: rule settings, path exclusions, roles held outside the
//! scanned code, custom roles, waivers and the fix strategy.
//!
//! Found by walking up from the first path given (or named with `--config`).
//! Unknown keys and bad values are errors with the file, line and a hint.

use crate::finding::Strategy;
use crate::knowledge::{Access, Api, Knowledge, MethodClass, Role, RoleClass, RoleUse, nearest};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = ".scopelint.yaml";

/// A rule's configured state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleSetting {
    Off,
    Note,
    Warning,
    Error,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomUse {
    pub api: String,
    pub access: Access,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomRole {
    pub uses: Vec<CustomUse>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiOverride {
    /// Scopes any one of which covers every read method.
    #[serde(default)]
    pub read: Vec<String>,
    /// Scopes any one of which covers every write method.
    #[serde(default)]
    pub write: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixConfig {
    pub strategy: Option<StrategyName>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StrategyName {
    Auto,
    CloudPlatform,
    Minimal,
}

impl From<StrategyName> for Strategy {
    fn from(s: StrategyName) -> Strategy {
        match s {
            StrategyName::Auto => Strategy::Auto,
            StrategyName::CloudPlatform => Strategy::CloudPlatform,
            StrategyName::Minimal => Strategy::Minimal,
        }
    }
}

/// An exception kept out of the code: a rule waived for a path.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    /// A glob matched against the finding's file path (relative to the config file).
    pub path: String,
    pub rule: String,
    pub reason: String,
    /// `YYYY-MM-DD`; after that day the finding comes back.
    pub expires: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Rule code or name → `off`, `note`, `warning` or `error`.
    #[serde(default)]
    pub rules: BTreeMap<String, RuleSetting>,
    /// Globs of paths not to analyse (relative to the config file).
    #[serde(default, deserialize_with = "texts")]
    pub exclude: Vec<String>,
    /// Roles held by service accounts whose IAM lives outside the scanned code.
    #[serde(default)]
    pub identities: BTreeMap<String, Vec<String>>,
    /// The email of the project's Compute Engine default service account.
    pub default_service_account: Option<String>,
    /// Roles the default compute account holds outside the scanned code.
    #[serde(default)]
    pub default_service_account_roles: Vec<String>,
    /// Custom roles: `projects/p/roles/x` → the APIs they are for.
    #[serde(default)]
    pub custom_roles: BTreeMap<String, CustomRole>,
    /// Overrides of the API → scope table.
    #[serde(default)]
    pub api_scopes: BTreeMap<String, ApiOverride>,
    #[serde(default)]
    pub fix: FixConfig,
    #[serde(default)]
    pub waivers: Vec<Waiver>,
}

/// A list of strings that refuses numbers and booleans (`exclude: [1, 2]`)
/// instead of reading them as text: they are mistakes, not globs.
fn texts<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct Text(String);
    impl<'de> Deserialize<'de> for Text {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
            struct Visitor;
            impl serde::de::Visitor<'_> for Visitor {
                type Value = Text;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a string (quote it)")
                }
                fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Text, E> {
                    Ok(Text(v.to_string()))
                }
            }
            d.deserialize_any(Visitor)
        }
    }
    Ok(Vec::<Text>::deserialize(d)?
        .into_iter()
        .map(|t| t.0)
        .collect())
}

/// Whether `s` has the shape of a service account email (`name@domain`).
fn is_email(s: &str) -> bool {
    s.split_once('@').is_some_and(|(name, domain)| {
        !name.is_empty()
            && domain.contains('.')
            && !s.chars().any(|c| c.is_whitespace() || c.is_control())
    })
}

/// A configuration problem, with where it is.
#[derive(Debug, Clone)]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// A loaded configuration and the file it came from.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub config: Config,
    pub path: Option<PathBuf>,
    /// The directory globs and waiver paths are relative to.
    pub base: PathBuf,
    pub text: String,
}

/// Finds `.scopelint.yaml` in `start` (or its directory) or any parent.
pub fn find(start: &Path) -> Option<PathBuf> {
    let abs = std::path::absolute(start).ok()?;
    let mut dir = if abs.is_dir() {
        Some(abs.as_path())
    } else {
        abs.parent()
    };
    while let Some(d) = dir {
        let candidate = d.join(FILE_NAME);
        if candidate.is_file() {
            return Some(candidate);
        }
        dir = d.parent();
    }
    None
}

/// Reads and validates a configuration file.
pub fn load(path: &Path, kb: &Knowledge) -> Result<Loaded, Vec<ConfigError>> {
    let display = crate::discover::display_path(path);
    let err = |line, column, message: String| ConfigError {
        file: display.clone(),
        line,
        column,
        message,
    };
    let text =
        std::fs::read_to_string(path).map_err(|e| vec![err(0, 0, format!("cannot read: {e}"))])?;
    let config: Config = if text.trim().is_empty() {
        Config::default()
    } else {
        serde_saphyr::from_str(&text).map_err(|e| {
            let (line, column) = e
                .location()
                .map_or((0, 0), |l| (l.line() as usize, l.column() as usize));
            vec![err(
                line,
                column,
                with_hint(&saphyr_message(&e.to_string())),
            )]
        })?
    };
    let errors = validate(&config, kb, &text);
    if !errors.is_empty() {
        return Err(errors
            .into_iter()
            .map(|(needle, message)| {
                let (line, column) = locate(&text, &needle);
                err(line, column, message)
            })
            .collect());
    }
    // `--config file.yaml` names a file of the working directory: its
    // parent is empty, which no path can be made absolute against.
    let base = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok(Loaded {
        config,
        path: Some(path.to_path_buf()),
        base,
        text,
    })
}

/// The first line of a serde-saphyr error without its "line N column M:"
/// prefix, in the words of the configuration file rather than the parser's.
fn saphyr_message(rendered: &str) -> String {
    let first = rendered.lines().next().unwrap_or(rendered);
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let message = match first.split_once(": ") {
        Some((pos, rest)) if pos.starts_with("line ") => rest,
        _ => first,
    };
    plain_words(message)
}

/// The parser's phrases that name its internals, said as what the file lacks.
fn plain_words(message: &str) -> String {
    const PLAIN: [(&str, &str); 4] = [
        (
            "externally tagged enum expected scalar or mapping",
            "expected a single word here (such as off or warning), not a list",
        ),
        ("externally tagged enum", "a choice of words"),
        (
            "expected mapping start",
            "expected `key: value` entries here",
        ),
        ("expected sequence start", "expected a list here"),
    ];
    let mut out = message.to_string();
    for (jargon, plain) in PLAIN {
        out = out.replace(jargon, plain);
    }
    out
}

/// Adds "did you mean" to serde's unknown-field and unknown-variant messages.
fn with_hint(message: &str) -> String {
    let unknown = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"))
        .and_then(|rest| rest.split_once('`'));
    let Some((name, rest)) = unknown else {
        return message.to_string();
    };
    let expected = rest.split_once("expected ").map_or("", |(_, e)| e);
    let options: Vec<&str> = expected
        .split([',', ' '])
        .map(|s| s.trim_matches(['`', ' ']))
        .filter(|s| !s.is_empty() && *s != "one" && *s != "of" && *s != "or")
        .collect();
    match nearest(name, options.iter().copied()) {
        Some(n) => format!("{message}; did you mean `{n}`?"),
        None => message.to_string(),
    }
}

/// Line and column of the first occurrence of `needle` (1-based), or the file start.
fn locate(text: &str, needle: &str) -> (usize, usize) {
    let Some(at) = text.find(needle) else {
        return (1, 1);
    };
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Semantic checks: every rule, role, API and scope named must exist.
/// Returns (text to locate, message) pairs.
fn validate(c: &Config, kb: &Knowledge, _text: &str) -> Vec<(String, String)> {
    let mut errors = Vec::new();
    let codes: Vec<&str> = crate::check::all_rules()
        .flat_map(|m| [m.code, m.name])
        .collect();
    let rule_ok = |r: &str| codes.contains(&r);
    let rule_hint = |r: &str| {
        nearest(r, codes.iter().copied())
            .map_or(String::new(), |n| format!("; did you mean `{n}`?"))
    };
    for rule in c.rules.keys() {
        if !rule_ok(rule) {
            errors.push((
                rule.clone(),
                format!("unknown rule `{rule}`{}", rule_hint(rule)),
            ));
        }
    }
    for w in &c.waivers {
        if !rule_ok(&w.rule) {
            errors.push((
                w.rule.clone(),
                format!("unknown rule `{}` in waiver{}", w.rule, rule_hint(&w.rule)),
            ));
        }
        if w.reason.trim().is_empty() {
            errors.push((w.path.clone(), "a waiver needs a reason".to_string()));
        }
        if let Some(d) = &w.expires
            && parse_date(d).is_none()
        {
            errors.push((d.clone(), format!("`{d}` is not a date (YYYY-MM-DD)")));
        }
    }
    let role_ok = |r: &str| kb.roles.contains_key(r) || c.custom_roles.contains_key(r);
    let role_error = |r: &str| {
        let hint = nearest(r, kb.roles.keys().map(String::as_str))
            .map_or(String::new(), |n| format!("; did you mean `{n}`?"));
        (r.to_string(), format!("unknown role `{r}`{hint}"))
    };
    for roles in c
        .identities
        .values()
        .chain(std::iter::once(&c.default_service_account_roles))
    {
        errors.extend(roles.iter().filter(|r| !role_ok(r)).map(|r| role_error(r)));
    }
    for (name, role) in &c.custom_roles {
        if !name.starts_with("projects/") && !name.starts_with("organizations/") {
            errors.push((name.clone(), format!("custom role `{name}` must be named projects/P/roles/R or organizations/O/roles/R")));
        }
        for u in &role.uses {
            if !kb.apis.contains_key(&u.api) && !c.api_scopes.contains_key(&u.api) {
                let hint = nearest(&u.api, kb.apis.keys().map(String::as_str))
                    .map_or(String::new(), |n| format!("; did you mean `{n}`?"));
                errors.push((u.api.clone(), format!("unknown API `{}`{hint}", u.api)));
            }
        }
    }
    for email in c
        .identities
        .keys()
        .chain(c.default_service_account.iter())
        .filter(|e| !is_email(e))
    {
        errors.push((
            email.clone(),
            format!(
                "`{email}` is not a service account email (name@project.iam.gserviceaccount.com)"
            ),
        ));
    }
    for (api, o) in &c.api_scopes {
        if !kb.apis.contains_key(api) {
            let hint = nearest(api, kb.apis.keys().map(String::as_str))
                .map_or(String::new(), |n| format!("; did you mean `{n}`?"));
            errors.push((api.clone(), format!("unknown API `{api}`{hint}")));
        }
        for s in o.read.iter().chain(&o.write) {
            if kb.terraform_scope(s).is_none() && !kb.scopes.known.contains(s) {
                errors.push((s.clone(), format!("unknown scope `{s}` for {api}")));
            }
        }
    }
    errors
}

/// Parses `YYYY-MM-DD` into a comparable number.
pub fn parse_date(s: &str) -> Option<u32> {
    let mut parts = s.trim().split('-');
    let y: u32 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    let leap = y.is_multiple_of(4) && (!y.is_multiple_of(100) || y.is_multiple_of(400));
    let days = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    // A day the month does not have (2030-02-30) is a typo, not a date.
    (parts.next().is_none() && (1..=12).contains(&m) && (1..=days).contains(&d) && y <= 9999)
        .then_some(y * 10000 + m * 100 + d)
}

/// Today's date as `YYYYMMDD`, from the system clock (UTC), or `SCOPELINT_TODAY` for tests.
pub fn today() -> u32 {
    if let Some(d) = std::env::var("SCOPELINT_TODAY")
        .ok()
        .and_then(|s| parse_date(&s))
    {
        return d;
    }
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    u32::try_from(y * 10000 + m * 100 + d).unwrap_or(0)
}

impl Config {
    /// The knowledge base extended with this configuration's custom roles and
    /// API scope overrides.
    pub fn extend(&self, base: &Knowledge) -> Knowledge {
        let mut kb = base.clone();
        for (name, o) in &self.api_scopes {
            let short = |list: &[String]| -> Vec<String> {
                list.iter()
                    .filter_map(|s| base.terraform_scope(s).or_else(|| Some(s.clone())))
                    .collect()
            };
            let api = kb.apis.entry(name.clone()).or_insert_with(|| Api {
                title: name.clone(),
                source: String::new(),
                read: MethodClass::default(),
                write: MethodClass::default(),
                workload: false,
                grpc: false,
                note: None,
            });
            api.source = "configuration (api_scopes)".to_string();
            for (class, list) in [(&mut api.read, &o.read), (&mut api.write, &o.write)] {
                if !list.is_empty() {
                    *class = MethodClass {
                        methods: class.methods.max(1),
                        all: short(list),
                        some: BTreeMap::new(),
                    };
                }
            }
        }
        for (name, custom) in &self.custom_roles {
            let uses = custom
                .uses
                .iter()
                .map(|u| {
                    let class = kb.apis.get(&u.api).map(|a| match u.access {
                        Access::Read => &a.read,
                        Access::Write => &a.write,
                    });
                    RoleUse {
                        api: u.api.clone(),
                        access: u.access,
                        needs_any_of: class.map(|c| c.all.clone()).unwrap_or_default(),
                        read: None,
                        write: None,
                    }
                })
                .collect();
            kb.roles.insert(
                name.clone(),
                Role {
                    title: name.clone(),
                    stage: String::new(),
                    class: RoleClass::Api,
                    uses,
                    source: "configuration (custom_roles)".to_string(),
                    note: None,
                },
            );
        }
        kb
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(parse_date("2027-03-31"), Some(20270331));
        assert_eq!(parse_date("2027-13-01"), None);
        assert_eq!(parse_date("2030-02-30"), None);
        assert_eq!(parse_date("2030-04-31"), None);
        assert_eq!(parse_date("2028-02-29"), Some(20280229));
        assert_eq!(parse_date("2100-02-29"), None);
        assert!(today() > 20240101);
    }

    #[test]
    fn hints_for_unknown_fields() {
        let m = with_hint("unknown field `exlude`, expected one of exclude, rules");
        assert!(m.ends_with("did you mean `exclude`?"), "{m}");
    }
}
