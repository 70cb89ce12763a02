#![no_main]
// A GitHub Actions workflow whose run steps hold gcloud commands: any bytes as `.github/workflows/deploy.yml` beside a Terraform module.
libfuzzer_sys::fuzz_target!(|data: &[u8]| scopelint_fuzz::check_file(".github/workflows/deploy.yml", data));
