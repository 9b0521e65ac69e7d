package podrunner

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"sigs.k8s.io/yaml"
)

func TestHostPathPicksTheDeepestMount(t *testing.T) {
	mounts := []mount{
		{source: "/v/output", target: "/kratix/output"},
		{source: "/v/meta", target: "/kratix/metadata"},
		{source: "/v/kratix", target: "/kratix"},
	}
	for path, want := range map[string]string{
		"/kratix/metadata/status.yaml": "/v/meta/status.yaml",
		"/kratix/output/a/b.yaml":      "/v/output/a/b.yaml",
		"/kratix/other":                "/v/kratix/other",
	} {
		if got, ok := hostPath(mounts, path); !ok || got != want {
			t.Errorf("hostPath(%s) = %q, %v; want %q", path, got, ok, want)
		}
	}
	if got, ok := hostPath(mounts, "/kratixx/file"); ok {
		t.Errorf("hostPath outside every mount = %q, want none", got)
	}
}

func TestExpandReplacesEarlierVariablesOnly(t *testing.T) {
	got := expand("$(A)-$(B)-$(A", map[string]string{"A": "x"})
	if got != "x-$(B)-$(A" {
		t.Errorf("expand = %q", got)
	}
}

func TestSelectItemsMapsKeysToPaths(t *testing.T) {
	data := map[string][]byte{"a": []byte("1"), "b": []byte("2")}
	got, err := selectItems(data, []corev1.KeyToPath{{Key: "b", Path: "dir/b.txt"}})
	if err != nil || !reflect.DeepEqual(got, map[string][]byte{"dir/b.txt": []byte("2")}) {
		t.Errorf("selectItems = %v, %v", got, err)
	}
	if _, err := selectItems(data, []corev1.KeyToPath{{Key: "c", Path: "c"}}); err == nil {
		t.Error("a missing key must fail, as the kubelet fails the volume")
	}
}

func TestStandInMergesStatusAcrossContainers(t *testing.T) {
	dir := t.TempDir()
	mounts := []mount{{source: dir, target: "/kratix/metadata"}}
	if err := mergeStatusFile(mounts, `{"a": 1, "conditions": [{"type": "X", "status": "False"}]}`); err != nil {
		t.Fatal(err)
	}
	if err := mergeStatusFile(mounts, `{"b": 2, "conditions": [{"type": "X", "status": "True"}, {"type": "Y", "status": "True"}]}`); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "status.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := yaml.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"a": float64(1), "b": float64(2), "conditions": []any{
		map[string]any{"type": "X", "status": "True"}, map[string]any{"type": "Y", "status": "True"},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("status.yaml = %v, want %v", got, want)
	}
}

func TestStandInFailsWithTheDirectiveMessage(t *testing.T) {
	c := &corev1.Container{Name: "main"}
	code, msg := standIn(t.Context(), c, []string{"KRATIX_EMULATOR_FAIL=db down"}, nil)
	if code != 1 || msg != "db down" {
		t.Errorf("standIn = %d %q, want 1 \"db down\"", code, msg)
	}
}

func TestSandboxScriptQuotesAndMountsEveryVolume(t *testing.T) {
	tools := sandboxTools{mount: "/bin/mount", chroot: "/sbin/chroot", mkdir: "/bin/mkdir", touch: "/bin/touch"}
	script := sandboxScript(tools, "/r", "/cache/pipeline-adapter",
		[]mount{{source: "/v/in", target: "/kratix/input", readOnly: true}}, []string{"/bin/pipeline-adapter", "it's"})
	for _, want := range []string{
		"'/bin/mount' '-t' 'tmpfs'",
		"'/bin/mount' '-o' 'bind,ro' '/v/in' '/r/kratix/input'",
		`exec '/sbin/chroot' '/r' '/bin/pipeline-adapter' 'it'\''s'`,
	} {
		if !strings.Contains(script, want) {
			t.Errorf("script lacks %q:\n%s", want, script)
		}
	}
}

func TestStandInResolvesOnlyDirectiveReferences(t *testing.T) {
	r := &Runner{client: fake.NewClientset(), apiHost: "127.0.0.1", apiPort: "6443"}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "default"}}
	missingToken := &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: "github-token"}, Key: "token",
	}}
	c := &corev1.Container{Name: "main", Env: []corev1.EnvVar{
		{Name: "GITHUB_TOKEN", ValueFrom: missingToken},
		{Name: "KRATIX_EMULATOR_STATUS", Value: `{"url": "x"}`},
	}}
	env, err := r.containerEnv(t.Context(), pod, c, true)
	if err != nil {
		t.Fatalf("stand-in: %v", err)
	}
	if !slices.Contains(env, `KRATIX_EMULATOR_STATUS={"url": "x"}`) || slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "GITHUB_TOKEN=") }) {
		t.Errorf("stand-in env = %v", env)
	}
	if _, err := r.containerEnv(t.Context(), pod, c, false); err == nil || !strings.Contains(err.Error(), "github-token") {
		t.Errorf("a real container with a missing Secret must fail naming it, got %v", err)
	}
}

func TestMissingSecretVolumeFailsOnlyWhenTheAdapterMountsIt(t *testing.T) {
	r := &Runner{client: fake.NewClientset(), opts: Options{AdapterImage: "adapter", Logf: t.Logf}}
	creds := corev1.Volume{Name: "creds", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "azure-credentials"}}}
	pod := func(image string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "default"}, Spec: corev1.PodSpec{
			Volumes:    []corev1.Volume{creds},
			Containers: []corev1.Container{{Name: "c", Image: image, VolumeMounts: []corev1.VolumeMount{{Name: "creds", MountPath: "/creds"}}}},
		}}
	}
	if _, err := r.materialiseVolumes(t.Context(), pod("ghcr.io/example/pipeline:v1"), t.TempDir()); err != nil {
		t.Errorf("a stand-in's missing Secret volume must stay empty, got %v", err)
	}
	if _, err := r.materialiseVolumes(t.Context(), pod("adapter"), t.TempDir()); err == nil || !strings.Contains(err.Error(), "azure-credentials") {
		t.Errorf("the adapter's missing Secret volume must fail naming it, got %v", err)
	}
}
