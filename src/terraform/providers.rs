//! Which `google` provider configuration a resource uses, and so which
//! project it is in when it names none: `provider = google.ml` picks the
//! configuration with `alias = "ml"` (also `google-beta`), and a module call's
//! `providers = { google = google.ml }` hands a configuration of the caller
//! to the module under another name. A resource without `provider` uses the
//! default configuration, which a module inherits from its caller when the
//! call does not map it.

use super::eval::{Evaluator, Val};
use super::module::{GOOGLE_PROVIDERS, Res, literal_text};
use hcl::edit::expr::{Expression, ObjectKey, TraversalOperator};

/// The configuration a `provider` reference names, as `NAME` or `NAME.ALIAS`
/// (`google.ml`); `None` for anything that is not a Google provider reference.
pub fn reference(expr: &Expression) -> Option<String> {
    let name = match expr {
        Expression::Variable(v) => v.as_str().to_string(),
        Expression::Traversal(t) => {
            let Expression::Variable(root) = &t.expr else {
                return None;
            };
            match t.operators.iter().map(|o| o.value()).collect::<Vec<_>>()[..] {
                [TraversalOperator::GetAttr(alias)] => {
                    format!("{}.{}", root.as_str(), alias.as_str())
                }
                _ => return None,
            }
        }
        // The JSON syntax writes the reference as a string.
        other => literal_text(other)?.trim().to_string(),
    };
    let local = name.split('.').next().unwrap_or_default();
    GOOGLE_PROVIDERS.contains(&local).then_some(name)
}

/// The caller's configuration a module call passes under `name`
/// (`providers = { google = google.ml }` passes `google.ml` as `google`).
pub fn passed_as(call: &Res<'_>, name: &str) -> Option<String> {
    let Expression::Object(map) = call.attr("providers")?.expr else {
        return None;
    };
    map.iter().find_map(|(key, value)| {
        let key = match key {
            ObjectKey::Ident(id) => id.as_str().to_string(),
            ObjectKey::Expression(e) => reference(e)?,
        };
        (key == name).then(|| reference(value.expr())).flatten()
    })
}

impl Evaluator<'_, '_> {
    /// The project of the provider configuration a resource uses, when the
    /// resource has no `project` of its own.
    pub fn resource_provider_project(&self, res: &Res<'_>) -> Option<Val> {
        match res.attr("provider").map(|d| reference(d.expr)) {
            // Some other provider's resource, or a reference not understood.
            Some(None) => None,
            Some(Some(name)) if name != "google" => self.named_provider_project(&name),
            _ => self.default_provider_project(),
        }
    }

    /// The project of the default configuration: this module's, else the one
    /// the caller passes as `google`, else the caller's default.
    pub fn default_provider_project(&self) -> Option<Val> {
        if let Some(d) = self.idx().provider_project {
            return Some(self.def(d, &Default::default()));
        }
        match self.calling_block().and_then(|c| passed_as(&c, "google")) {
            Some(name) => self.parent()?.named_provider_project(&name),
            None => self.parent()?.default_provider_project(),
        }
    }

    /// The project of the configuration `name` (`google.ml`, `google-beta`).
    fn named_provider_project(&self, name: &str) -> Option<Val> {
        if name == "google" {
            return self.default_provider_project();
        }
        if let Some(project) = self.idx().provider_projects.get(name) {
            return project.map(|d| self.def(d, &Default::default()));
        }
        match self.calling_block().and_then(|c| passed_as(&c, name)) {
            Some(passed) => self.parent()?.named_provider_project(&passed),
            // A default configuration (no alias) is inherited; an alias must be passed.
            None if !name.contains('.') => self.parent()?.named_provider_project(name),
            None => None,
        }
    }
}

impl Evaluator<'_, '_> {
    /// The project a `google_project` data source reads: its `project_id`,
    /// else its provider configuration's project.
    pub fn project_data_id(&self, data: &Res<'_>) -> Option<String> {
        let v = match data.attr("project_id") {
            Some(d) => self.def(d, &Default::default()),
            None => self.resource_provider_project(data)?,
        };
        v.as_str()
            .filter(|s| !s.trim().is_empty() && !crate::model::marker::is_symbolic(s))
            .map(str::to_string)
    }
}
