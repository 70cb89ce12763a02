#![no_main]
// Config Connector objects (KRM YAML, several documents): any bytes as `k8s/compute.yaml` beside a Terraform module whose literal grants its workloads may meet.
libfuzzer_sys::fuzz_target!(|data: &[u8]| scopelint_fuzz::check_file("k8s/compute.yaml", data));
