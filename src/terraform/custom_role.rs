//! The name a custom role defined in the configuration is granted by:
//! `google_project_iam_custom_role.x.id` (or `.name`) is
//! `projects/PROJECT/roles/ROLE_ID`, and `google_organization_iam_custom_role`'s
//! is `organizations/ORG_ID/roles/ROLE_ID` (the IAM API's role names, which
//! the provider reports as both attributes), so a grant through a reference
//! names the same role as one that writes the name out.

use super::eval::{Env, Evaluator, V, Val};
use super::module::Res;
use super::object::ResourceInst;

use crate::model::{RoleDefinition, marker};

/// The resource types that define a custom role.
pub fn is_custom_role(ty: &str) -> bool {
    matches!(
        ty,
        "google_project_iam_custom_role" | "google_organization_iam_custom_role"
    )
}

impl Evaluator<'_, '_> {
    /// The full name of a custom role resource, when its ID and its project
    /// (or organization) are literal.
    pub fn custom_role_name(&self, ty: &str, res: &Res<'_>, env: &Env) -> Option<String> {
        let literal = |v: Val| {
            v.as_str()
                .map(str::trim)
                .filter(|s| !s.is_empty() && !marker::is_symbolic(s) && !s.contains('/'))
                .map(str::to_string)
        };
        let role_id = literal(self.def(res.attr("role_id")?, env))?;
        let parent = match ty {
            "google_project_iam_custom_role" => format!("projects/{}", {
                let project = self.project_of(res, env)?;
                literal(Val::str(project, None))?
            }),
            _ => format!(
                "organizations/{}",
                literal(self.def(res.attr("org_id")?, env))?
            ),
        };
        Some(format!("{parent}/roles/{role_id}"))
    }
}

/// The definition a custom role resource gives: its name and the permissions
/// it lists (`None` unless every one is a known string). `None` when its name
/// is not known.
pub fn definition(inst: &ResourceInst) -> Option<RoleDefinition> {
    let literal = |s: &str| {
        let s = s.trim();
        (!s.is_empty() && !marker::is_symbolic(s) && !s.contains('/')).then(|| s.to_string())
    };
    let text = |key: &str| {
        inst.body
            .get(key)
            .and_then(|f| f.val.as_str().and_then(literal))
    };
    let role_id = text("role_id")?;
    let parent = match inst.kind.as_str() {
        "google_project_iam_custom_role" => {
            format!("projects/{}", literal(inst.project.as_deref()?)?)
        }
        _ => format!("organizations/{}", text("org_id")?),
    };
    let field = inst.body.get("permissions");
    let permissions = field.as_ref().and_then(|f| match &f.val.v {
        V::List(items) => items
            .iter()
            .map(|v| v.as_str().and_then(literal))
            .collect::<Option<Vec<String>>>(),
        _ => None,
    });
    let loc = field
        .and_then(|f| f.val.loc.or(f.at))
        .unwrap_or_else(|| inst.header.clone());
    Some(RoleDefinition {
        name: format!("{parent}/roles/{role_id}"),
        permissions,
        disabled: text("stage").is_some_and(|s| s.eq_ignore_ascii_case("DISABLED")),
        file: Vec::new(),
        loc,
        address: inst.address.clone(),
    })
}
