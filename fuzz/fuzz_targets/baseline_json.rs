#![no_main]
// The JSON input: any bytes as a `--baseline` file.
libfuzzer_sys::fuzz_target!(|data: &[u8]| scopelint_fuzz::check_baseline(data));
