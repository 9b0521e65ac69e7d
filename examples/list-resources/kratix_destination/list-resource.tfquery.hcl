# Every object of this kind labelled team = "platform".
list "kratix_destination" "platform" {
  provider = kratix
  config {
    labels = { team = "platform" }
  }
}
