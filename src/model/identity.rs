//! Who a workload runs as and who a grant is given to: service accounts and
//! the projects their default accounts belong to.

use super::marker::{self, MARK};
use std::fmt;

/// The service account a workload runs as, or a grant is given to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Identity {
    /// A project's Compute Engine default service account
    /// (`PROJECT_NUMBER-compute@developer.gserviceaccount.com`); each project
    /// has its own, so the project is part of the identity when it is known.
    DefaultCompute(Option<Project>),
    /// A service account known by its literal email: the same account everywhere in the tree.
    Email(String),
    /// A `google_service_account` resource whose email is not known statically;
    /// it can only be matched by references to the same resource in the same module.
    Resource { module: String, address: String },
    /// A value that is not known but is the same value wherever it is used in
    /// one unit: `$SA` in a script that both grants a role to it and creates a
    /// VM with it. `text` is how it is written (e.g. `${SA}`); `key` also
    /// tells apart two assignments of one variable.
    Symbolic { text: String, key: String },
}

/// A project as configuration names it: by ID (`project = "my-app"`) or by
/// number (the default account's email holds only the number).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Project {
    Id(String),
    Number(String),
}

impl Project {
    /// A project ID as written; symbolic or empty values are not a known project.
    pub fn id(id: &str) -> Option<Project> {
        let id = id.trim();
        (!id.is_empty() && !marker::is_symbolic(id)).then(|| Project::Id(id.to_string()))
    }

    /// Whether two projects may be the same one: an ID and a number cannot be
    /// compared statically, so only two IDs or two numbers can differ.
    pub fn may_equal(&self, other: &Project) -> bool {
        match (self, other) {
            (Project::Id(a), Project::Id(b)) | (Project::Number(a), Project::Number(b)) => a == b,
            _ => true,
        }
    }
}

impl fmt::Display for Project {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Project::Id(id) => f.write_str(id),
            Project::Number(n) => write!(f, "number {n}"),
        }
    }
}

impl Identity {
    /// The identity an email (literal or symbolic) stands for; `None` when only
    /// part of it is known (such as a literal prefix around a symbolic value).
    pub fn from_value(email: &str) -> Option<Identity> {
        match email.strip_prefix(MARK) {
            Some("default-compute") => Some(Identity::DefaultCompute(None)),
            Some(rest) if rest.starts_with("default-compute:") => {
                let project = rest.strip_prefix("default-compute:")?;
                Some(Identity::default_compute(Some(project)))
            }
            Some(rest) if rest.starts_with("number-of:") => {
                // `${data.google_project.p.number}-compute@developer.gserviceaccount.com`
                let (project, email) = rest.strip_prefix("number-of:")?.split_once(MARK)?;
                let email = email.trim().to_ascii_lowercase();
                (email == "-compute@developer.gserviceaccount.com")
                    .then(|| Identity::default_compute(Some(project)))
            }
            Some(rest) => {
                let (module, address) = rest.strip_prefix("sa:")?.split_once('|')?;
                (!marker::is_symbolic(address)).then(|| Identity::Resource {
                    module: module.to_string(),
                    address: address.to_string(),
                })
            }
            None if marker::is_symbolic(email) || !email.contains('@') => None,
            None => Some(Identity::from_email(email)),
        }
    }

    /// The default compute account of a project given by ID, when known.
    pub fn default_compute(project: Option<&str>) -> Identity {
        Identity::DefaultCompute(project.and_then(Project::id))
    }

    /// Interprets an email as written in configuration.
    pub fn from_email(email: &str) -> Identity {
        let email = email.trim().to_ascii_lowercase();
        match email.strip_suffix("-compute@developer.gserviceaccount.com") {
            Some(number) => {
                let known = !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit());
                Identity::DefaultCompute(known.then(|| Project::Number(number.to_string())))
            }
            None => Identity::Email(email),
        }
    }

    /// Interprets an IAM member string; `None` for members that are not service accounts.
    pub fn from_member(member: &str) -> Option<Identity> {
        let rest = member.trim().strip_prefix("serviceAccount:")?;
        Identity::from_value(rest)
    }

    pub fn is_default_compute(&self) -> bool {
        matches!(self, Identity::DefaultCompute(_))
    }

    /// Whether the identity is written as a literal that names the same
    /// account everywhere (an email, the default account of a literal
    /// project), so it may join facts of other deployment units.
    pub fn is_literal(&self) -> bool {
        matches!(self, Identity::Email(_) | Identity::DefaultCompute(Some(_)))
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Identity::DefaultCompute(None) => {
                f.write_str("the Compute Engine default service account")
            }
            Identity::DefaultCompute(Some(p)) => {
                write!(
                    f,
                    "the Compute Engine default service account of project {p}"
                )
            }
            Identity::Email(e) => f.write_str(e),
            Identity::Resource { module, address } if module.is_empty() || module == "." => {
                f.write_str(address)
            }
            Identity::Resource { module, address } => write!(f, "{address} (in {module})"),
            Identity::Symbolic { text, .. } => write!(f, "the service account {text}"),
        }
    }
}
