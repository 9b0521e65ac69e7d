# Every object of this kind labelled team = "platform".
list "kratix_git_state_store" "platform" {
  provider = kratix
  config {
    labels = { team = "platform" }
  }
}
