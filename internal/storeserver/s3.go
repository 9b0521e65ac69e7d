package storeserver

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// S3 serves an in-memory S3-compatible object store.
type S3 struct {
	accessKey string
	secretKey string
	// otherKeys are the access key IDs AddAccessKey added.
	otherKeys sync.Map
	backend   *s3mem.Backend
	handler   http.Handler
	server    *server
}

// S3Options configure StartS3.
type S3Options struct {
	AccessKeyID     string
	SecretAccessKey string
}

// StartS3 serves an empty object store on a free loopback port.
func StartS3(opts S3Options) (*S3, error) {
	if opts.AccessKeyID == "" || opts.SecretAccessKey == "" {
		return nil, errors.New("storeserver: the S3 server needs an access key ID and a secret access key")
	}
	backend := s3mem.New()
	s := &S3{
		accessKey: opts.AccessKeyID, secretKey: opts.SecretAccessKey, backend: backend,
		handler: gofakes3.New(backend, gofakes3.WithAutoBucket(true)).Server(),
	}
	var err error
	s.server, err = serve(s, nil)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Endpoint is the host:port a BucketStateStore's endpoint names (with
// insecure = true: the server speaks plain HTTP).
func (s *S3) Endpoint() string { return strings.TrimPrefix(s.server.url, "http://") }

// AccessKeyID and SecretAccessKey are the credentials to sign requests with;
// only the access key ID is checked (see the package documentation).
func (s *S3) AccessKeyID() string { return s.accessKey }

// SecretAccessKey: see AccessKeyID.
func (s *S3) SecretAccessKey() string { return s.secretKey }

// AddAccessKey makes the server accept requests signed with the access key
// ID id too, as an object store accepts the keys of each of its users.
// Only the ID is checked, so the secret is not kept.
func (s *S3) AddAccessKey(id string) { s.otherKeys.Store(id, true) }

func (s *S3) knownKey(id string) bool {
	if equal(id, s.accessKey) {
		return true
	}
	_, ok := s.otherKeys.Load(id)
	return ok
}

// Close stops serving and forgets every object.
func (s *S3) Close() error { return s.server.close() }

// ServeHTTP refuses a request signed with an unknown access key ID (see
// the package documentation) and hands the others to gofakes3.
func (s *S3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key, signed := accessKeyOfRequest(r)
	switch {
	case !signed:
		s3Error(w, http.StatusForbidden, "AccessDenied", "the request is not signed with AWS Signature Version 4")
	case !s.knownKey(key):
		s3Error(w, http.StatusForbidden, "InvalidAccessKeyId", "the AWS access key ID you provided does not exist in our records")
	default:
		s.handler.ServeHTTP(w, r)
	}
}

// accessKeyOfRequest reads the access key ID from a Signature Version 4
// Authorization header, or from a presigned URL's X-Amz-Credential.
func accessKeyOfRequest(r *http.Request) (string, bool) {
	credential := r.URL.Query().Get("X-Amz-Credential")
	if auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 "); ok {
		for _, field := range strings.Split(auth, ",") {
			if value, ok := strings.CutPrefix(strings.TrimSpace(field), "Credential="); ok {
				credential = value
			}
		}
	}
	key, _, found := strings.Cut(credential, "/")
	return key, found && key != ""
}

func s3Error(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message></Error>", code, message)
}

// ListObjects lists the keys in bucket that start with prefix, in order.
func (s *S3) ListObjects(bucket, prefix string) ([]string, error) {
	p := gofakes3.NewPrefix(&prefix, nil)
	list, err := s.backend.ListBucket(bucket, &p, gofakes3.ListBucketPage{})
	if err != nil {
		return nil, fmt.Errorf("storeserver: listing bucket %s: %w", bucket, err)
	}
	keys := make([]string, 0, len(list.Contents))
	for _, c := range list.Contents {
		keys = append(keys, c.Key)
	}
	return keys, nil
}

// ReadObject returns the content of key in bucket.
func (s *S3) ReadObject(bucket, key string) ([]byte, error) {
	obj, err := s.backend.GetObject(bucket, key, nil)
	if err != nil {
		return nil, fmt.Errorf("storeserver: reading %s/%s: %w", bucket, key, err)
	}
	defer func() { _ = obj.Contents.Close() }()
	return io.ReadAll(obj.Contents)
}
