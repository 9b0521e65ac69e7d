package podrunner

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kratix-community/terraform-provider-kratix/internal/emulator"
)

// containerEnv resolves env and envFrom as the kubelet does (later entries
// win, env over envFrom) and adds the in-cluster API server address. For a
// stand-in (standIn true) only the directives' references are resolved, as
// the emulator does: the stand-in never uses the others (a Promise's
// pipeline may reference a Secret, such as an API token, that the tests do
// not create).
func (r *Runner) containerEnv(ctx context.Context, pod *corev1.Pod, c *corev1.Container, standIn bool) ([]string, error) {
	values := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, seen := values[k]; !seen {
			order = append(order, k)
		}
		values[k] = v
	}
	set("KUBERNETES_SERVICE_HOST", r.apiHost)
	set("KUBERNETES_SERVICE_PORT", r.apiPort)
	set("HOSTNAME", pod.Name)
	for _, src := range c.EnvFrom {
		if standIn {
			break
		}
		data, err := r.envFromData(ctx, pod.Namespace, src)
		if err != nil {
			return nil, err
		}
		for k, v := range data {
			set(src.Prefix+k, v)
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			set(e.Name, expand(e.Value, values))
			continue
		}
		if standIn && !isDirective(e.Name) {
			continue
		}
		v, ok, err := r.envValueFrom(ctx, pod, e.ValueFrom)
		if err != nil {
			return nil, fmt.Errorf("env %s: %w", e.Name, err)
		}
		if ok {
			set(e.Name, v)
		}
	}
	env := make([]string, 0, len(order))
	for _, k := range order {
		env = append(env, k+"="+values[k])
	}
	return env, nil
}

// expand replaces $(VAR) references to earlier variables, as the kubelet does.
func expand(s string, values map[string]string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '$' && i+1 < len(s) && s[i+1] == '(' {
			if end := strings.IndexByte(s[i+2:], ')'); end >= 0 {
				name := s[i+2 : i+2+end]
				if v, ok := values[name]; ok {
					out = append(out, v...)
					i += 2 + end
					continue
				}
			}
		}
		out = append(out, s[i])
	}
	return string(out)
}

func (r *Runner) envFromData(ctx context.Context, ns string, src corev1.EnvFromSource) (map[string]string, error) {
	out := map[string]string{}
	switch {
	case src.ConfigMapRef != nil:
		cm, err := r.client.CoreV1().ConfigMaps(ns).Get(ctx, src.ConfigMapRef.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) && ptr.Deref(src.ConfigMapRef.Optional, false) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("envFrom ConfigMap %s/%s: %w", ns, src.ConfigMapRef.Name, err)
		}
		return cm.Data, nil
	case src.SecretRef != nil:
		s, err := r.client.CoreV1().Secrets(ns).Get(ctx, src.SecretRef.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) && ptr.Deref(src.SecretRef.Optional, false) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("envFrom Secret %s/%s: %w", ns, src.SecretRef.Name, err)
		}
		for k, v := range s.Data {
			out[k] = string(v)
		}
	}
	return out, nil
}

// envValueFrom resolves one valueFrom; ok is false for a missing optional
// reference.
func (r *Runner) envValueFrom(ctx context.Context, pod *corev1.Pod, src *corev1.EnvVarSource) (string, bool, error) {
	switch {
	case src.FieldRef != nil:
		v, err := fieldValue(pod, src.FieldRef.FieldPath)
		return v, err == nil, err
	case src.ConfigMapKeyRef != nil:
		ref := src.ConfigMapKeyRef
		cm, err := r.client.CoreV1().ConfigMaps(pod.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			return missing(ref.Optional, fmt.Errorf("ConfigMap %s/%s: %w", pod.Namespace, ref.Name, err), apierrors.IsNotFound(err))
		}
		v, ok := cm.Data[ref.Key]
		if !ok {
			return missing(ref.Optional, fmt.Errorf("key %q not in ConfigMap %s/%s", ref.Key, pod.Namespace, ref.Name), true)
		}
		return v, true, nil
	case src.SecretKeyRef != nil:
		ref := src.SecretKeyRef
		s, err := r.client.CoreV1().Secrets(pod.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			return missing(ref.Optional, fmt.Errorf("secret %s/%s: %w", pod.Namespace, ref.Name, err), apierrors.IsNotFound(err))
		}
		v, ok := s.Data[ref.Key]
		if !ok {
			return missing(ref.Optional, fmt.Errorf("key %q not in Secret %s/%s", ref.Key, pod.Namespace, ref.Name), true)
		}
		return string(v), true, nil
	}
	return "", false, fmt.Errorf("valueFrom kind not supported by the pod runner")
}

func missing(optional *bool, err error, notFound bool) (string, bool, error) {
	if notFound && ptr.Deref(optional, false) {
		return "", false, nil
	}
	return "", false, err
}

func isDirective(name string) bool {
	switch name {
	case emulator.EnvStatus, emulator.EnvFail, emulator.EnvDuration, emulator.EnvSuspend:
		return true
	}
	return false
}
