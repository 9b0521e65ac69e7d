# Every object of this kind labelled team = "platform".
list "kratix_promise" "platform" {
  provider = kratix
  config {
    labels = { team = "platform" }
  }
}
