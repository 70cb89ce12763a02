#![no_main]
// The YAML input: any bytes as `.scopelint.yaml`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| scopelint_fuzz::check_config(data));
