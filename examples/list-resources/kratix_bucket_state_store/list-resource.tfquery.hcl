# Every object of this kind labelled team = "platform".
list "kratix_bucket_state_store" "platform" {
  provider = kratix
  config {
    labels = { team = "platform" }
  }
}
