//! What a query is made of and how it fails: the dialect of its scopes,
//! the role it names, the error that ends it.

use clap::ValueEnum;
use scopelint::knowledge::{Knowledge, Role, nearest_n};
use scopelint::model::Dialect as ModelDialect;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum DialectArg {
    Gcloud,
    Terraform,
}

impl DialectArg {
    pub(super) fn model(self) -> ModelDialect {
        match self {
            DialectArg::Gcloud => ModelDialect::Gcloud,
            DialectArg::Terraform => ModelDialect::Terraform,
        }
    }

    pub(super) fn as_str(self) -> &'static str {
        match self {
            DialectArg::Gcloud => "gcloud",
            DialectArg::Terraform => "terraform",
        }
    }
}

/// A query that cannot be answered: an unknown name or a usage mistake (exit 2).
pub(super) struct QueryError {
    pub(super) message: String,
    pub(super) nearest: Vec<String>,
}

impl QueryError {
    pub(super) fn new(message: impl Into<String>) -> Self {
        QueryError {
            message: message.into(),
            nearest: Vec::new(),
        }
    }

    pub(super) fn with_nearest<'a>(mut self, nearest: impl IntoIterator<Item = &'a str>) -> Self {
        self.nearest = nearest.into_iter().map(str::to_string).collect();
        self
    }
}

pub(super) fn lookup_role<'k>(
    kb: &'k Knowledge,
    name: &str,
) -> Result<(&'k str, &'k Role), QueryError> {
    if let Some((k, r)) = kb.roles.get_key_value(name) {
        return Ok((k.as_str(), r));
    }
    if name.starts_with("projects/") || name.starts_with("organizations/") {
        return Err(QueryError::new(format!(
            "`{name}` is a custom role: scopelint knows only Google's predefined roles (roles/...)"
        )));
    }
    if !name.starts_with("roles/")
        && let Some((k, r)) = kb.roles.get_key_value(&format!("roles/{name}"))
    {
        return Ok((k.as_str(), r));
    }
    Err(
        QueryError::new(format!("unknown role `{name}`")).with_nearest(nearest_n(
            name,
            kb.roles.keys().map(String::as_str),
            5,
        )),
    )
}
