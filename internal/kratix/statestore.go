package kratix

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// State store kinds (kratix-api.md §7).
const (
	GitStateStoreKind    = "GitStateStore"
	BucketStateStoreKind = "BucketStateStore"
)

// StateStoreKinds is the enum of a Destination's spec.stateStoreRef.kind.
var StateStoreKinds = []string{BucketStateStoreKind, GitStateStoreKind}

// StateStoreGVK maps a state store kind to its GroupVersionKind.
func StateStoreGVK(kind string) (schema.GroupVersionKind, bool) {
	switch kind {
	case GitStateStoreKind:
		return GitStateStoreGVK, true
	case BucketStateStoreKind:
		return BucketStateStoreGVK, true
	}
	return schema.GroupVersionKind{}, false
}

// GitStateStore spec values and defaults (§7.1).
const (
	GitAuthBasic     = "basicAuth"
	GitAuthSSH       = "ssh"
	GitAuthGitHubApp = "githubApp"

	DefaultGitAuthMethod = GitAuthBasic
	DefaultGitBranch     = "main"
	// DefaultGitAuthorName is the CRD default for spec.gitAuthor.
	DefaultGitAuthorName = "kratix"
	// DefaultSecretNamespace is where Kratix looks for a GitStateStore's
	// Secret when secretRef.namespace is empty.
	DefaultSecretNamespace = "default"
)

// BucketStateStore spec values and defaults (§7.2).
const (
	BucketAuthAccessKey = "accessKey"
	BucketAuthIAM       = "IAM"

	DefaultBucketAuthMethod = BucketAuthAccessKey
)

// Auth method enums.
var (
	GitAuthMethods    = []string{GitAuthBasic, GitAuthSSH, GitAuthGitHubApp}
	BucketAuthMethods = []string{BucketAuthAccessKey, BucketAuthIAM}
)

// Keys Kratix reads from a state store's Secret.
const (
	SecretKeyUsername        = "username"
	SecretKeyPassword        = "password"
	SecretKeySSHPrivateKey   = "sshPrivateKey"
	SecretKeyKnownHosts      = "knownHosts"
	SecretKeyAppID           = "appID"
	SecretKeyInstallationID  = "installationID"
	SecretKeyPrivateKey      = "privateKey"
	SecretKeyAccessKeyID     = "accessKeyID"
	SecretKeySecretAccessKey = "secretAccessKey"
)

// GitSecretKeys are the Secret keys Kratix reads for a git auth method, in
// the order they are usually shown.
func GitSecretKeys(authMethod string) []string {
	switch authMethod {
	case GitAuthBasic, "":
		return []string{SecretKeyUsername, SecretKeyPassword}
	case GitAuthSSH:
		return []string{SecretKeySSHPrivateKey, SecretKeyKnownHosts}
	case GitAuthGitHubApp:
		return []string{SecretKeyAppID, SecretKeyInstallationID, SecretKeyPrivateKey}
	}
	return nil
}

// BucketSecretKeys are the Secret keys Kratix reads for a bucket auth
// method; IAM reads none.
func BucketSecretKeys(authMethod string) []string {
	if authMethod == BucketAuthAccessKey || authMethod == "" {
		return []string{SecretKeyAccessKeyID, SecretKeySecretAccessKey}
	}
	return nil
}

// SecretKeys are the Secret keys Kratix reads for a store kind and auth
// method.
func SecretKeys(kind, authMethod string) []string {
	if kind == BucketStateStoreKind {
		return BucketSecretKeys(authMethod)
	}
	return GitSecretKeys(authMethod)
}

// CredentialProblem is one credential that does not fit the auth method.
type CredentialProblem struct {
	Key     string // the Secret key concerned
	Message string
}

// CheckCredentials compares the Secret keys a configuration provides with
// those Kratix reads for the auth method: every key must be used by the
// method, and when any is given, all of the method's keys must be.
func CheckCredentials(kind, authMethod string, provided []string) []CredentialProblem {
	if len(provided) == 0 {
		return nil
	}
	want := SecretKeys(kind, authMethod)
	wanted := map[string]bool{}
	for _, k := range want {
		wanted[k] = true
	}
	have := map[string]bool{}
	var problems []CredentialProblem
	for _, k := range provided {
		have[k] = true
		if wanted[k] {
			continue
		}
		msg := fmt.Sprintf("%s does not use the Secret key %q", describeAuth(kind, authMethod), k)
		if len(want) > 0 {
			msg += fmt.Sprintf("; it reads %s", quoteList(want))
		} else {
			msg += "; it reads no Secret"
		}
		if other := authMethodFor(kind, k); other != "" {
			msg += fmt.Sprintf(". %q is read with authMethod %s", k, other)
		}
		problems = append(problems, CredentialProblem{Key: k, Message: msg + "."})
	}
	for _, k := range want {
		if !have[k] {
			problems = append(problems, CredentialProblem{Key: k, Message: fmt.Sprintf(
				"%s reads the Secret keys %s; %q is missing, so Kratix could not authenticate.", describeAuth(kind, authMethod), quoteList(want), k)})
		}
	}
	return problems
}

func describeAuth(kind, authMethod string) string {
	return fmt.Sprintf("a %s with authMethod %s", kind, authMethod)
}

func authMethodFor(kind, key string) string {
	methods := GitAuthMethods
	if kind == BucketStateStoreKind {
		methods = BucketAuthMethods
	}
	for _, m := range methods {
		for _, k := range SecretKeys(kind, m) {
			if k == key {
				return m
			}
		}
	}
	return ""
}

func quoteList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(quoted, ", ")
}

// scpLike is git's "user@host:path" form, e.g. git@github.com:org/repo.git.
var scpLike = regexp.MustCompile(`^[A-Za-z0-9._~-]+@[A-Za-z0-9.-]+:.+$`)

// CheckGitURL checks that a GitStateStore's URL has the form its auth method
// needs (§7.1): http(s) for basicAuth and githubApp; ssh:// or
// git@host:org/repo.git for ssh. It returns a sentence for a person, or "".
func CheckGitURL(authMethod, raw string) string {
	if authMethod == "" {
		authMethod = DefaultGitAuthMethod
	}
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "the URL is empty; Kratix needs the repository's URL."
	}
	isSSH := isSSHURL(raw)
	switch authMethod {
	case GitAuthSSH:
		if isSSH {
			return ""
		}
		return fmt.Sprintf("%q is not an SSH URL. With auth_method = %q use git@<host>:<org>/<repo>.git or "+
			"ssh://git@<host>/<org>/<repo>.git; for an https URL use auth_method = %q or %q.", raw, GitAuthSSH, GitAuthBasic, GitAuthGitHubApp)
	case GitAuthBasic, GitAuthGitHubApp:
		u, err := url.Parse(raw)
		if err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			return ""
		}
		msg := fmt.Sprintf("%q is not an http(s) URL. With auth_method = %q use https://<host>/<org>/<repo>.git", raw, authMethod)
		if isSSH {
			msg += fmt.Sprintf("; for an SSH URL set auth_method = %q", GitAuthSSH)
		}
		return msg + "."
	}
	return ""
}

func isSSHURL(raw string) bool {
	if u, err := url.Parse(raw); err == nil && u.Scheme == "ssh" && u.Host != "" {
		return true
	}
	return !strings.Contains(raw, "://") && scpLike.MatchString(raw)
}

// Ready reasons on a state store.
const (
	ReasonStateStoreReady            = "StateStoreReady"
	ReasonErrorInitialisingWriter    = "ErrorInitialisingWriter"
	ReasonErrorValidatingPermissions = "ErrorValidatingPermissions"
	ReasonSecretNotFound             = "SecretNotFound"
	ReasonStateStoreError            = "StateStoreError"

	StateStoreStatusReady    = "Ready"
	StateStoreStatusNotReady = "NotReady"
)

var stateStoreFailures = map[string]bool{
	ReasonErrorInitialisingWriter:    true,
	ReasonErrorValidatingPermissions: true,
	ReasonSecretNotFound:             true,
	ReasonStateStoreError:            true,
}

// StateStoreReadiness evaluates a state store's Ready condition, falling
// back on status.status when Kratix wrote no condition.
func StateStoreReadiness(obj *unstructured.Unstructured) Readiness {
	r := readiness(obj, stateStoreFailures)
	if r.Reported || obj == nil {
		return r
	}
	switch nestedString(obj, "status", "status") {
	case StateStoreStatusReady:
		g, _, _ := unstructured.NestedInt64(obj.Object, "status", "observedGeneration")
		return Readiness{Ready: true, Reported: true, Reason: StateStoreStatusReady, ObservedGeneration: g}
	}
	return r
}

// secretMissing reports whether r says Kratix cannot find the Secret the
// object names (Kratix releases before SecretNotFound, 2025, report it as
// ErrorInitialisingWriter).
func secretMissing(r Readiness) bool {
	return r.Reason == ReasonSecretNotFound || r.Reason == ReasonErrorInitialisingWriter && secretNotFoundMessage(r.Message)
}

// StateStoreSecretRef reads spec.secretRef; the namespace is defaulted as
// Kratix does for a GitStateStore.
func StateStoreSecretRef(obj *unstructured.Unstructured) (namespace, name string) {
	name = nestedString(obj, "spec", "secretRef", "name")
	namespace = nestedString(obj, "spec", "secretRef", "namespace")
	if namespace == "" && obj.GetKind() == GitStateStoreKind && name != "" {
		namespace = DefaultSecretNamespace
	}
	return namespace, name
}

// StateStoreAdvice says what to check for a state store that is not ready,
// or "" when there is nothing specific to say.
func StateStoreAdvice(obj *unstructured.Unstructured) string {
	r := StateStoreReadiness(obj)
	if r.WriteRace {
		return writeRaceAdvice
	}
	kind := obj.GetKind()
	method := nestedString(obj, "spec", "authMethod")
	ns, name := StateStoreSecretRef(obj)
	keys := quoteList(SecretKeys(kind, method))
	where := "the URL and branch"
	if kind == BucketStateStoreKind {
		where = "the endpoint, bucket name and insecure setting"
	}
	reason := r.Reason
	if secretMissing(r) {
		reason = ReasonSecretNotFound
	}
	switch reason {
	case ReasonSecretNotFound:
		return fmt.Sprintf("Kratix cannot read the Secret %s/%s named by secret_ref. Create it with the keys %s, fix "+
			"secret_ref, or give the credentials to this resource (the *_wo arguments with credentials_wo_version) so the "+
			"provider writes the Secret.", ns, name, keys)
	case ReasonErrorValidatingPermissions:
		return fmt.Sprintf("Kratix read the Secret %s/%s but could not use it to write to the store. Check that it has "+
			"the keys %s for auth method %s, that the credentials are valid, and that they may write to %s.",
			ns, name, keys, method, describeTarget(obj))
	case ReasonErrorInitialisingWriter:
		return fmt.Sprintf("Kratix could not set up a writer for the store. Check %s, and the auth method (%s) with its Secret keys %s.", where, method, keys)
	case ReasonStateStoreError:
		return fmt.Sprintf("Check %s, the Secret %s/%s and the Kratix controller's logs.", where, ns, name)
	}
	return ""
}

func describeTarget(obj *unstructured.Unstructured) string {
	if obj.GetKind() == BucketStateStoreKind {
		return fmt.Sprintf("bucket %q at %s", nestedString(obj, "spec", "bucketName"), nestedString(obj, "spec", "endpoint"))
	}
	branch := nestedString(obj, "spec", "branch")
	if branch == "" {
		branch = DefaultGitBranch
	}
	return fmt.Sprintf("branch %q of %s", branch, nestedString(obj, "spec", "url"))
}

// StateStoreWatch decides when a state store is ready after an apply; see
// ReadyWatch. The store's status has an observedGeneration field, which
// settles the question when it is set; Kratix's controller does not always
// set it, and the condition's own times and content decide then.
type StateStoreWatch struct{ ReadyWatch }

// Observe evaluates one version of the store; nil means not found.
func (w *StateStoreWatch) Observe(obj *unstructured.Unstructured) Outcome {
	if obj == nil {
		return Outcome{State: Waiting, Summary: "the state store does not exist (yet)"}
	}
	return w.observe(obj, StateStoreReadiness(obj), "the state store")
}
