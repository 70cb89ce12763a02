//! The deployment units of an audit: one per project, whatever export a
//! resource comes from, so grants and instances of a project meet.

use crate::model::Unit;

/// The deployment unit of a project's resources.
pub(super) fn unit_of(project: Option<&str>) -> Unit {
    Unit::new(&format!("project {}", project.unwrap_or("(unknown)")))
}
