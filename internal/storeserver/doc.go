// Package storeserver runs the state stores of the local platform: a Git
// server and an S3-compatible object store, in-process on 127.0.0.1 over
// plain HTTP. They stand in for what a GitStateStore points at (a Git host
// such as GitHub or Gitea, over smart HTTP with basic auth) and for what a
// BucketStateStore points at (an S3-compatible object store such as MinIO),
// so that the real Kratix controller can validate a store and write a
// Destination's documents to it, and tests can read what it wrote. Like
// package platform, it is test and demo infrastructure; the provider never
// imports it.
//
// # Git
//
// Git serves every bare repository under its root through `git
// http-backend` (the git CLI's own smart-HTTP server) behind net/http/cgi,
// fetches and pushes alike. Every request needs basic auth: the username and
// password the server was started with, or a user's token added with
// AddToken; anything else gets 401 with a WWW-Authenticate challenge, as a
// Git host answers.
//
// A repository is any path ending in ".git" (for example
// /platform/state.git). It is created, bare, on first access, with one
// commit on branch main and HEAD on main, as a Git host creates a new
// repository with a README. Kratix clones a store's branch with depth 1 and
// fails when the branch does not exist, and a Git host does not create
// branches either: a branch other than main exists once someone pushes it,
// or once EnsureBranch creates it (from main), as a user would in the
// host's web interface.
//
// # S3
//
// S3 is gofakes3 (github.com/johannesboyne/gofakes3) with its in-memory
// backend, addressed path-style (http://127.0.0.1:port/bucket/key), which
// is how Kratix's writer (minio-go) addresses it. A bucket is created on
// first access, like a Git repository: a BucketStateStore may name any
// bucket. gofakes3 does not verify request signatures; this server checks
// only that a request is signed (AWS Signature Version 4) with the server's
// access key ID or one added with AddAccessKey, so a wrong access key is
// refused (403 InvalidAccessKeyId) but a wrong secret key is not noticed. Objects live only as long as the
// server.
//
// # What it does not do
//
// No TLS for S3 (BucketStateStores need insecure = true, URLs use http://);
// the Git server speaks HTTPS only when given a certificate (the local
// platform gives it one of its CA, since Kratix releases of 2026 refuse basic
// auth over plain HTTP). No SSH
// (auth_method "ssh" cannot be served), no GitHub App authentication, no
// IAM, no per-repository or per-bucket permissions, and nothing survives
// Close except the Git repositories on disk.
package storeserver
