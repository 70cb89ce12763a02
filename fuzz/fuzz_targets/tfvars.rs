#![no_main]
// Variable definitions: any bytes as the module's `terraform.tfvars`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| scopelint_fuzz::check_file("terraform.tfvars", data));
