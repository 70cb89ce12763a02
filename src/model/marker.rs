//! Symbolic values for things Terraform only knows after apply.
//!
//! A service account created in the same configuration has an email we often
//! cannot compute, but we still need to follow it through string templates
//! (`"serviceAccount:${google_service_account.app.email}"`) and match it with
//! the VM that uses it. Such values are carried as strings starting with a
//! private-use character, which no real configuration contains.

/// The private-use character that marks a symbolic value.
pub(crate) const MARK: char = '\u{E000}';

/// The email of the Compute Engine default service account of `project` (an
/// ID, when known).
pub fn default_sa(project: Option<&str>) -> String {
    match project.filter(|p| !is_symbolic(p)) {
        Some(p) => format!("{MARK}default-compute:{p}"),
        None => format!("{MARK}default-compute"),
    }
}

/// The number of the project with ID `project` (`data.google_project.p.number`),
/// known only after apply. It ends with a mark so that text written after it
/// (`-compute@developer.gserviceaccount.com`) stays apart from the ID.
pub fn project_number(project: Option<&str>) -> String {
    let id = project.filter(|p| !is_symbolic(p)).unwrap_or_default();
    format!("{MARK}number-of:{id}{MARK}")
}

/// The email of a `google_service_account` resource in `module`.
pub fn service_account(module: &str, address: &str) -> String {
    format!("{MARK}sa:{module}|{address}")
}

/// A reference to another resource (an instance template, an IAM policy document).
pub fn resource(module: &str, address: &str) -> String {
    format!("{MARK}ref:{module}|{address}")
}

/// The resource address inside a [`resource`] marker.
pub fn resource_address(value: &str) -> Option<(&str, &str)> {
    value
        .strip_prefix(MARK)?
        .strip_prefix("ref:")?
        .split_once('|')
}

/// Whether a string carries a symbolic part (so it is not a literal value).
pub fn is_symbolic(value: &str) -> bool {
    value.contains(MARK)
}
