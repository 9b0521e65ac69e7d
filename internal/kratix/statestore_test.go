package kratix

import (
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func store(kind string, generation int64, spec, status map[string]any) *unstructured.Unstructured {
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": Group + "/" + Version, "kind": kind,
		"metadata": map[string]any{"name": "s", "generation": generation},
		"spec":     spec,
	}}
	if status != nil {
		obj.Object["status"] = status
	}
	return obj
}

func TestCheckGitURL(t *testing.T) {
	tests := []struct {
		method, url string
		want        string // substring of the problem; "" means valid
	}{
		{GitAuthBasic, "https://github.com/org/repo.git", ""},
		{"", "http://gitea.local:3000/org/repo", ""},
		{GitAuthGitHubApp, "https://github.com/org/repo", ""},
		{GitAuthSSH, "git@github.com:org/repo.git", ""},
		{GitAuthSSH, "ssh://git@github.com/org/repo.git", ""},
		{GitAuthSSH, "ssh://git@gitea.local:2222/org/repo.git", ""},
		{GitAuthBasic, "git@github.com:org/repo.git", `set auth_method = "ssh"`},
		{GitAuthGitHubApp, "ssh://git@github.com/org/repo.git", "not an http(s) URL"},
		{GitAuthBasic, "github.com/org/repo", "not an http(s) URL"},
		{GitAuthSSH, "https://github.com/org/repo.git", "not an SSH URL"},
		{GitAuthSSH, "github.com:org/repo.git", "not an SSH URL"},
		{GitAuthBasic, " ", "empty"},
	}
	for _, tt := range tests {
		got := CheckGitURL(tt.method, tt.url)
		if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
			t.Errorf("CheckGitURL(%q, %q) = %q, want %q", tt.method, tt.url, got, tt.want)
		}
	}
}

func TestSecretKeys(t *testing.T) {
	tests := []struct {
		kind, method string
		want         []string
	}{
		{GitStateStoreKind, GitAuthBasic, []string{"username", "password"}},
		{GitStateStoreKind, "", []string{"username", "password"}},
		{GitStateStoreKind, GitAuthSSH, []string{"sshPrivateKey", "knownHosts"}},
		{GitStateStoreKind, GitAuthGitHubApp, []string{"appID", "installationID", "privateKey"}},
		{BucketStateStoreKind, BucketAuthAccessKey, []string{"accessKeyID", "secretAccessKey"}},
		{BucketStateStoreKind, BucketAuthIAM, nil},
	}
	for _, tt := range tests {
		if got := SecretKeys(tt.kind, tt.method); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SecretKeys(%s, %s) = %v, want %v", tt.kind, tt.method, got, tt.want)
		}
	}
}

func TestCheckCredentials(t *testing.T) {
	tests := []struct {
		name, kind, method string
		provided           []string
		want               []string // "key: substring"
	}{
		{"none given", GitStateStoreKind, GitAuthBasic, nil, nil},
		{"basic complete", GitStateStoreKind, GitAuthBasic, []string{"username", "password"}, nil},
		{"basic missing password", GitStateStoreKind, GitAuthBasic, []string{"username"}, []string{`password: "password" is missing`}},
		{"ssh key with basicAuth", GitStateStoreKind, GitAuthBasic, []string{"sshPrivateKey"}, []string{
			`sshPrivateKey: "sshPrivateKey" is read with authMethod ssh`, `username: is missing`, `password: is missing`}},
		{"github app incomplete", GitStateStoreKind, GitAuthGitHubApp, []string{"appID", "privateKey"}, []string{`installationID: is missing`}},
		{"bucket access key", BucketStateStoreKind, BucketAuthAccessKey, []string{"accessKeyID", "secretAccessKey"}, nil},
		{"bucket IAM with keys", BucketStateStoreKind, BucketAuthIAM, []string{"accessKeyID"}, []string{`accessKeyID: it reads no Secret`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckCredentials(tt.kind, tt.method, tt.provided)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d problems %+v, want %d", len(got), got, len(tt.want))
			}
			for i, w := range tt.want {
				key, sub, _ := strings.Cut(w, ": ")
				if got[i].Key != key || !strings.Contains(got[i].Message, sub) {
					t.Errorf("problem %d = %+v, want key %q with %q", i, got[i], key, sub)
				}
			}
		})
	}
}

func TestStateStoreWatch(t *testing.T) {
	spec := map[string]any{"url": "https://example.com/r.git", "secretRef": map[string]any{"name": "creds"}}
	ready := cond(CondReady, "True", ReasonStateStoreReady, "State store is ready", 0)
	missing := cond(CondReady, "False", ReasonSecretNotFound, `secret "creds" not found`, 0)
	status := func(s string, g int64, c map[string]any) map[string]any {
		st := map[string]any{"status": s, "observedGeneration": g}
		if c != nil {
			st["conditions"] = []any{c}
		}
		return st
	}
	tests := []struct {
		name    string
		gen     int64
		obj     *unstructured.Unstructured
		want    State
		summary string
	}{
		{"not found", 1, nil, Waiting, "does not exist"},
		{"no status", 1, store(GitStateStoreKind, 1, spec, nil), Waiting, "waiting for Kratix to report"},
		{"ready", 1, store(GitStateStoreKind, 1, spec, status("Ready", 1, ready)), Done, ReasonStateStoreReady},
		{"ready from status only", 1, store(GitStateStoreKind, 1, spec, status("Ready", 1, nil)), Done, ""},
		{"secret missing", 1, store(GitStateStoreKind, 1, spec, status("NotReady", 1, missing)), Failed, `secret "creds" not found`},
		{"stale ready", 2, store(GitStateStoreKind, 2, spec, status("Ready", 1, ready)), Waiting, "generation 1"},
		{"stale failure", 2, store(GitStateStoreKind, 2, spec, status("NotReady", 1, missing)), Waiting, "waiting for generation 2"},
		{"bad permissions", 1, store(BucketStateStoreKind, 1, spec, status("NotReady", 1, cond(CondReady, "False", ReasonErrorValidatingPermissions, "access denied", 0))), Failed, "access denied"},
		// Seen on Kratix 2025-09 when a Destination's test documents were
		// pushed to the same repository at the same moment.
		{"lost write race waits (go-git, Kratix 2025)", 1, store(GitStateStoreKind, 1, spec, status("NotReady", 1, cond(CondReady, "False", ReasonErrorValidatingPermissions,
			"Error validating state store permissions: write permission validation failed: non-fast-forward update: refs/heads/main", 0))), Waiting, "try again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := StateStoreWatch{ReadyWatch{Generation: tt.gen}}
			got := w.Observe(tt.obj)
			if got.State != tt.want || !strings.Contains(got.Summary, tt.summary) {
				t.Fatalf("Observe = %v %q, want %v containing %q", got.State, got.Summary, tt.want, tt.summary)
			}
		})
	}
}

func TestStateStoreAdvice(t *testing.T) {
	git := store(GitStateStoreKind, 1, map[string]any{"url": "https://example.com/r.git", "authMethod": "ssh", "secretRef": map[string]any{"name": "creds"}},
		map[string]any{"status": "NotReady", "conditions": []any{cond(CondReady, "False", ReasonSecretNotFound, "not found", 0)}})
	got := StateStoreAdvice(git)
	for _, want := range []string{"default/creds", `"sshPrivateKey", "knownHosts"`, "credentials_wo_version"} {
		if !strings.Contains(got, want) {
			t.Errorf("advice %q does not contain %q", got, want)
		}
	}
	bucket := store(BucketStateStoreKind, 1, map[string]any{"bucketName": "b", "endpoint": "s3.example.com", "authMethod": "accessKey",
		"secretRef": map[string]any{"name": "creds", "namespace": "kratix"}},
		map[string]any{"status": "NotReady", "conditions": []any{cond(CondReady, "False", ReasonErrorValidatingPermissions, "denied", 0)}})
	got = StateStoreAdvice(bucket)
	for _, want := range []string{"kratix/creds", `"accessKeyID", "secretAccessKey"`, `bucket "b" at s3.example.com`} {
		if !strings.Contains(got, want) {
			t.Errorf("advice %q does not contain %q", got, want)
		}
	}
	race := store(GitStateStoreKind, 1, map[string]any{"url": "https://example.com/r.git", "authMethod": "basicAuth", "secretRef": map[string]any{"name": "creds"}},
		map[string]any{"status": "NotReady", "conditions": []any{cond(CondReady, "False", ReasonErrorValidatingPermissions,
			"write permission validation failed: non-fast-forward update: refs/heads/main", 0)}})
	if got := StateStoreAdvice(race); !strings.Contains(got, "another write to the same branch") || strings.Contains(got, "credentials are valid") {
		t.Errorf("advice for a push that lost a race: %q", got)
	}
	// Kratix releases of 2025 report a missing Secret this way.
	old := store(GitStateStoreKind, 1, map[string]any{"url": "https://example.com/r.git", "authMethod": "basicAuth", "secretRef": map[string]any{"name": "creds"}},
		map[string]any{"status": "NotReady", "conditions": []any{cond(CondReady, "False", ReasonErrorInitialisingWriter,
			`Error initialising writer: secret "creds" not found in namespace "default"`, 0)}})
	if got := StateStoreAdvice(old); !strings.Contains(got, "Kratix cannot read the Secret default/creds") {
		t.Errorf("advice for a missing Secret reported as ErrorInitialisingWriter: %q", got)
	}
	if ns, name := StateStoreSecretRef(bucket); ns != "kratix" || name != "creds" {
		t.Errorf("StateStoreSecretRef = %s/%s", ns, name)
	}
	if gvk, ok := StateStoreGVK(BucketStateStoreKind); !ok || gvk != BucketStateStoreGVK {
		t.Errorf("StateStoreGVK(BucketStateStore) = %v, %v", gvk, ok)
	}
	if _, ok := StateStoreGVK("Other"); ok {
		t.Error("StateStoreGVK accepted an unknown kind")
	}
}
