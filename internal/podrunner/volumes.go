package podrunner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// mount is one volume mount of a container: a host directory (or file) and
// where the container sees it.
type mount struct {
	source, target string
	readOnly       bool
}

// materialiseVolumes writes every volume of the pod under dir and returns
// the directory of each by volume name. A volume that only stand-ins mount
// may fail to materialise (a Promise's pipeline may mount a cloud credentials
// Secret that no test creates): it stays empty, since a stand-in never reads
// it, as in the emulator.
func (r *Runner) materialiseVolumes(ctx context.Context, pod *corev1.Pod, dir string) (map[string]string, error) {
	vols := map[string]string{}
	needed := r.adapterVolumes(pod)
	for _, v := range pod.Spec.Volumes {
		path := filepath.Join(dir, v.Name)
		if err := os.MkdirAll(path, 0o755); err != nil {
			return nil, err
		}
		vols[v.Name] = path
		files, err := r.volumeFiles(ctx, pod, v)
		if err != nil && !needed[v.Name] {
			r.opts.Logf("pod %s/%s: volume %s left empty for the stand-ins: %v", pod.Namespace, pod.Name, v.Name, err)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("volume %s: %w", v.Name, err)
		}
		for name, data := range files {
			if err := writeFile(filepath.Join(path, name), data); err != nil {
				return nil, err
			}
		}
	}
	return vols, nil
}

// adapterVolumes are the volumes the pipeline adapter containers mount.
func (r *Runner) adapterVolumes(pod *corev1.Pod) map[string]bool {
	needed := map[string]bool{}
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range cs {
			if c.Image != r.opts.AdapterImage {
				continue
			}
			for _, vm := range c.VolumeMounts {
				needed[vm.Name] = true
			}
		}
	}
	return needed
}

// volumeFiles is a volume's content; an emptyDir has none.
func (r *Runner) volumeFiles(ctx context.Context, pod *corev1.Pod, v corev1.Volume) (map[string][]byte, error) {
	switch {
	case v.EmptyDir != nil:
		return nil, nil
	case v.ConfigMap != nil:
		return r.configMapFiles(ctx, pod.Namespace, v.ConfigMap.Name, v.ConfigMap.Items, ptr.Deref(v.ConfigMap.Optional, false))
	case v.Secret != nil:
		return r.secretFiles(ctx, pod.Namespace, v.Secret.SecretName, v.Secret.Items, ptr.Deref(v.Secret.Optional, false))
	case v.Projected != nil:
		return r.projectedFiles(ctx, pod, v.Projected.Sources)
	default:
		return nil, fmt.Errorf("volume type not supported by the pod runner (emptyDir, configMap, secret and projected are)")
	}
}

func (r *Runner) configMapFiles(ctx context.Context, ns, name string, items []corev1.KeyToPath, optional bool) (map[string][]byte, error) {
	cm, err := r.client.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) && optional {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ConfigMap %s/%s: %w", ns, name, err)
	}
	data := map[string][]byte{}
	for k, v := range cm.Data {
		data[k] = []byte(v)
	}
	for k, v := range cm.BinaryData {
		data[k] = v
	}
	return selectItems(data, items)
}

func (r *Runner) secretFiles(ctx context.Context, ns, name string, items []corev1.KeyToPath, optional bool) (map[string][]byte, error) {
	s, err := r.client.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) && optional {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("secret %s/%s: %w", ns, name, err)
	}
	return selectItems(s.Data, items)
}

// selectItems applies a volume's items list: only the listed keys, at their
// paths; without items every key is a file.
func selectItems(data map[string][]byte, items []corev1.KeyToPath) (map[string][]byte, error) {
	if len(items) == 0 {
		return data, nil
	}
	out := map[string][]byte{}
	for _, it := range items {
		v, ok := data[it.Key]
		if !ok {
			return nil, fmt.Errorf("key %q not found", it.Key)
		}
		out[it.Path] = v
	}
	return out, nil
}

// projectedFiles covers what the ServiceAccount admission plugin projects
// into every pod: a bound token, kube-root-ca.crt and the namespace.
func (r *Runner) projectedFiles(ctx context.Context, pod *corev1.Pod, sources []corev1.VolumeProjection) (map[string][]byte, error) {
	out := map[string][]byte{}
	add := func(files map[string][]byte, err error) error {
		for k, v := range files {
			out[k] = v
		}
		return err
	}
	for _, src := range sources {
		var err error
		switch {
		case src.ServiceAccountToken != nil:
			err = add(r.tokenFile(ctx, pod, src.ServiceAccountToken))
		case src.ConfigMap != nil:
			err = add(r.configMapFiles(ctx, pod.Namespace, src.ConfigMap.Name, src.ConfigMap.Items, ptr.Deref(src.ConfigMap.Optional, false)))
		case src.Secret != nil:
			err = add(r.secretFiles(ctx, pod.Namespace, src.Secret.Name, src.Secret.Items, ptr.Deref(src.Secret.Optional, false)))
		case src.DownwardAPI != nil:
			err = add(downwardFiles(pod, src.DownwardAPI.Items))
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// tokenFile asks the TokenRequest API for a token of the pod's service
// account bound to the pod, as the kubelet does.
func (r *Runner) tokenFile(ctx context.Context, pod *corev1.Pod, src *corev1.ServiceAccountTokenProjection) (map[string][]byte, error) {
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		ExpirationSeconds: src.ExpirationSeconds,
		BoundObjectRef:    &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID},
	}}
	if src.Audience != "" {
		req.Spec.Audiences = []string{src.Audience}
	}
	sa := pod.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	tok, err := r.client.CoreV1().ServiceAccounts(pod.Namespace).CreateToken(ctx, sa, req, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("token for service account %s/%s: %w", pod.Namespace, sa, err)
	}
	return map[string][]byte{src.Path: []byte(tok.Status.Token)}, nil
}

func downwardFiles(pod *corev1.Pod, items []corev1.DownwardAPIVolumeFile) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, it := range items {
		if it.FieldRef == nil {
			return nil, fmt.Errorf("downwardAPI item %s: only fieldRef is supported", it.Path)
		}
		v, err := fieldValue(pod, it.FieldRef.FieldPath)
		if err != nil {
			return nil, err
		}
		out[it.Path] = []byte(v)
	}
	return out, nil
}

func fieldValue(pod *corev1.Pod, path string) (string, error) {
	switch path {
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.name":
		return pod.Name, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "spec.nodeName", "status.hostIP", "status.podIP":
		return "127.0.0.1", nil
	}
	if key, ok := strings.CutPrefix(path, "metadata.labels['"); ok {
		return pod.Labels[strings.TrimSuffix(key, "']")], nil
	}
	if key, ok := strings.CutPrefix(path, "metadata.annotations['"); ok {
		return pod.Annotations[strings.TrimSuffix(key, "']")], nil
	}
	return "", fmt.Errorf("fieldRef %s is not supported by the pod runner", path)
}

// containerMounts maps a container's volume mounts to host directories.
func containerMounts(c *corev1.Container, vols map[string]string) ([]mount, error) {
	mounts := make([]mount, 0, len(c.VolumeMounts))
	for _, vm := range c.VolumeMounts {
		src, ok := vols[vm.Name]
		if !ok {
			return nil, fmt.Errorf("volume mount %s: no volume %q in the pod", vm.MountPath, vm.Name)
		}
		if vm.SubPath != "" {
			src = filepath.Join(src, vm.SubPath)
		}
		mounts = append(mounts, mount{source: src, target: vm.MountPath, readOnly: vm.ReadOnly})
	}
	return mounts, nil
}

// hostPath is where a container path lives on the host, through its mounts
// (the longest matching mount path wins); ok is false outside every mount.
func hostPath(mounts []mount, path string) (string, bool) {
	best := -1
	for i, m := range mounts {
		if (path == m.target || strings.HasPrefix(path, strings.TrimSuffix(m.target, "/")+"/")) &&
			(best < 0 || len(m.target) > len(mounts[best].target)) {
			best = i
		}
	}
	if best < 0 {
		return "", false
	}
	rel := strings.TrimPrefix(path, mounts[best].target)
	return filepath.Join(mounts[best].source, rel), true
}

func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}
