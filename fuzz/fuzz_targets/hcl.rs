#![no_main]
// The HCL front end: any bytes as a `.tf` file of a module.
libfuzzer_sys::fuzz_target!(|data: &[u8]| scopelint_fuzz::check_file("main.tf", data));
