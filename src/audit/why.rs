//! `scopelint why-403`: reads the body of a refused Google API call and says
//! whether the OAuth scopes are the cause, which scopes the API accepts, and
//! which one to add. The body is what client libraries and `curl` print: JSON
//! with `error.status` and `error.details[]` holding a
//! `type.googleapis.com/google.rpc.ErrorInfo` (`reason`, `metadata.service`,
//! `metadata.method`), or the plain text of the message.

use crate::knowledge::{CLOUD_PLATFORM, Knowledge, MethodScopes};
use serde::Serialize;
use std::collections::BTreeSet;

/// Why the call was refused, as far as the body tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    /// `ACCESS_TOKEN_SCOPE_INSUFFICIENT`: the token lacks a scope the method accepts.
    Scopes,
    /// `IAM_PERMISSION_DENIED`: the identity lacks a role; scopes are not the cause.
    Iam,
    /// `SERVICE_DISABLED`: the API is not enabled in the project.
    ServiceDisabled,
    /// The body names none of the above.
    Unknown,
}

/// What the error body says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ErrorBody {
    pub reason: Option<String>,
    pub status: Option<String>,
    pub message: Option<String>,
    pub service: Option<String>,
    pub method: Option<String>,
}

impl ErrorBody {
    /// Reads an error body: JSON (also a one-element array, as some tools
    /// print it), else plain text, from which the reason and the host are picked.
    pub fn parse(text: &str) -> ErrorBody {
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(text.trim()) {
            let value = value.get(0).cloned().unwrap_or(value);
            if let Some(error) = value.get("error") {
                return ErrorBody::from_json(error);
            }
        }
        ErrorBody::from_text(text)
    }

    fn from_json(error: &serde_json::Value) -> ErrorBody {
        let text = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).map(str::to_string);
        let mut body = ErrorBody {
            status: text(error.get("status")),
            message: text(error.get("message")),
            ..ErrorBody::default()
        };
        let details = error.get("details").and_then(|d| d.as_array());
        for detail in details.into_iter().flatten() {
            let is_info = detail
                .get("@type")
                .and_then(|t| t.as_str())
                .is_some_and(|t| t.ends_with("google.rpc.ErrorInfo"));
            if is_info {
                body.reason = text(detail.get("reason"));
                let metadata = detail.get("metadata");
                body.service = text(metadata.and_then(|m| m.get("service")));
                body.method = text(metadata.and_then(|m| m.get("method")));
            }
        }
        // Older APIs put only the message: read it like plain text.
        let from_message = ErrorBody::from_text(body.message.as_deref().unwrap_or(""));
        body.reason = body.reason.or(from_message.reason);
        body.service = body.service.or(from_message.service);
        body
    }

    fn from_text(text: &str) -> ErrorBody {
        const REASONS: [&str; 3] = [
            "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
            "IAM_PERMISSION_DENIED",
            "SERVICE_DISABLED",
        ];
        let mut reason = REASONS
            .iter()
            .find(|r| text.contains(**r))
            .map(|r| r.to_string());
        if reason.is_none() && text.contains("insufficient authentication scopes") {
            reason = Some(REASONS[0].to_string());
        }
        ErrorBody {
            reason,
            message: Some(text.trim().to_string()).filter(|t| !t.is_empty()),
            service: host_service(text),
            ..ErrorBody::default()
        }
    }

    pub fn cause(&self) -> Cause {
        match self.reason.as_deref() {
            Some("ACCESS_TOKEN_SCOPE_INSUFFICIENT") => Cause::Scopes,
            Some("IAM_PERMISSION_DENIED") => Cause::Iam,
            Some("SERVICE_DISABLED") => Cause::ServiceDisabled,
            _ => Cause::Unknown,
        }
    }
}

/// The API of the first `https://HOST/` in `text`, regional hosts included
/// (`us-central1-aiplatform.googleapis.com` is aiplatform.googleapis.com).
fn host_service(text: &str) -> Option<String> {
    let start = text.find("https://")? + "https://".len();
    let host: String = text
        .get(start..)?
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
        .collect();
    let host = host.strip_suffix(".googleapis.com")?;
    let name = host
        .rsplit('-')
        .next()
        .filter(|_| host.contains('-'))
        .unwrap_or(host);
    // `www.googleapis.com/storage/...` names no API by its host.
    (name != "www").then(|| format!("{name}.googleapis.com"))
}

/// The answer: the cause, what the API accepts, and what to add to `scopes`.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    pub error: ErrorBody,
    pub cause: Cause,
    /// The API as the knowledge base names it, when it knows it.
    pub api: Option<String>,
    /// Scopes every read or write method of the API accepts.
    pub accepted_by_every_method: Vec<String>,
    /// Scopes only some methods accept.
    pub accepted_by_some_methods: Vec<String>,
    /// The scopes the method named in the error accepts, when its service's
    /// configurations say.
    pub method_scopes: Option<MethodScopes>,
    /// The VM's scopes, when given.
    pub scopes: Option<Vec<String>>,
    /// The scope to add (none when a given scope is already accepted).
    pub add: Option<String>,
    pub explanation: Vec<String>,
}

/// Diagnoses `error` for a VM with `scopes` (short names), if known.
pub fn diagnose(kb: &Knowledge, error: ErrorBody, scopes: Option<Vec<String>>) -> Diagnosis {
    let cause = error.cause();
    let api = error
        .service
        .as_deref()
        .and_then(|s| kb.api(s))
        .map(|(name, api)| (name.to_string(), api));
    let (mut every, mut some) = (BTreeSet::new(), BTreeSet::new());
    if let Some((_, api)) = &api {
        let classes: Vec<_> = [&api.read, &api.write]
            .into_iter()
            .filter(|c| c.methods > 0)
            .collect();
        for c in &classes {
            some.extend(c.all.iter().cloned());
            some.extend(c.some.keys().cloned());
        }
        every = classes
            .iter()
            .map(|c| c.all.iter().cloned().collect::<BTreeSet<_>>())
            .reduce(|a, b| a.intersection(&b).cloned().collect())
            .unwrap_or_default();
        some.retain(|s| !every.contains(s));
    }
    let method_scopes = match (&error.service, &error.method, cause) {
        (Some(service), Some(method), Cause::Scopes) => kb.method_scopes(service, method),
        _ => None,
    };
    let given: Option<BTreeSet<&str>> = scopes
        .as_ref()
        .map(|s| s.iter().map(String::as_str).collect());
    let mut explanation = Vec::new();
    let service = error
        .service
        .clone()
        .unwrap_or_else(|| "the API".to_string());
    let mut add = None;
    match cause {
        Cause::Iam => explanation.push(format!(
            "IAM refused the call ({}): the identity lacks a permission on the resource; the scopes are not the cause. Grant a role that holds the permission; changing scopes will not help.",
            error.reason.as_deref().unwrap_or("IAM_PERMISSION_DENIED")
        )),
        Cause::ServiceDisabled => explanation.push(format!(
            "{service} is not enabled in the project (SERVICE_DISABLED): enable it (gcloud services enable {service}); the scopes are not the cause."
        )),
        Cause::Unknown => explanation.push(
            "the body names no cause scopelint knows (ACCESS_TOKEN_SCOPE_INSUFFICIENT, IAM_PERMISSION_DENIED, SERVICE_DISABLED): nothing is said about scopes".to_string(),
        ),
        Cause::Scopes => {
            explanation.push(format!(
                "the access token lacks every scope that {service}{} accepts (ACCESS_TOKEN_SCOPE_INSUFFICIENT): IAM was not asked. Scopes are set on the VM and change only while it is stopped.",
                error.method.as_deref().map(|m| format!(" ({m})")).unwrap_or_default()
            ));
            match (&api, &given, &method_scopes) {
                (_, Some(given), Some(m)) if m.scopes.iter().any(|s| given.contains(s.as_str())) => {
                    explanation.push(format!(
                        "a given scope is accepted by {}: the token in use may predate the change (the VM was not stopped and started since), or the call was made with other credentials",
                        error.method.as_deref().unwrap_or("the method")
                    ));
                }
                (_, _, Some(m)) => {
                    let pick = narrowest(&m.scopes);
                    explanation.push(format!(
                        "add {pick}: {} accepts {} ({})",
                        error.method.as_deref().unwrap_or("the method"),
                        m.scopes.join(", "),
                        m.source
                    ));
                    let method_takes_cp = m.scopes.iter().any(|s| s == CLOUD_PLATFORM);
                    if pick != CLOUD_PLATFORM && method_takes_cp {
                        explanation.push(if every.contains(CLOUD_PLATFORM) {
                            format!("{CLOUD_PLATFORM} covers this and every other method of {service}")
                        } else {
                            format!("{CLOUD_PLATFORM} covers this method too")
                        });
                    }
                    add = Some(pick);
                }
                (None, _, None) => explanation.push(format!(
                    "{service} is not in the knowledge base: which scopes it accepts is not known here; {CLOUD_PLATFORM} is accepted by every Google Cloud API"
                )),
                (Some(_), Some(given), None) if every.iter().any(|s| given.contains(s.as_str())) => {
                    explanation.push(
                        "a given scope is accepted by every method of the API: the token in use may predate the change (the VM was not stopped and started since), or the call was made with other credentials".to_string(),
                    );
                }
                (Some(_), _, None) => {
                    // The narrowest scope every method accepts, else cloud-platform.
                    let pick = every
                        .iter()
                        .find(|s| s.as_str() != CLOUD_PLATFORM && !s.ends_with(".read-only") && !s.ends_with(".readonly"))
                        .or_else(|| every.iter().find(|s| s.as_str() == CLOUD_PLATFORM))
                        .cloned()
                        .unwrap_or_else(|| CLOUD_PLATFORM.to_string());
                    explanation.push(format!("add {pick}: every method of {service} accepts it"));
                    add = Some(pick);
                }
            }
        }
    }
    Diagnosis {
        error,
        cause,
        api: api.map(|(name, _)| name),
        accepted_by_every_method: every.into_iter().collect(),
        accepted_by_some_methods: some.into_iter().collect(),
        method_scopes,
        scopes,
        add,
        explanation,
    }
}

/// The narrowest of the scopes a method accepts (all of them scopes the
/// knowledge base counts for its API): a read-only scope other than
/// `cloud-platform.read-only`, else another scope (one short of full control
/// or admin first), else `cloud-platform.read-only`, else `cloud-platform`.
fn narrowest(accepted: &[String]) -> String {
    let rank = |s: &str| {
        let read_only =
            s.ends_with("read_only") || s.ends_with("readonly") || s.ends_with(".read-only");
        let broad = s.ends_with("full_control") || s.ends_with(".admin") || s.ends_with("admin");
        match (s.starts_with(CLOUD_PLATFORM), read_only, broad) {
            (false, true, _) => 0,
            (false, false, false) => 1,
            (false, false, true) => 2,
            (true, true, _) => 3,
            (true, false, _) => 4,
        }
    };
    // Between equals, a qualified scope (`monitoring.write`) is narrower than its family's (`monitoring`).
    accepted
        .iter()
        .min_by_key(|s| (rank(s), !s.contains('.')))
        .cloned()
        .unwrap_or_else(|| CLOUD_PLATFORM.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{
      "error": {
        "code": 403,
        "message": "Request had insufficient authentication scopes.",
        "status": "PERMISSION_DENIED",
        "details": [
          {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
            "domain": "googleapis.com",
            "metadata": {
              "service": "aiplatform.googleapis.com",
              "method": "google.cloud.aiplatform.v1.PredictionService.GenerateContent"
            }
          }
        ]
      }
    }"#;

    #[test]
    fn error_info_names_reason_service_and_method() {
        let body = ErrorBody::parse(BODY);
        assert_eq!(body.cause(), Cause::Scopes);
        assert_eq!(body.service.as_deref(), Some("aiplatform.googleapis.com"));
        assert_eq!(
            body.method.as_deref(),
            Some("google.cloud.aiplatform.v1.PredictionService.GenerateContent")
        );
        assert_eq!(body.status.as_deref(), Some("PERMISSION_DENIED"));
    }

    #[test]
    fn plain_text_gives_the_reason_and_the_regional_host() {
        let body = ErrorBody::parse(
            "google.api_core.exceptions.PermissionDenied: 403 POST https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/publishers/google/models/gemini:generateContent: Request had insufficient authentication scopes.",
        );
        assert_eq!(body.cause(), Cause::Scopes);
        assert_eq!(body.service.as_deref(), Some("aiplatform.googleapis.com"));
        assert_eq!(
            ErrorBody::parse("IAM_PERMISSION_DENIED").cause(),
            Cause::Iam
        );
        assert_eq!(ErrorBody::parse("something else").cause(), Cause::Unknown);
        assert_eq!(
            host_service("https://www.googleapis.com/storage/v1/b"),
            None
        );
        assert_eq!(
            host_service("see https://pubsub.googleapis.com/v1/x"),
            Some("pubsub.googleapis.com".to_string())
        );
    }

    #[test]
    fn the_narrowest_scope_of_a_method() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            narrowest(&v(&["cloud-platform", "cloud-platform.read-only"])),
            "cloud-platform.read-only"
        );
        assert_eq!(
            narrowest(&v(&[
                "cloud-platform",
                "devstorage.full_control",
                "devstorage.read_write"
            ])),
            "devstorage.read_write"
        );
        assert_eq!(
            narrowest(&v(&[
                "cloud-platform",
                "devstorage.read_only",
                "cloud-platform.read-only"
            ])),
            "devstorage.read_only"
        );
        assert_eq!(narrowest(&v(&["cloud-platform"])), "cloud-platform");
        assert_eq!(
            narrowest(&v(&["monitoring", "monitoring.write"])),
            "monitoring.write"
        );
    }

    /// The method named in the body narrows the answer to what it accepts.
    #[test]
    fn a_named_method_is_judged_by_its_own_scopes() {
        let Ok(kb) = Knowledge::get() else {
            panic!("knowledge base");
        };
        let d = diagnose(
            kb,
            ErrorBody::parse(BODY),
            Some(vec!["devstorage.read_only".into()]),
        );
        let m = d.method_scopes.as_ref().map(|m| m.scopes.clone());
        assert_eq!(
            m,
            Some(vec![
                "cloud-platform".to_string(),
                "cloud-platform.read-only".to_string()
            ])
        );
        assert_eq!(d.add.as_deref(), Some("cloud-platform.read-only"));
        assert!(
            d.explanation
                .iter()
                .any(|e| e.contains("aiplatform_v1.yaml")),
            "{:?}",
            d.explanation
        );
        // A given scope the method accepts: the scopes are not what is missing.
        let d = diagnose(
            kb,
            ErrorBody::parse(BODY),
            Some(vec!["cloud-platform.read-only".into()]),
        );
        assert_eq!(d.add, None);
        // BigQuery jobs take no devstorage scope (the curated policy), even
        // where the service configuration lists them.
        let bq = BODY
            .replace("aiplatform.googleapis.com", "bigquery.googleapis.com")
            .replace(
                "google.cloud.aiplatform.v1.PredictionService.GenerateContent",
                "google.cloud.bigquery.v2.JobService.InsertJob",
            );
        let d = diagnose(
            kb,
            ErrorBody::parse(&bq),
            Some(vec!["devstorage.read_only".into()]),
        );
        if let Some(m) = &d.method_scopes {
            assert!(
                !m.scopes.iter().any(|s| s.starts_with("devstorage")),
                "{m:?}"
            );
        }
        assert_ne!(d.add, None, "{:?}", d.explanation);
        // A sample configuration's `*` does not answer for the real API.
        let compute = BODY
            .replace("aiplatform.googleapis.com", "compute.googleapis.com")
            .replace(
                "google.cloud.aiplatform.v1.PredictionService.GenerateContent",
                "google.cloud.compute.v1.Instances.Get",
            );
        assert_eq!(
            diagnose(kb, ErrorBody::parse(&compute), None).method_scopes,
            None
        );
        // A method no configuration names: judged by the API as before.
        let other = BODY.replace("PredictionService.GenerateContent", "NoSuchService.Call");
        let d = diagnose(kb, ErrorBody::parse(&other), None);
        assert_eq!(d.method_scopes, None);
        assert_eq!(d.add.as_deref(), Some("cloud-platform"));
    }
}
