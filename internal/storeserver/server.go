package storeserver

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"time"
)

// Servers are the Git and S3 servers of one local platform.
type Servers struct {
	Git *Git
	S3  *S3
}

// Start runs both servers, with the Git repositories under dir and fresh
// random credentials. With gitCert, the Git server speaks HTTPS with it.
func Start(dir string, gitCert *tls.Certificate) (*Servers, error) {
	git, err := StartGit(GitOptions{Root: filepath.Join(dir, "git"), Username: "kratix", Password: randomSecret(), Certificate: gitCert})
	if err != nil {
		return nil, err
	}
	s3, err := StartS3(S3Options{AccessKeyID: "kratix", SecretAccessKey: randomSecret()})
	if err != nil {
		_ = git.Close()
		return nil, err
	}
	return &Servers{Git: git, S3: s3}, nil
}

// Close stops both servers.
func (s *Servers) Close() error { return errors.Join(s.Git.Close(), s.S3.Close()) }

func randomSecret() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// server is an HTTP server on a free loopback port.
type server struct {
	url  string
	http *http.Server
	done chan struct{}
}

// serve serves h over HTTP, or over HTTPS with cert when it is not nil.
func serve(h http.Handler, cert *tls.Certificate) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	scheme := "http"
	if cert != nil {
		scheme = "https"
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12})
	}
	s := &server{url: scheme + "://" + ln.Addr().String(), http: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		_ = s.http.Serve(ln)
	}()
	return s, nil
}

func (s *server) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.http.Shutdown(ctx)
	<-s.done
	return err
}
