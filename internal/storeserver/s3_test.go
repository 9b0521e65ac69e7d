package storeserver

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func startS3(t *testing.T) *S3 {
	t.Helper()
	s, err := StartS3(S3Options{AccessKeyID: "kratix", SecretAccessKey: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// s3Call sends a path-style request the way minio-go does, with a
// Signature Version 4 Authorization header naming accessKey (the server
// checks only the key ID, so the signature itself is a placeholder).
func s3Call(t *testing.T, s *S3, accessKey, method, pathAndQuery, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+s.Endpoint()+pathAndQuery, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	req.Header.Set("X-Amz-Date", now.Format("20060102T150405Z"))
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	if accessKey != "" {
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+accessKey+"/"+now.Format("20060102")+
			"/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=0000")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(data)
}

func expectStatus(t *testing.T, what string, resp *http.Response, body string, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("%s: %s\n%s\nwant %d", what, resp.Status, body, want)
	}
}

// The calls Kratix's S3 writer makes, in its order: the permission check
// (a multipart upload started and aborted), a bucket lookup, a stat of the
// object, a put, a listing under the Destination's path, and removals.
func TestS3CallsKratixMakes(t *testing.T) {
	s := startS3(t)
	const key = "/kratix/dev/resources/a.yaml"
	call := func(method, pathAndQuery, body string) (*http.Response, string) {
		return s3Call(t, s, "kratix", method, pathAndQuery, body)
	}

	resp, body := call(http.MethodPost, "/kratix/dev/.kratix-write-permission-check?uploads=", "")
	expectStatus(t, "NewMultipartUpload", resp, body, http.StatusOK)
	var started struct {
		UploadID string `xml:"UploadId"`
	}
	if err := xml.Unmarshal([]byte(body), &started); err != nil || started.UploadID == "" {
		t.Fatalf("NewMultipartUpload returned no upload ID (%v):\n%s", err, body)
	}
	resp, body = call(http.MethodDelete, "/kratix/dev/.kratix-write-permission-check?uploadId="+started.UploadID, "")
	expectStatus(t, "AbortMultipartUpload", resp, body, http.StatusNoContent)

	resp, body = call(http.MethodGet, "/kratix?location=", "")
	expectStatus(t, "GetBucketLocation", resp, body, http.StatusOK)
	resp, body = call(http.MethodHead, "/kratix", "")
	expectStatus(t, "BucketExists", resp, body, http.StatusOK)
	resp, body = call(http.MethodHead, key, "")
	expectStatus(t, "StatObject of a missing object", resp, body, http.StatusNotFound)

	resp, body = call(http.MethodPut, key, "kind: A\n")
	expectStatus(t, "PutObject", resp, body, http.StatusOK)
	resp, body = call(http.MethodHead, key, "")
	expectStatus(t, "StatObject", resp, body, http.StatusOK)
	// Kratix skips a write when the ETag is the content's MD5.
	sum := md5.Sum([]byte("kind: A\n"))
	if etag := strings.Trim(resp.Header.Get("ETag"), `"`); etag != hex.EncodeToString(sum[:]) {
		t.Fatalf("ETag %q, want the content's MD5 %x", etag, sum)
	}

	resp, body = call(http.MethodGet, "/kratix?list-type=2&prefix=dev%2F&encoding-type=url&fetch-owner=true", "")
	expectStatus(t, "ListObjects", resp, body, http.StatusOK)
	if !strings.Contains(body, "<Key>dev/resources/a.yaml</Key>") || strings.Contains(body, "permission-check") {
		t.Fatalf("listing dev/ returned:\n%s\nwant the put object and no trace of the aborted upload", body)
	}
	if keys, err := s.ListObjects("kratix", "dev/"); err != nil || !slices.Equal(keys, []string{"dev/resources/a.yaml"}) {
		t.Fatalf("ListObjects = %q, %v", keys, err)
	}
	if content, err := s.ReadObject("kratix", "dev/resources/a.yaml"); err != nil || string(content) != "kind: A\n" {
		t.Fatalf("ReadObject = %q, %v", content, err)
	}

	resp, body = call(http.MethodDelete, key, "")
	expectStatus(t, "RemoveObject", resp, body, http.StatusNoContent)
	if keys, err := s.ListObjects("kratix", ""); err != nil || len(keys) != 0 {
		t.Fatalf("after the removal the bucket holds %q, %v", keys, err)
	}
}

func TestS3RefusesAnotherAccessKey(t *testing.T) {
	s := startS3(t)
	for _, tc := range []struct{ name, key, code string }{
		{"wrong access key", "someone", "InvalidAccessKeyId"},
		{"unsigned", "", "AccessDenied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := s3Call(t, s, tc.key, http.MethodPut, "/kratix/a.yaml", "x")
			expectStatus(t, "PutObject", resp, body, http.StatusForbidden)
			if !strings.Contains(body, "<Code>"+tc.code+"</Code>") {
				t.Fatalf("body:\n%s\nwant code %s", body, tc.code)
			}
		})
	}
	if keys, err := s.ListObjects("kratix", ""); err == nil && len(keys) != 0 {
		t.Fatalf("refused puts stored %q", keys)
	}
	s.AddAccessKey("someone")
	resp, body := s3Call(t, s, "someone", http.MethodPut, "/kratix/a.yaml", "x")
	expectStatus(t, "PutObject with an added access key", resp, body, http.StatusOK)
}
