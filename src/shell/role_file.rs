//! Custom role definitions a script reads from a file (`gcloud iam roles
//! create --file=role.yaml`): the YAML's `includedPermissions`, read through
//! the same guarded reader as the scripts' other files, inside the tree only.

use super::startup::{Known, ReadFile};
use crate::model::{Model, Unresolved};
use crate::source::{Loc, Sources};
use crate::yaml;

/// Fills in the permissions of every definition read from a file; a file
/// that cannot be read or holds no list of permissions leaves them unknown
/// (`--verbose` says why).
pub fn resolve(model: &mut Model, sources: &mut Sources, read: ReadFile<'_>) {
    let mut known = Known::default();
    let mut notes = Vec::new();
    for d in model
        .role_definitions
        .iter_mut()
        .filter(|d| d.permissions.is_none() && !d.file.is_empty())
    {
        let found = known.first_readable(sources, &d.file, read);
        let listed = found.as_ref().ok().and_then(|&id| {
            let file = sources.get(id)?;
            let doc = yaml::parse(file.body()).ok()?;
            let list = doc.get("includedPermissions")?;
            let permissions = list
                .items()
                .iter()
                .map(|n| n.as_str().map(|s| s.trim().to_string()))
                .collect::<Option<Vec<String>>>()?;
            // From the list's start to the end of its last item, as written.
            let start = list.at + file.bom;
            let end = list.items().last().map_or(start + 1, |n| {
                n.at + file.bom + n.as_str().map_or(1, str::len)
            });
            Some((permissions, Loc::new(id, start..end.max(start + 1))))
        });
        match (listed, found) {
            (Some((permissions, loc)), _) => {
                d.permissions = Some(permissions);
                d.loc = loc;
            }
            (None, Ok(_)) => notes.push(Unresolved {
                loc: d.loc.clone(),
                what: format!(
                    "{}: custom role {}: its definition file has no list of includedPermissions",
                    d.address, d.name
                ),
            }),
            (None, Err(why)) => notes.push(Unresolved {
                loc: d.loc.clone(),
                what: format!(
                    "{}: custom role {}: its definition file is not read ({why})",
                    d.address, d.name
                ),
            }),
        }
    }
    model.unresolved.extend(notes);
}
