package kube

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilnet "k8s.io/apimachinery/pkg/util/net"
)

// APIError is what every Client method returns instead of a raw client-go
// error. Error() is a message meant for the person running Terraform;
// Unwrap() gives the original error, so apierrors.IsNotFound and friends keep
// working on it.
type APIError struct {
	Verb      string                  // get, list, watch, patch, delete
	GVK       schema.GroupVersionKind // what the caller asked for
	Resource  schema.GroupResource    // empty when the kind could not be mapped
	Namespace string                  // empty for cluster-scoped kinds or all namespaces
	Name      string                  // empty for list and watch
	Err       error

	// KindNotServed is true when the API server does not serve GVK at all
	// (no CRD, or CRD not yet Established), as opposed to a missing object.
	KindNotServed bool

	message string
}

func (e *APIError) Error() string { return e.message }
func (e *APIError) Unwrap() error { return e.Err }

// IsNotFound reports whether the object does not exist. A kind that is not
// served does not count: "the CRD is missing" must not make Terraform drop an
// object from state the way a 404 on the object does.
func IsNotFound(err error) bool {
	if IsKindNotServed(err) {
		return false
	}
	return apierrors.IsNotFound(err)
}

// IsKindNotServed reports whether err means the API server does not serve the
// requested kind (its CRD is missing or not yet Established).
func IsKindNotServed(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) && ae.KindNotServed {
		return true
	}
	return meta.IsNoMatchError(err)
}

// IsConflict reports a 409 Conflict: a server-side apply field conflict or
// an optimistic-lock conflict (not AlreadyExists, which apply never returns).
func IsConflict(err error) bool { return apierrors.IsConflict(err) }

// IsAlreadyExists reports a 409 AlreadyExists from a Create.
func IsAlreadyExists(err error) bool { return apierrors.IsAlreadyExists(err) }

// IsForbidden reports a 403 (RBAC refused the request).
func IsForbidden(err error) bool { return apierrors.IsForbidden(err) }

// IsUnauthorized reports a 401 (credentials rejected or expired).
func IsUnauthorized(err error) bool { return apierrors.IsUnauthorized(err) }

// operation describes the request that failed, so messages can name it.
type operation struct {
	verb          string
	gvk           schema.GroupVersionKind
	resource      schema.GroupResource
	namespace     string
	name          string
	clusterScoped bool
	host          string
	plugin        *execPlugin // explains credential plugin failures; nil without one
	what          string      // replaces the derived target for non-resource requests, e.g. "/version"
	// apply marks a server-side apply, which RBAC checks as patch and, when
	// the object does not exist yet, also as create.
	apply bool
}

// translate wraps err in an *APIError with a message a person can act on.
// Errors that already carry such a message pass through untouched.
func translate(err error, op operation) error {
	if err == nil {
		return nil
	}
	var ae *APIError
	var nc *NotConfiguredError
	if errors.As(err, &ae) || errors.As(err, &nc) {
		return err
	}
	if pe := op.plugin.explain(err); pe != nil {
		err = pe
	}
	out := &APIError{
		Verb: op.verb, GVK: op.gvk, Resource: op.resource,
		Namespace: op.namespace, Name: op.name, Err: err,
	}
	out.KindNotServed = kindNotServed(err, op)
	out.message = message(err, op, out.KindNotServed)
	return out
}

func message(err error, op operation, notServed bool) string {
	var down *UnreachableError
	switch {
	case notServed:
		return kindNotServedMessage(op)
	case errors.As(err, &down):
		return fmt.Sprintf("%s %s: %v", op.verb, op.target(), down)
	case errors.Is(err, context.Canceled):
		return fmt.Sprintf("%s %s: interrupted (%v)", op.verb, op.target(), err)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("%s %s: the Kubernetes API server%s did not answer within the operation's timeout "+
			"(timeouts.read for a refresh or a plan, timeouts.create, update or delete for changes). Check that it is "+
			"running and reachable from here (host / the kubeconfig's server address, a VPN or proxy) (%v)",
			op.verb, op.target(), op.at(), err)
	case apierrors.IsForbidden(err):
		return forbiddenMessage(err, op)
	case apierrors.IsUnauthorized(err):
		return unauthorizedMessage(err, op)
	case isApplyConflict(err):
		return applyConflictMessage(err, op)
	case apierrors.IsInvalid(err):
		return invalidMessage(err, op)
	case apierrors.IsNotFound(err):
		return fmt.Sprintf("%s %s: not found (%v)", op.verb, op.target(), err)
	}
	if msg, ok := tlsMessage(err, op); ok {
		return msg
	}
	if isUnreachable(err) {
		return fmt.Sprintf("%s %s: cannot reach the Kubernetes API server%s (%v); check host / the kubeconfig's "+
			"server address and that the API server is running", op.verb, op.target(), op.at(), err)
	}
	return fmt.Sprintf("%s %s: %v", op.verb, op.target(), err)
}

// kindNotServed separates "no such kind" from "no such object". The API
// server answers a request for an unserved resource (e.g. its CRD was deleted
// after discovery was cached) with a generic 404 that names no object, unlike
// the 404 for a missing object.
func kindNotServed(err error, op operation) bool {
	if meta.IsNoMatchError(err) {
		return true
	}
	var status apierrors.APIStatus
	if !errors.As(err, &status) || status.Status().Code != http.StatusNotFound || op.name == "" {
		return false
	}
	d := status.Status().Details
	return d == nil || d.Name == "" || strings.Contains(status.Status().Message, noResourceMessage)
}

// noResourceMessage is what both the API server and client-go say for a
// request path that no installed API serves.
const noResourceMessage = "the server could not find the requested resource"

func kindNotServedMessage(op operation) string {
	return fmt.Sprintf("kind %s (%s) is not served by the cluster: the Promise or CustomResourceDefinition that "+
		"provides it is not installed, or its CRD is not yet Established. If a Promise in this configuration "+
		"provides the kind, make this resource depend on that Promise (for example through depends_on)",
		op.gvk.Kind, op.gvk.GroupVersion().String())
}

var (
	identityPattern = regexp.MustCompile(`(User|ServiceAccount|Group) "([^"]*)" cannot`)
	// refusedVerbPattern finds the verb RBAC refused, which is not always
	// the request's: an apply that creates is checked as patch, then create.
	refusedVerbPattern = regexp.MustCompile(`cannot (\w+) resource`)
	// webhookDenialPattern matches a request an admission webhook denied,
	// which also comes back as a 403.
	webhookDenialPattern = regexp.MustCompile(`(?s)admission webhook "([^"]+)" denied the request: (.*)`)
)

func forbiddenMessage(err error, op operation) string {
	status := statusOf(err)
	if m := webhookDenialPattern.FindStringSubmatch(status.Message); m != nil {
		return fmt.Sprintf("%s %s: the admission webhook %q refused it (not RBAC: the object itself was rejected). "+
			"It said: %s", op.verb, op.target(), m[1], m[2])
	}
	if op.what != "" {
		return fmt.Sprintf("Kubernetes RBAC refused the request: the provider's credentials may not %s %s. Grant access "+
			"(the system:discovery and system:public-info-viewer ClusterRoles normally do), or configure the provider "+
			"with other credentials. API server said: %s", op.verb, op.what, status.Message)
	}
	res := op.resource
	if res.Resource == "" && status.Details != nil {
		res = schema.GroupResource{Group: status.Details.Group, Resource: status.Details.Kind}
	}
	who := "the provider's credentials"
	if m := identityPattern.FindStringSubmatch(status.Message); m != nil {
		who = fmt.Sprintf("%s %q", m[1], m[2])
	}
	verb := op.verb
	if m := refusedVerbPattern.FindStringSubmatch(status.Message); m != nil {
		verb = m[1]
	}
	why := ""
	if op.apply {
		why = " (a server-side apply needs patch, and also create when the object does not exist yet)"
	}
	group := res.Group
	if group == "" {
		group = `"" (core)`
	} else {
		group = fmt.Sprintf("%q", group)
	}
	grant := fmt.Sprintf("a Role in namespace %q (or a ClusterRole) bound to that identity", op.namespace)
	if op.clusterScoped || op.namespace == "" {
		grant = "a ClusterRole bound to that identity"
	}
	return fmt.Sprintf("Kubernetes RBAC refused the request: %s may not %s %s%s. Grant the verb %q on resource %q "+
		"in API group %s through %s, or configure the provider with other credentials. API server said: %s",
		who, verb, op.targetWith(res), why, verb, res.Resource, group, grant, status.Message)
}

func unauthorizedMessage(err error, op operation) string {
	return fmt.Sprintf("%s %s: the Kubernetes API server%s rejected the provider's credentials (401 Unauthorized): "+
		"the token, client certificate or exec plugin output is invalid or has expired. Refresh the credentials "+
		"(token / KUBE_TOKEN, client_certificate, the exec command, or the kubeconfig user). API server said: %v",
		op.verb, op.target(), op.at(), err)
}

var managerPattern = regexp.MustCompile(`conflict with "([^"]*)"`)

func isApplyConflict(err error) bool {
	if !apierrors.IsConflict(err) {
		return false
	}
	for _, c := range statusCauses(err) {
		if c.Type == metav1.CauseTypeFieldManagerConflict {
			return true
		}
	}
	return false
}

// applyConflictMessage lists each contested field with its owner; the
// server puts both into the Status causes of an SSA conflict.
func applyConflictMessage(err error, op operation) string {
	var b strings.Builder
	fmt.Fprintf(&b, "server-side apply of %s conflicts with other field managers that own these fields:", op.target())
	for _, c := range statusCauses(err) {
		if c.Type != metav1.CauseTypeFieldManagerConflict {
			continue
		}
		owner := c.Message
		if m := managerPattern.FindStringSubmatch(c.Message); m != nil {
			owner = fmt.Sprintf("field manager %q", m[1])
		}
		fmt.Fprintf(&b, "\n  - %s (owned by %s)", c.Field, owner)
	}
	b.WriteString("\nSet force_conflicts = true to take ownership of these fields, or remove them from the configuration " +
		"so the other manager keeps them.")
	return b.String()
}

func invalidMessage(err error, op operation) string {
	causes := statusCauses(err)
	if len(causes) == 0 {
		return fmt.Sprintf("the API server rejected %s as invalid: %v", op.target(), err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "the API server rejected %s as invalid:", op.target())
	for _, c := range causes {
		if c.Field != "" {
			fmt.Fprintf(&b, "\n  - %s: %s", c.Field, c.Message)
		} else {
			fmt.Fprintf(&b, "\n  - %s", c.Message)
		}
	}
	return b.String()
}

func tlsMessage(err error, op operation) (string, bool) {
	var unknown x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknown):
		return fmt.Sprintf("%s %s: TLS verification of the Kubernetes API server%s failed: the cluster CA certificate "+
			"does not match the certificate the server presents (%v). Set cluster_ca_certificate "+
			"(KUBE_CLUSTER_CA_CERT_DATA) or the kubeconfig's certificate-authority-data to the cluster's CA, "+
			"or, for a throwaway cluster only, insecure = true", op.verb, op.target(), op.at(), unknown), true
	case errors.As(err, &hostname):
		return fmt.Sprintf("%s %s: the Kubernetes API server's certificate is not valid for the address used%s (%v). "+
			"Use a host name the certificate covers, or set tls_server_name (KUBE_TLS_SERVER_NAME)",
			op.verb, op.target(), op.at(), hostname), true
	case errors.As(err, &invalid):
		return fmt.Sprintf("%s %s: the Kubernetes API server's certificate is invalid%s (%v); check "+
			"cluster_ca_certificate and the server's certificate", op.verb, op.target(), op.at(), invalid), true
	}
	return "", false
}

func isUnreachable(err error) bool {
	return utilnet.IsConnectionRefused(err) || utilnet.IsNoRoutesError(err)
}

// IsUnreachable reports that the API server could not be reached at all:
// the connection was refused, there is no route, its name does not
// resolve, or it has not answered for a whole operation timeout
// (*UnreachableError).
func IsUnreachable(err error) bool {
	var dns *net.DNSError
	var down *UnreachableError
	return err != nil && (isUnreachable(err) || errors.As(err, &dns) || errors.As(err, &down))
}

func statusOf(err error) metav1.Status {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return status.Status()
	}
	return metav1.Status{Message: err.Error()}
}

func statusCauses(err error) []metav1.StatusCause {
	if d := statusOf(err).Details; d != nil {
		return d.Causes
	}
	return nil
}

// target names the object of the operation, e.g.
// `redis.marketplace.kratix.io "cache" in namespace "default"`.
func (op operation) target() string {
	if op.what != "" {
		return op.what
	}
	return op.targetWith(op.resource)
}

func (op operation) targetWith(res schema.GroupResource) string {
	what := res.String()
	if res.Resource == "" {
		what = fmt.Sprintf("%s (%s)", op.gvk.Kind, op.gvk.GroupVersion().String())
	}
	if op.name != "" {
		what += fmt.Sprintf(" %q", op.name)
	}
	switch {
	case op.clusterScoped:
		return what + " (cluster-scoped)"
	case op.namespace != "":
		return what + fmt.Sprintf(" in namespace %q", op.namespace)
	case op.verb == "list" || op.verb == "watch":
		return what + " in all namespaces"
	}
	return what
}

func (op operation) at() string {
	if op.host == "" {
		return ""
	}
	return " at " + op.host
}

// Causes are the per-field reasons the API server gave for refusing a
// request (a 422 Invalid lists one per field), empty when it gave none.
func Causes(err error) []metav1.StatusCause { return statusCauses(err) }

// IsWebhookDenial reports that an admission webhook refused the object.
func IsWebhookDenial(err error) bool {
	return err != nil && webhookDenialPattern.MatchString(statusOf(err).Message)
}
