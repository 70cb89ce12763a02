//! Cloud Asset Inventory exports: one JSON asset per line, as
//! `gcloud asset export --content-type=resource` and `--content-type=iam-policy`
//! write them (field names in either case: `assetType` or `asset_type`).
//! The export is read a line at a time and never held whole: only the lines
//! of the asset types read are parsed, and only what a record contributes to
//! the model is kept (and the lines holding an IAM policy, read last).

use super::instances::{self, Running};
use super::json::{Node, segment_after};
use super::policies;
use super::text::Digest;
use super::unit::unit_of;
use crate::model::{EnabledApi, Model, Project};
use crate::source::{FileId, Loc};
use std::collections::HashMap;
use std::io::BufRead;

/// The asset types read, and the IAM policy of any resource.
const READ: [&str; 4] = [
    "compute.googleapis.com/Instance",
    "container.googleapis.com/NodePool",
    "serviceusage.googleapis.com/Service",
    "cloudresourcemanager.googleapis.com/Project",
];

/// A line that could not be parsed: its number, column and why.
pub type LineError = (usize, usize, String);

/// What one export contributes, read to its end.
pub struct Export {
    pub model: Model,
    /// The VMs' states.
    pub running: Vec<Running>,
    /// The lines in error.
    pub errors: Vec<LineError>,
    /// Bytes read, and their digest (to tell the text read again for the report is the same).
    pub size: u64,
    pub digest: u64,
}

/// Reads every asset of an export, one line at a time. `Err` when the file
/// cannot be read to its end or is not UTF-8: then nothing of it counts.
pub fn read(input: &mut impl BufRead, file: FileId) -> Result<Export, String> {
    let mut model = Model::default();
    let mut running = Vec::new();
    let mut errors = Vec::new();
    // Services and policies name projects by number; Project assets give their IDs.
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut services: Vec<(String, Loc, Option<String>)> = Vec::new();
    // Lines holding an IAM policy, kept for after the first pass.
    let mut with_policy: Vec<(String, usize)> = Vec::new();
    let mut digest = Digest::default();
    let mut bytes = Vec::new();
    let mut offset = 0;
    for index in 0.. {
        bytes.clear();
        let n = input
            .read_until(b'\n', &mut bytes)
            .map_err(|e| format!("cannot read file: {e}"))?;
        if n == 0 {
            break;
        }
        digest.add(&bytes);
        // A line break never falls inside a character: the file is UTF-8 if every line is.
        let line =
            std::str::from_utf8(&bytes).map_err(|_| "cannot read file: not UTF-8".to_string())?;
        let start = offset;
        offset += line.len();
        let relevant = READ.iter().any(|t| line.contains(t))
            || line.contains("\"iamPolicy\"")
            || line.contains("\"iam_policy\"");
        if line.trim().is_empty() || !relevant {
            continue;
        }
        let value = match crate::terraform::json::parse_value(line) {
            Ok(v) => v,
            Err(e) => {
                errors.push((index + 1, e.column, format!("cannot parse: {}", e.message)));
                continue;
            }
        };
        let asset = Node::at_offset(&value, file, start);
        let kind = asset
            .str_at(&["assetType"])
            .or_else(|| asset.str_at(&["asset_type"]))
            .unwrap_or("");
        let name = asset.str_at(&["name"]).unwrap_or("");
        let data = asset.at(&["resource", "data"]);
        match (kind, data) {
            ("compute.googleapis.com/Instance", Some(data)) => {
                if let Some(w) = instances::instance(data, &mut model) {
                    running.push(Running {
                        address: w.address.clone(),
                        status: data.str_at(&["status"]).unwrap_or("").to_string(),
                    });
                    model.workloads.push(w);
                }
            }
            ("container.googleapis.com/NodePool", Some(data)) => {
                let link = data.str_at(&["selfLink"]).unwrap_or(name).to_string();
                instances::node_pool(data, &link, &mut model);
            }
            ("serviceusage.googleapis.com/Service", Some(data)) => {
                let enabled = data.str_at(&["state"]).is_none_or(|s| s == "ENABLED");
                let service = data
                    .str_at(&["config", "name"])
                    .or_else(|| segment_after(name, "services"));
                if let (true, Some(service)) = (enabled, service) {
                    let number = segment_after(name, "projects").map(str::to_string);
                    services.push((service.to_string(), data.loc(), number));
                }
            }
            ("cloudresourcemanager.googleapis.com/Project", Some(data)) => {
                let number = data.str_at(&["projectNumber"]);
                if let (Some(n), Some(id)) = (number, data.str_at(&["projectId"])) {
                    ids.insert(n.to_string(), id.to_string());
                }
            }
            _ => {}
        }
        if asset
            .get("iamPolicy")
            .or_else(|| asset.get("iam_policy"))
            .is_some()
        {
            with_policy.push((line.to_string(), start));
        }
    }
    // Policies last, once every Project asset has told its ID.
    for (line, start) in &with_policy {
        let Ok(value) = crate::terraform::json::parse_value(line) else {
            continue;
        };
        let asset = Node::at_offset(&value, file, *start);
        let Some(policy) = asset.get("iamPolicy").or_else(|| asset.get("iam_policy")) else {
            continue;
        };
        let name = asset.str_at(&["name"]).unwrap_or("");
        let holder = name
            .strip_prefix("//cloudresourcemanager.googleapis.com/")
            .unwrap_or(name);
        let project =
            segment_after(holder, "projects").map(|p| ids.get(p).map_or(p, String::as_str));
        policies::iam_policy(policy, holder, project, &mut model);
    }
    for (service, loc, number) in services {
        let id = number.as_ref().and_then(|n| ids.get(n));
        model.enabled_apis.push(EnabledApi {
            service,
            loc,
            unit: unit_of(id.or(number.as_ref()).map(String::as_str)),
            project: match (id, number) {
                (Some(id), _) => Project::id(id),
                (None, n) => n.map(Project::Number),
            },
        });
    }
    Ok(Export {
        model,
        running,
        errors,
        size: offset as u64,
        digest: digest.finish(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::io::{BufReader, Read};

    const EXPORT: &str = concat!(
        "{\"name\":\"//cloudresourcemanager.googleapis.com/projects/42\",\"asset_type\":\"cloudresourcemanager.googleapis.com/Project\",\"resource\":{\"data\":{\"projectNumber\":\"42\",\"projectId\":\"my-app\"}}}\n",
        "{\"name\":\"//storage.googleapis.com/b\",\"asset_type\":\"storage.googleapis.com/Bucket\"}\n",
        "{\"name\":\"//compute.googleapis.com/projects/my-app/zones/z/instances/vm\",\"asset_type\":\"compute.googleapis.com/Instance\",\"resource\":{\"data\":{\"name\":\"vm\",\"zone\":\"projects/my-app/zones/z\",\"status\":\"RUNNING\",\"serviceAccounts\":[{\"email\":\"a@my-app.iam.gserviceaccount.com\",\"scopes\":[\"https://www.googleapis.com/auth/devstorage.read_only\"]}]}}}\n",
        "{\"name\":\"//compute.googleapis.com/projects/my-app/zones/z/instances/broken\",\"asset_type\":\"compute.googleapis.com/Instance\",\n",
        "{\"name\":\"//cloudresourcemanager.googleapis.com/projects/42\",\"asset_type\":\"cloudresourcemanager.googleapis.com/Project\",\"iam_policy\":{\"bindings\":[{\"role\":\"roles/aiplatform.user\",\"members\":[\"serviceAccount:a@my-app.iam.gserviceaccount.com\"]}]}}",
    );

    /// Hands out its input a few bytes at a time and counts what it handed
    /// out, so a test sees how far the export had been read.
    struct Trickle<'t> {
        rest: &'t [u8],
        given: std::rc::Rc<std::cell::Cell<usize>>,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.rest.len()).min(7);
            let (now, later) = self.rest.split_at(n);
            buf[..n].copy_from_slice(now);
            self.rest = later;
            self.given.set(self.given.get() + n);
            Ok(n)
        }
    }

    fn trickle(text: &str) -> (BufReader<Trickle<'_>>, std::rc::Rc<std::cell::Cell<usize>>) {
        let given = std::rc::Rc::new(std::cell::Cell::new(0));
        let reader = Trickle {
            rest: text.as_bytes(),
            given: given.clone(),
        };
        (BufReader::with_capacity(16, reader), given)
    }

    /// Records split over many small reads land where they are in the file:
    /// places are offsets into the whole export, line numbers count every line.
    #[test]
    fn an_export_read_in_pieces_keeps_every_place() {
        let (mut input, given) = trickle(EXPORT);
        let export = read(&mut input, FileId(0)).unwrap();
        assert_eq!(given.get(), EXPORT.len());
        assert_eq!(export.size, EXPORT.len() as u64);
        let [w] = export.model.workloads.as_slice() else {
            panic!("one VM: {:?}", export.model.workloads);
        };
        let block = EXPORT.get(w.block.span.clone()).unwrap();
        assert!(block.starts_with("{\"name\":\"vm\""), "{block}");
        assert!(block.ends_with("]}]}"), "{block}");
        assert_eq!(w.project.as_deref(), Some("my-app"));
        let [g] = export.model.grants.as_slice() else {
            panic!("one grant: {:?}", export.model.grants);
        };
        assert_eq!(g.role, "roles/aiplatform.user");
        assert_eq!(
            EXPORT.get(g.loc.span.clone()),
            Some("\"serviceAccount:a@my-app.iam.gserviceaccount.com\"")
        );
        assert_eq!(export.errors.len(), 1);
        assert_eq!(export.errors[0].0, 4);
        assert_eq!(export.running.len(), 1);
    }

    /// The export is read as a stream: a read that fails part way is the
    /// file's error, after the lines before it were taken one at a time.
    #[test]
    fn a_read_that_fails_part_way_is_an_error() {
        struct Failing<'t>(&'t [u8]);
        impl Read for Failing<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.0.is_empty() {
                    return Err(std::io::Error::other("device gone"));
                }
                let n = buf.len().min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut input = BufReader::new(Failing(EXPORT.as_bytes()));
        let err = read(&mut input, FileId(0)).err();
        assert_eq!(err.as_deref(), Some("cannot read file: device gone"));
        let mut input = BufReader::new(&b"{\"name\":\"\xff\"}\n"[..]);
        let err = read(&mut input, FileId(0)).err();
        assert_eq!(err.as_deref(), Some("cannot read file: not UTF-8"));
    }
}
