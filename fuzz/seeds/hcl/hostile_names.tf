resource "google_compute_instance" "x" {
  name = "vm$(touch p)\n::add-mask::s\u001b]0;t\u0007"
  zone = "a;id"
  metadata_startup_script = <<-EOT
    # scopelint:ignore-file SL001 not a comment
    ::error::x
    EOT
  service_account {
    email  = "app@p.iam.gserviceaccount.com"
    scopes = ["storage-ro"]
  }
}
