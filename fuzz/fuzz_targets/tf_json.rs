#![no_main]
// The Terraform JSON syntax front end: any bytes as `main.tf.json` beside a Terraform module.
libfuzzer_sys::fuzz_target!(|data: &[u8]| scopelint_fuzz::check_file("main.tf.json", data));
