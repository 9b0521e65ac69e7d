package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// The local platform's Git and S3 servers (package storeserver), which the
// tests' state stores point at. The real Kratix validates a store, and a
// Destination, by writing to it; the emulator never contacts them.

// testRepo is a test's own repository on the local Git server, so that
// stores of tests running side by side never push to the same branch.
func testRepo(name string) string { return "platform/" + name + ".git" }

// testGitURL is the clone URL of testRepo(name).
func testGitURL(name string) string { return harness.Current().Stores().Git.URL(testRepo(name)) }

// testGitCredentials are the Secret data of a basicAuth store the local Git
// server accepts.
func testGitCredentials() map[string]string {
	git := harness.Current().Stores().Git
	return map[string]string{"username": git.Username(), "password": git.Password()}
}

// testS3Endpoint is the local S3 server's endpoint; a store pointing at it
// needs insecure = true (plain HTTP).
func testS3Endpoint() string { return harness.Current().Stores().S3.Endpoint() }

// testS3Credentials are the Secret data of an accessKey store the local S3
// server accepts.
func testS3Credentials() map[string]string {
	s3 := harness.Current().Stores().S3
	return map[string]string{"accessKeyID": s3.AccessKeyID(), "secretAccessKey": s3.SecretAccessKey()}
}

// checkGitWritten checks, against the real Kratix, that it wrote files
// under dir on branch of testRepo(name): it writes a Destination's test
// documents there before calling it Ready. The emulator writes nothing.
func checkGitWritten(t *testing.T, name, branch, dir string) resource.TestCheckFunc {
	t.Helper()
	return func(*terraform.State) error {
		if !harness.Current().Real() {
			return nil
		}
		files, err := harness.Current().Stores().Git.ListFiles(testRepo(name), branch, dir)
		if err != nil {
			return err
		}
		if len(files) == 0 {
			return fmt.Errorf("Kratix wrote nothing under %s/ on branch %s of %s", dir, branch, testRepo(name))
		}
		return nil
	}
}

// checkS3Written is checkGitWritten for a bucket: objects under prefix.
func checkS3Written(t *testing.T, bucket, prefix string) resource.TestCheckFunc {
	t.Helper()
	return func(*terraform.State) error {
		if !harness.Current().Real() {
			return nil
		}
		keys, err := harness.Current().Stores().S3.ListObjects(bucket, prefix)
		if err != nil {
			return err
		}
		if len(keys) == 0 {
			return fmt.Errorf("Kratix wrote nothing under %s in bucket %s", prefix, bucket)
		}
		return nil
	}
}

// acceptGitToken makes the local Git server accept token as username's
// password, for a test whose store has credentials of its own.
func acceptGitToken(username, token string) { harness.Current().Stores().Git.AddToken(username, token) }

// acceptS3Key makes the local S3 server accept the access key ID id.
func acceptS3Key(id string) { harness.Current().Stores().S3.AddAccessKey(id) }

// ensureTestBranch creates branch in testRepo(name), from main.
func ensureTestBranch(t *testing.T, name, branch string) {
	t.Helper()
	if err := harness.Current().Stores().Git.EnsureBranch(testRepo(name), branch); err != nil {
		t.Fatal(err)
	}
}

// skipInRealMode is a TestStep.SkipFunc for a step the real Kratix cannot
// pass; the step's comment says why.
func skipInRealMode() (bool, error) { return harness.Current().Real(), nil }
