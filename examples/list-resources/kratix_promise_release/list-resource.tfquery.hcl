# Every PromiseRelease labelled team = "platform".
list "kratix_promise_release" "platform" {
  provider = kratix
  config {
    labels = { team = "platform" }
  }
}
