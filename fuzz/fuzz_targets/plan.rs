#![no_main]
// A Terraform JSON plan (recognised by its content, as on disk): any bytes as `plan.json` beside a Terraform module.
libfuzzer_sys::fuzz_target!(|data: &[u8]| scopelint_fuzz::check_file("plan.json", data));
