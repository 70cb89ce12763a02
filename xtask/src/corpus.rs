//! A deterministic generator of realistic Terraform trees for benchmarks and
//! scale tests (`cargo run --release -p xtask -- gen-corpus`).
//!
//! The tree holds module directories under `org-*/env-*/`, each with the files
//! of a typical Google Cloud service: versions and enabled APIs, variables,
//! locals, service accounts, project and resource-level IAM, instances with
//! startup scripts, instance templates and groups, a GKE cluster with node
//! pools, networking, outputs and tfvars. Scopes, identities and roles are
//! drawn so that some workloads are fine and some get findings. The same
//! `--seed` gives the same bytes.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Bumped whenever the output for a seed changes (the benchmark caches corpora by it).
pub const GENERATOR_VERSION: u32 = 1;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Input files in all (`.tf` and `.tfvars`).
    pub files: usize,
    /// Files per module directory (at least 4).
    pub per_module: usize,
    pub seed: u64,
    /// Percent of modules whose workloads run as the Compute Engine default
    /// service account (each module is its own project); a third as many
    /// workloads elsewhere use it too. 25 by default.
    pub default_sa_percent: usize,
}

/// What was written.
#[derive(Debug, Clone, Default)]
pub struct Written {
    pub files: usize,
    pub bytes: u64,
    pub modules: usize,
    pub resources: usize,
}

/// splitmix64: deterministic on every platform.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5c0b_e11e_0000_0001)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// The files of a module, in the order they are produced; past the end, extra
/// instance and network files follow (a module of 50 files, the pre-commit case).
const BASE_FILES: &[&str] = &[
    "versions.tf",
    "variables.tf",
    "locals.tf",
    "service_accounts.tf",
    "iam.tf",
    "iam_resources.tf",
    "instances.tf",
    "templates.tf",
    "gke.tf",
    "network.tf",
    "outputs.tf",
    "terraform.tfvars",
];

const ROLES: &[&str] = &[
    "roles/aiplatform.user",
    "roles/pubsub.publisher",
    "roles/pubsub.subscriber",
    "roles/storage.objectViewer",
    "roles/storage.objectAdmin",
    "roles/secretmanager.secretAccessor",
    "roles/bigquery.dataEditor",
    "roles/bigquery.jobUser",
    "roles/bigquery.dataViewer",
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/cloudtrace.agent",
    "roles/cloudsql.client",
    "roles/datastore.user",
    "roles/run.invoker",
    "roles/iam.serviceAccountUser",
    "roles/artifactregistry.reader",
    "roles/cloudkms.cryptoKeyEncrypterDecrypter",
];

const APIS: &[&str] = &[
    "compute.googleapis.com",
    "container.googleapis.com",
    "iam.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "pubsub.googleapis.com",
    "storage.googleapis.com",
    "secretmanager.googleapis.com",
    "bigquery.googleapis.com",
    "aiplatform.googleapis.com",
    "sqladmin.googleapis.com",
    "artifactregistry.googleapis.com",
    "cloudkms.googleapis.com",
];

const ALIAS_SCOPES: &[&str] = &[
    "cloud-platform",
    "storage-ro",
    "storage-rw",
    "logging-write",
    "monitoring-write",
    "pubsub",
    "bigquery",
    "datastore",
    "sql-admin",
    "trace",
    "service-control",
    "service-management",
];

const DEFAULT_SCOPES: &str = "[\n    \"storage-ro\",\n    \"logging-write\",\n    \"monitoring-write\",\n    \"service-control\",\n    \"service-management\",\n    \"trace\",\n  ]";

const MACHINE_TYPES: &[&str] = &[
    "e2-small",
    "e2-medium",
    "e2-standard-2",
    "e2-standard-4",
    "n2-standard-2",
    "n2-standard-8",
    "c3-standard-4",
    "t2d-standard-2",
];

const IMAGES: &[&str] = &[
    "debian-cloud/debian-12",
    "ubuntu-os-cloud/ubuntu-2404-lts-amd64",
    "cos-cloud/cos-stable",
    "rocky-linux-cloud/rocky-linux-9",
];

const TEAMS: &[&str] = &[
    "payments", "search", "checkout", "ledger", "ml", "ingest", "notify", "catalog", "identity",
    "reports", "media", "billing",
];

/// Writes the corpus under `out` (created if needed; existing files are overwritten).
pub fn generate(spec: &Spec, out: &Path) -> std::io::Result<Written> {
    let per_module = spec.per_module.max(4);
    let modules = spec.files.div_ceil(per_module);
    let mut rng = Rng::new(spec.seed);
    let mut written = Written::default();
    let mut left = spec.files;
    for m in 0..modules {
        let count = left.min(per_module);
        left -= count;
        let team = TEAMS[m % TEAMS.len()];
        let dir = out
            .join(format!("org-{}", m / 400))
            .join(format!(
                "env-{}",
                ["prod", "staging", "dev", "sandbox"][(m / 100) % 4]
            ))
            .join(format!("{team}-{m:05}"));
        std::fs::create_dir_all(&dir)?;
        let module = Module::new(&mut rng, m, team, spec.default_sa_percent);
        for i in 0..count {
            let (name, text, resources) = module.file(&mut rng, i);
            write(&dir.join(&name), &text)?;
            written.files += 1;
            written.bytes += text.len() as u64;
            written.resources += resources;
        }
        // HOOK (shell front end): once scopelint reads gcloud scripts, write a
        // `deploy.sh` here with `gcloud compute instances create --scopes=...`
        // lines for some of the module's instances, and count it in `written`.
        written.modules += 1;
    }
    Ok(written)
}

fn write(path: &Path, text: &str) -> std::io::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    f.write_all(text.as_bytes())?;
    f.flush()
}

/// The names one module's files share.
struct Module {
    index: usize,
    team: &'static str,
    project: String,
    accounts: Vec<String>,
    /// Whether the module's instances use the default compute account.
    default_sa: bool,
    /// Percent of other workloads that use it.
    default_sa_elsewhere: usize,
    roles: Vec<(&'static str, usize)>,
}

impl Module {
    fn new(rng: &mut Rng, index: usize, team: &'static str, default_sa: usize) -> Module {
        let accounts: Vec<String> = (0..rng.range(3, 6))
            .map(|i| {
                format!(
                    "{team}-{}",
                    ["app", "worker", "batch", "api", "cron", "etl"][i]
                )
            })
            .collect();
        let roles = (0..rng.range(20, 45))
            .map(|_| {
                (
                    ROLES[rng.below(ROLES.len())],
                    rng.below(accounts.len() + 1), // == len: the default account
                )
            })
            .collect();
        Module {
            index,
            team,
            project: format!(
                "{team}-{}-{:04}",
                ["prod", "stg", "dev"][index % 3],
                index % 9973
            ),
            accounts,
            default_sa: rng.chance(default_sa),
            default_sa_elsewhere: default_sa / 3,
            roles,
        }
    }

    /// The `i`-th file: its name, text and how many resources it declares.
    fn file(&self, rng: &mut Rng, i: usize) -> (String, String, usize) {
        let base = BASE_FILES.get(i).copied();
        let extra = i.saturating_sub(BASE_FILES.len());
        let (name, kind) = match base {
            Some(name) => (name.to_string(), name),
            None if extra % 5 == 4 => (format!("network_{extra:02}.tf"), "network.tf"),
            None if extra % 7 == 6 => (format!("z{extra:02}.auto.tfvars"), "terraform.tfvars"),
            None => (format!("instances_{extra:02}.tf"), "instances.tf"),
        };
        let mut t = String::with_capacity(12 * 1024);
        if kind.ends_with(".tf") {
            let _ = write!(
                t,
                "# {name}: {team} service, module {index}.\n#\n# Owned by the {team} team; changes go through the infrastructure review.\n# Keep resources grouped by purpose and labelled with local.common_labels,\n# so that cost reports and alert routing pick them up.\n\n",
                team = self.team,
                index = self.index,
            );
        }
        let resources = match kind {
            "versions.tf" => self.versions(rng, &mut t),
            "variables.tf" => self.variables(rng, &mut t),
            "locals.tf" => self.locals(rng, &mut t),
            "service_accounts.tf" => self.service_accounts(&mut t),
            "iam.tf" => self.iam(rng, &mut t),
            "iam_resources.tf" => self.iam_resources(rng, &mut t),
            "instances.tf" => self.instances(rng, &mut t, extra),
            "templates.tf" => self.templates(rng, &mut t),
            "gke.tf" => self.gke(rng, &mut t),
            "network.tf" => self.network(rng, &mut t, extra),
            "outputs.tf" => self.outputs(&mut t),
            _ => self.tfvars(rng, &mut t),
        };
        (name, t, resources)
    }

    fn versions(&self, rng: &mut Rng, t: &mut String) -> usize {
        let _ = write!(
            t,
            r#"terraform {{
  required_version = ">= 1.5.0"

  required_providers {{
    google = {{
      source  = "hashicorp/google"
      version = "~> 6.{minor}"
    }}
    google-beta = {{
      source  = "hashicorp/google-beta"
      version = "~> 6.{minor}"
    }}
  }}

  backend "gcs" {{
    bucket = "tfstate-{project}"
    prefix = "{team}/{index}"
  }}
}}

provider "google" {{
  project = var.project_id
  region  = var.region
}}

provider "google-beta" {{
  project = var.project_id
  region  = var.region
}}

resource "google_project_service" "enabled" {{
  for_each = toset([
"#,
            minor = rng.range(0, 12),
            project = self.project,
            team = self.team,
            index = self.index,
        );
        let n = rng.range(4, APIS.len());
        for api in APIS.iter().take(n) {
            let _ = writeln!(t, "    \"{api}\",");
        }
        t.push_str(
            "  ])\n\n  project            = var.project_id\n  service            = each.value\n  disable_on_destroy = false\n}\n",
        );
        1
    }

    fn variables(&self, rng: &mut Rng, t: &mut String) -> usize {
        let scopes = if rng.chance(50) {
            "[\"cloud-platform\"]".to_string()
        } else {
            DEFAULT_SCOPES.to_string()
        };
        let _ = write!(
            t,
            r#"variable "project_id" {{
  description = "The project that holds the {team} service."
  type        = string
  default     = "{project}"
}}

variable "region" {{
  description = "Region of the regional resources."
  type        = string
  default     = "europe-west1"
}}

variable "zone" {{
  description = "Zone of the zonal resources."
  type        = string
  default     = "europe-west1-b"
}}

variable "instance_scopes" {{
  description = "OAuth scopes of the service's VMs."
  type        = list(string)
  default     = {scopes}
}}

variable "machine_type" {{
  description = "Machine type of the service's VMs."
  type        = string
  default     = "{machine}"
}}

variable "replicas" {{
  description = "How many VMs the instance group runs."
  type        = number
  default     = {replicas}
}}

variable "labels" {{
  description = "Labels added to every resource."
  type        = map(string)
  default = {{
    team        = "{team}"
    cost-center = "cc-{cc}"
    managed-by  = "terraform"
  }}
}}
"#,
            team = self.team,
            project = self.project,
            machine = rng.pick(MACHINE_TYPES),
            replicas = rng.range(1, 6),
            cc = rng.range(1000, 9999),
        );
        for i in 0..rng.range(20, 40) {
            let _ = write!(
                t,
                "\nvariable \"feature_{i}\" {{\n  description = \"Toggles feature {i} of the {team} service.\"\n  type        = bool\n  default     = {}\n}}\n",
                rng.chance(50),
                team = self.team,
            );
        }
        0
    }

    fn locals(&self, rng: &mut Rng, t: &mut String) -> usize {
        let _ = write!(
            t,
            "locals {{\n  service = \"{team}\"\n  name_prefix = \"${{var.project_id}}-{team}\"\n  default_like_scopes = {DEFAULT_SCOPES}\n  worker_scopes = concat(local.default_like_scopes, [\"{extra}\"])\n  common_labels = merge(var.labels, {{\n    service = local.service\n  }})\n  zones = [\"europe-west1-b\", \"europe-west1-c\", \"europe-west1-d\"]\n  accounts = {{\n",
            team = self.team,
            extra = rng.pick(ALIAS_SCOPES),
        );
        for a in &self.accounts {
            let _ = writeln!(
                t,
                "    {a} = \"{a}@${{var.project_id}}.iam.gserviceaccount.com\""
            );
        }
        t.push_str("  }\n  ports = {\n");
        for i in 0..rng.range(3, 10) {
            let _ = writeln!(t, "    svc{i} = {}", 8000 + i);
        }
        t.push_str("  }\n  settings = {\n");
        for env in ["prod", "staging", "dev"] {
            let _ = writeln!(
                t,
                "    {env} = {{\n      replicas     = {}\n      machine_type = \"{}\"\n      disk_gb      = {}\n      preemptible  = {}\n      alert_email  = \"{}-oncall-{env}@example.com\"\n    }}",
                rng.range(1, 12),
                rng.pick(MACHINE_TYPES),
                rng.range(20, 500),
                env != "prod",
                self.team,
            );
        }
        t.push_str("  }\n}\n");
        0
    }

    fn service_accounts(&self, t: &mut String) -> usize {
        for a in &self.accounts {
            let _ = write!(
                t,
                "resource \"google_service_account\" \"{id}\" {{\n  project      = var.project_id\n  account_id   = \"{a}\"\n  display_name = \"{a} runtime identity\"\n  description  = \"Runs the {team} {a} workloads; managed by Terraform.\"\n}}\n\n",
                id = a.replace('-', "_"),
                team = self.team,
            );
        }
        self.accounts.len()
    }

    fn member(&self, who: usize) -> String {
        match self.accounts.get(who) {
            Some(a) => format!(
                "\"serviceAccount:${{google_service_account.{}.email}}\"",
                a.replace('-', "_")
            ),
            None => {
                "\"serviceAccount:${data.google_compute_default_service_account.default.email}\""
                    .to_string()
            }
        }
    }

    fn iam(&self, rng: &mut Rng, t: &mut String) -> usize {
        t.push_str("data \"google_compute_default_service_account\" \"default\" {\n  project = var.project_id\n}\n\n");
        let mut n = 1;
        for (i, (role, who)) in self.roles.iter().enumerate() {
            let _ = write!(
                t,
                "resource \"google_project_iam_member\" \"grant_{i}\" {{\n  project = var.project_id\n  role    = \"{role}\"\n  member  = {}\n}}\n\n",
                self.member(*who)
            );
            n += 1;
        }
        if rng.chance(40) {
            let _ = write!(
                t,
                "resource \"google_project_iam_binding\" \"log_writers\" {{\n  project = var.project_id\n  role    = \"roles/logging.logWriter\"\n  members = [\n"
            );
            for who in 0..self.accounts.len() {
                let _ = writeln!(t, "    {},", self.member(who));
            }
            t.push_str("  ]\n}\n");
            n += 1;
        }
        n
    }

    fn iam_resources(&self, rng: &mut Rng, t: &mut String) -> usize {
        let mut n = 0;
        for i in 0..rng.range(6, 12) {
            let who = rng.below(self.accounts.len() + 1);
            let _ = write!(
                t,
                r#"resource "google_storage_bucket" "data_{i}" {{
  name                        = "${{var.project_id}}-{team}-data-{i}"
  location                    = "EU"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  labels                      = local.common_labels

  versioning {{
    enabled = true
  }}

  lifecycle_rule {{
    condition {{
      age = {age}
    }}
    action {{
      type = "Delete"
    }}
  }}
}}

resource "google_storage_bucket_iam_member" "data_{i}" {{
  bucket = google_storage_bucket.data_{i}.name
  role   = "{role}"
  member = {member}
}}

"#,
                team = self.team,
                age = rng.range(30, 400),
                role = rng.pick(&["roles/storage.objectViewer", "roles/storage.objectAdmin"]),
                member = self.member(who),
            );
            n += 2;
        }
        let who = rng.below(self.accounts.len() + 1);
        let _ = write!(
            t,
            r#"resource "google_pubsub_topic" "events" {{
  name   = "{team}-events"
  labels = local.common_labels
}}

resource "google_pubsub_topic_iam_member" "publisher" {{
  topic  = google_pubsub_topic.events.name
  role   = "roles/pubsub.publisher"
  member = {member}
}}

resource "google_secret_manager_secret" "db_password" {{
  secret_id = "{team}-db-password"
  replication {{
    auto {{}}
  }}
}}

resource "google_secret_manager_secret_iam_member" "db_password" {{
  secret_id = google_secret_manager_secret.db_password.id
  role      = "roles/secretmanager.secretAccessor"
  member    = {member2}
}}
"#,
            team = self.team,
            member = self.member(who),
            member2 = self.member(rng.below(self.accounts.len() + 1)),
        );
        n + 4
    }

    /// The email and scopes expressions of a workload's identity.
    fn identity(&self, rng: &mut Rng) -> (String, String) {
        let email = if self.default_sa || rng.chance(self.default_sa_elsewhere) {
            match rng.below(3) {
                0 => "data.google_compute_default_service_account.default.email".to_string(),
                1 => "null".to_string(),
                _ => "\"default\"".to_string(),
            }
        } else {
            let a = self.accounts[rng.below(self.accounts.len())].replace('-', "_");
            format!("google_service_account.{a}.email")
        };
        // Most workloads are fine; about one in six gets a finding.
        let scopes = match rng.below(50) {
            0..=29 => "[\"cloud-platform\"]".to_string(),
            30..=37 => "[\"https://www.googleapis.com/auth/cloud-platform\"]".to_string(),
            38..=41 => "var.instance_scopes".to_string(),
            42..=43 => "local.default_like_scopes".to_string(),
            44..=45 => "local.worker_scopes".to_string(),
            _ => {
                let n = rng.range(1, 4);
                let items: Vec<String> = (0..n)
                    .map(|_| format!("\"{}\"", rng.pick(ALIAS_SCOPES)))
                    .collect();
                format!("[{}]", items.join(", "))
            }
        };
        (email, scopes)
    }

    /// The `service_account` block of an instance or template.
    fn service_account(&self, rng: &mut Rng) -> String {
        let (email, scopes) = self.identity(rng);
        format!("  service_account {{\n    email  = {email}\n    scopes = {scopes}\n  }}\n")
    }

    fn startup_script(&self, rng: &mut Rng, t: &mut String) {
        let _ = write!(
            t,
            "  metadata_startup_script = <<-EOT\n    #!/bin/bash\n    set -euo pipefail\n    apt-get update -q\n    apt-get install -yq ca-certificates curl jq\n    mkdir -p /opt/{team}\n    curl -fsSL \"https://storage.googleapis.com/${{var.project_id}}-{team}-artifacts/release-{rel}.tar.gz\" | tar -xz -C /opt/{team}\n    cat > /etc/systemd/system/{team}.service <<'UNIT'\n    [Unit]\n    Description={team} service\n    After=network-online.target\n    [Service]\n    ExecStart=/opt/{team}/bin/{team} --port={port} --log-format=json\n    Restart=always\n    [Install]\n    WantedBy=multi-user.target\n    UNIT\n    systemctl daemon-reload\n    systemctl enable --now {team}.service\n    # Ops Agent for logs and metrics\n    curl -sSO https://dl.google.com/cloudagents/add-google-cloud-ops-agent-repo.sh\n    bash add-google-cloud-ops-agent-repo.sh --also-install\n    cat > /etc/google-cloud-ops-agent/config.yaml <<'CFG'\n    logging:\n      receivers:\n        app:\n          type: files\n          include_paths: [/var/log/{team}/*.log]\n      service:\n        pipelines:\n          default_pipeline:\n            receivers: [app]\n    CFG\n    systemctl restart google-cloud-ops-agent\n  EOT\n",
            team = self.team,
            rel = rng.range(100, 999),
            port = 8000 + rng.below(100),
        );
    }

    fn instances(&self, rng: &mut Rng, t: &mut String, file: usize) -> usize {
        let n = rng.range(9, 16);
        for i in 0..n {
            let name = format!("vm_{file}_{i}");
            let counted = rng.chance(20);
            let _ = write!(
                t,
                "resource \"google_compute_instance\" \"{name}\" {{\n{count}  name         = \"${{local.name_prefix}}-{name}{suffix}\"\n  machine_type = var.machine_type\n  zone         = {zone}\n  tags         = [\"{team}\", \"ssh\", \"http-server\"]\n  labels       = local.common_labels\n\n  boot_disk {{\n    initialize_params {{\n      image = \"{image}\"\n      size  = {size}\n      type  = \"pd-balanced\"\n    }}\n  }}\n\n  network_interface {{\n    subnetwork = google_compute_subnetwork.main.id\n  }}\n\n  shielded_instance_config {{\n    enable_secure_boot = true\n  }}\n\n  metadata = {{\n    enable-oslogin = \"TRUE\"\n  }}\n\n",
                count = if counted { "  count        = 2\n" } else { "" },
                suffix = if counted { "-${count.index}" } else { "" },
                zone = if counted {
                    "local.zones[count.index]"
                } else {
                    "var.zone"
                },
                team = self.team,
                image = rng.pick(IMAGES),
                size = rng.range(10, 200),
            );
            if rng.chance(85) {
                self.startup_script(rng, t);
            }
            if self.default_sa_elsewhere == 0 || !rng.chance(5) {
                t.push('\n');
                t.push_str(&self.service_account(rng));
            }
            t.push_str("}\n\n");
        }
        n
    }

    fn templates(&self, rng: &mut Rng, t: &mut String) -> usize {
        let mut n = 0;
        for w in 0..rng.range(3, 6) {
            let _ = write!(
                t,
                "resource \"google_compute_instance_template\" \"worker{w}\" {{\n  name_prefix  = \"{team}-worker-\"\n  machine_type = var.machine_type\n  labels       = local.common_labels\n\n  disk {{\n    source_image = \"{image}\"\n    auto_delete  = true\n    boot         = true\n  }}\n\n  network_interface {{\n    subnetwork = google_compute_subnetwork.main.id\n  }}\n\n{sa}\n  lifecycle {{\n    create_before_destroy = true\n  }}\n}}\n\n",
                team = self.team,
                image = rng.pick(IMAGES),
                sa = self.service_account(rng),
            );
            let _ = write!(
                t,
                "resource \"google_compute_region_instance_group_manager\" \"worker{w}\" {{\n  name               = \"{team}-workers{w}\"\n  base_instance_name = \"{team}-worker\"\n  region             = var.region\n  target_size        = var.replicas\n\n  version {{\n    instance_template = google_compute_instance_template.worker{w}.id\n  }}\n\n  named_port {{\n    name = \"http\"\n    port = 8080\n  }}\n\n  auto_healing_policies {{\n    health_check      = google_compute_health_check.worker{w}.id\n    initial_delay_sec = 300\n  }}\n}}\n\nresource \"google_compute_health_check\" \"worker{w}\" {{\n  name = \"{team}-worker{w}-hc\"\n\n  http_health_check {{\n    port         = 8080\n    request_path = \"/healthz\"\n  }}\n}}\n\n",
                team = self.team,
            );
            n += 3;
        }
        if rng.chance(50) {
            let _ = write!(
                t,
                "resource \"google_compute_instance_from_template\" \"canary\" {{\n  name = \"{team}-canary\"\n  zone = var.zone\n\n  source_instance_template = google_compute_instance_template.worker0.self_link_unique\n{sa}}}\n",
                team = self.team,
                sa = if rng.chance(50) {
                    self.service_account(rng)
                } else {
                    String::new()
                },
            );
            n += 1;
        }
        n
    }

    fn gke(&self, rng: &mut Rng, t: &mut String) -> usize {
        let _ = write!(
            t,
            "resource \"google_container_cluster\" \"main\" {{\n  name     = \"{team}-gke\"\n  location = var.region\n\n  remove_default_node_pool = true\n  initial_node_count       = 1\n  networking_mode          = \"VPC_NATIVE\"\n  network                  = google_compute_network.main.id\n  subnetwork               = google_compute_subnetwork.main.id\n\n  release_channel {{\n    channel = \"REGULAR\"\n  }}\n\n  workload_identity_config {{\n    workload_pool = \"${{var.project_id}}.svc.id.goog\"\n  }}\n\n  ip_allocation_policy {{\n    cluster_secondary_range_name  = \"pods\"\n    services_secondary_range_name = \"services\"\n  }}\n}}\n\n",
            team = self.team,
        );
        let pools = rng.range(3, 6);
        for p in 0..pools {
            // node_config takes the email and scopes directly; no email is the default account.
            let (email, scopes) = self.identity(rng);
            let mut sa = String::new();
            if !email.starts_with("data.") && email != "null" && email != "\"default\"" {
                let _ = writeln!(sa, "    service_account = {email}");
            }
            let _ = writeln!(sa, "    oauth_scopes    = {scopes}");
            let _ = write!(
                t,
                "resource \"google_container_node_pool\" \"pool_{p}\" {{\n  name     = \"pool-{p}\"\n  cluster  = google_container_cluster.main.id\n  location = var.region\n\n  autoscaling {{\n    min_node_count = 1\n    max_node_count = {max}\n  }}\n\n  management {{\n    auto_repair  = true\n    auto_upgrade = true\n  }}\n\n  node_config {{\n    machine_type = \"{machine}\"\n    disk_size_gb = 100\n    labels       = local.common_labels\n{sa}\n    workload_metadata_config {{\n      mode = \"GKE_METADATA\"\n    }}\n  }}\n}}\n\n",
                max = rng.range(3, 20),
                machine = rng.pick(MACHINE_TYPES),
            );
        }
        1 + pools
    }

    fn network(&self, rng: &mut Rng, t: &mut String, file: usize) -> usize {
        let mut n = 0;
        if file == 0 {
            let _ = write!(
                t,
                "resource \"google_compute_network\" \"main\" {{\n  name                    = \"{team}-vpc\"\n  auto_create_subnetworks = false\n  routing_mode            = \"REGIONAL\"\n}}\n\nresource \"google_compute_subnetwork\" \"main\" {{\n  name          = \"{team}-subnet\"\n  network       = google_compute_network.main.id\n  region        = var.region\n  ip_cidr_range = \"10.{a}.0.0/20\"\n\n  secondary_ip_range {{\n    range_name    = \"pods\"\n    ip_cidr_range = \"10.{b}.0.0/16\"\n  }}\n\n  secondary_ip_range {{\n    range_name    = \"services\"\n    ip_cidr_range = \"10.{c}.0.0/20\"\n  }}\n\n  private_ip_google_access = true\n}}\n\nresource \"google_compute_router\" \"main\" {{\n  name    = \"{team}-router\"\n  network = google_compute_network.main.id\n  region  = var.region\n}}\n\nresource \"google_compute_router_nat\" \"main\" {{\n  name                               = \"{team}-nat\"\n  router                             = google_compute_router.main.name\n  region                             = var.region\n  nat_ip_allocate_option             = \"AUTO_ONLY\"\n  source_subnetwork_ip_ranges_to_nat = \"ALL_SUBNETWORKS_ALL_IP_RANGES\"\n\n  log_config {{\n    enable = true\n    filter = \"ERRORS_ONLY\"\n  }}\n}}\n\n",
                team = self.team,
                a = rng.below(250),
                b = rng.below(250),
                c = rng.below(250),
            );
            n += 4;
        }
        for i in 0..rng.range(18, 32) {
            let _ = write!(
                t,
                "# Port {port} from the load balancers and the internal ranges.\nresource \"google_compute_firewall\" \"allow_{file}_{i}\" {{\n  name        = \"{team}-allow-{file}-{i}\"\n  description = \"Allows TCP {port} to the {team} instances from health checks and internal callers.\"\n  network   = google_compute_network.main.id\n  direction = \"INGRESS\"\n  priority  = {prio}\n\n  allow {{\n    protocol = \"tcp\"\n    ports    = [\"{port}\"]\n  }}\n\n  source_ranges = [\"10.0.0.0/8\", \"35.191.0.0/16\", \"130.211.0.0/22\"]\n  target_tags   = [\"{team}\"]\n\n  log_config {{\n    metadata = \"INCLUDE_ALL_METADATA\"\n  }}\n}}\n\n",
                team = self.team,
                prio = 1000 + i,
                port = 8000 + rng.below(1000),
            );
            n += 1;
        }
        n
    }

    fn outputs(&self, t: &mut String) -> usize {
        for a in &self.accounts {
            let id = a.replace('-', "_");
            let _ = write!(
                t,
                "output \"{id}_email\" {{\n  description = \"Email of the {a} service account.\"\n  value       = google_service_account.{id}.email\n}}\n\n"
            );
        }
        t.push_str("output \"network_id\" {\n  value = google_compute_network.main.id\n}\n\noutput \"cluster_endpoint\" {\n  value     = google_container_cluster.main.endpoint\n  sensitive = true\n}\n");
        0
    }

    fn tfvars(&self, rng: &mut Rng, t: &mut String) -> usize {
        let _ = writeln!(t, "project_id   = \"{}\"", self.project);
        let _ = writeln!(t, "region       = \"europe-west1\"");
        let _ = writeln!(t, "machine_type = \"{}\"", rng.pick(MACHINE_TYPES));
        let _ = writeln!(t, "replicas     = {}", rng.range(1, 9));
        if rng.chance(30) {
            let _ = writeln!(
                t,
                "instance_scopes = [\"{}\", \"{}\"]",
                rng.pick(ALIAS_SCOPES),
                rng.pick(ALIAS_SCOPES)
            );
        }
        t.push_str("labels = {\n");
        let _ = writeln!(t, "  team        = \"{}\"", self.team);
        let _ = writeln!(t, "  cost-center = \"cc-{}\"", rng.range(1000, 9999));
        t.push_str("  managed-by  = \"terraform\"\n}\n");
        0
    }
}

/// Every input file under `dir`, sorted (what scopelint reads there).
pub fn input_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let e = e?;
            let t = e.file_type()?;
            let p = e.path();
            let name = e.file_name();
            let name = name.to_string_lossy();
            if t.is_dir() && !name.starts_with('.') {
                stack.push(p);
            } else if t.is_file()
                && (name.ends_with(".tf")
                    || name == "terraform.tfvars"
                    || name.ends_with(".auto.tfvars"))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}
