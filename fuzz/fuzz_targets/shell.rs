#![no_main]
// A gcloud deployment script: any bytes as `deploy.sh` beside a Terraform module.
libfuzzer_sys::fuzz_target!(|data: &[u8]| scopelint_fuzz::check_file("deploy.sh", data));
