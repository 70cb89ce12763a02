#![no_main]
// A Cloud Build configuration whose steps run gcloud: any bytes as `cloudbuild.yaml` beside a Terraform module.
libfuzzer_sys::fuzz_target!(|data: &[u8]| scopelint_fuzz::check_file("cloudbuild.yaml", data));
