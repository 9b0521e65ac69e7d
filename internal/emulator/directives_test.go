package emulator

import (
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

func container(env ...string) corev1.Container {
	c := corev1.Container{Name: "c", Image: "x"}
	for i := 0; i+1 < len(env); i += 2 {
		c.Env = append(c.Env, corev1.EnvVar{Name: env[i], Value: env[i+1]})
	}
	return c
}

func TestParseDirectivesNone(t *testing.T) {
	d := parseDirectives([]corev1.Container{container("OTHER", "x")}, nil)
	if d.Status != nil || d.Failed || d.Suspend || d.HasDuration || d.Err != nil {
		t.Fatalf("no directives expected, got %+v", d)
	}
	if got := d.runDuration(100 * time.Millisecond); got != 100*time.Millisecond {
		t.Fatalf("default duration: got %v", got)
	}
}

func TestParseDirectivesStatusJSONAndYAMLMerge(t *testing.T) {
	d := parseDirectives([]corev1.Container{
		container(EnvStatus, `{"url":"https://a","conditions":[{"type":"A","status":"True"}]}`),
		container(EnvStatus, "size: large\nconditions:\n- type: A\n  status: \"False\"\n- type: B\n  status: \"True\"\n"),
	}, nil)
	if d.Err != nil {
		t.Fatal(d.Err)
	}
	if d.Status["url"] != "https://a" || d.Status["size"] != "large" {
		t.Fatalf("top-level keys from both containers expected: %v", d.Status)
	}
	conds, _ := d.Status["conditions"].([]any)
	if len(conds) != 2 || conds[0].(map[string]any)["status"] != "False" || conds[1].(map[string]any)["type"] != "B" {
		t.Fatalf("conditions merged by type expected, got %v", conds)
	}
}

func TestParseDirectivesFailStopsLaterContainers(t *testing.T) {
	d := parseDirectives([]corev1.Container{
		container(EnvDuration, "1s", EnvStatus, `{"a":1}`),
		container(EnvFail, "boom"),
		container(EnvDuration, "5s", EnvSuspend, "later"),
	}, nil)
	if !d.Failed || d.Fail != "boom" {
		t.Fatalf("fail expected: %+v", d)
	}
	if d.Suspend || d.Duration != time.Second {
		t.Fatalf("containers after the failing one must not count: %+v", d)
	}
}

func TestParseDirectivesEmptyFailHasDefaultMessage(t *testing.T) {
	d := parseDirectives([]corev1.Container{container(EnvFail, "")}, nil)
	if !d.Failed || d.Fail != defaultFailMessage {
		t.Fatalf("got %+v", d)
	}
}

func TestParseDirectivesDurationsAddUp(t *testing.T) {
	d := parseDirectives([]corev1.Container{container(EnvDuration, "1s"), container(), container(EnvDuration, "500ms")}, nil)
	if got := d.runDuration(time.Hour); got != 1500*time.Millisecond {
		t.Fatalf("got %v", got)
	}
	zero := parseDirectives([]corev1.Container{container(EnvDuration, "0s")}, nil)
	if got := zero.runDuration(time.Hour); got != 0 {
		t.Fatalf("an explicit 0s must win over the default, got %v", got)
	}
}

func TestParseDirectivesSuspendLastMessageWins(t *testing.T) {
	d := parseDirectives([]corev1.Container{container(EnvSuspend, "first"), container(EnvSuspend, "waiting for approval")}, nil)
	if !d.Suspend || d.SuspendMessage != "waiting for approval" {
		t.Fatalf("got %+v", d)
	}
}

func TestParseDirectivesErrors(t *testing.T) {
	for _, tc := range []struct{ name, value, want string }{
		{EnvDuration, "soon", EnvDuration},
		{EnvDuration, "-1s", EnvDuration},
		{EnvStatus, "just a string", "failed to unmarshal incoming status"},
		{EnvStatus, "[1, 2]", "failed to unmarshal incoming status"},
	} {
		d := parseDirectives([]corev1.Container{container(tc.name, tc.value)}, nil)
		if d.Err == nil || !strings.Contains(d.Err.Error(), tc.want) {
			t.Errorf("%s=%q: want an error containing %q, got %v", tc.name, tc.value, tc.want, d.Err)
		}
	}
}

func TestParseDirectivesIgnoresValueFrom(t *testing.T) {
	c := corev1.Container{Env: []corev1.EnvVar{{Name: EnvFail, ValueFrom: &corev1.EnvVarSource{}}}}
	if d := parseDirectives([]corev1.Container{c}, nil); d.Failed {
		t.Fatal("valueFrom must be ignored")
	}
}

func TestParseDirectivesResolvesValueFrom(t *testing.T) {
	ref := func(key string) corev1.EnvVar {
		return corev1.EnvVar{Name: EnvFail, ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{Key: key}}}
	}
	resolve := func(src *corev1.EnvVarSource) (string, bool, error) {
		switch src.ConfigMapKeyRef.Key {
		case "set":
			return "from a ConfigMap", true, nil
		case "unset":
			return "", false, nil
		}
		return "", false, errors.New("no such key")
	}
	if d := parseDirectives([]corev1.Container{{Env: []corev1.EnvVar{ref("set")}}}, resolve); !d.Failed || d.Fail != "from a ConfigMap" {
		t.Errorf("set: %+v", d)
	}
	if d := parseDirectives([]corev1.Container{{Env: []corev1.EnvVar{ref("unset")}}}, resolve); d.Failed || d.Err != nil {
		t.Errorf("an optional missing key leaves the variable unset: %+v", d)
	}
	if d := parseDirectives([]corev1.Container{{Env: []corev1.EnvVar{ref("broken")}}}, resolve); d.Err == nil {
		t.Errorf("resolution errors: %+v", d)
	}
}

func TestApplyPipelineStatus(t *testing.T) {
	existing := map[string]any{
		"message":    "Pending",
		"kratix":     map[string]any{"workflows": map[string]any{}},
		"conditions": []any{map[string]any{"type": "Ready", "status": "False"}},
	}
	merged, err := applyPipelineStatus(existing, map[string]any{
		"message": "custom", "url": "x",
		"conditions": []any{map[string]any{"type": "Ready", "status": "True"}, map[string]any{"type": "Custom", "status": "True"}},
	}, workflowResource)
	if err != nil {
		t.Fatal(err)
	}
	if merged["message"] != "custom" || merged["url"] != "x" || merged["kratix"] == nil {
		t.Fatalf("merge: %v", merged)
	}
	conds := merged["conditions"].([]any)
	if len(conds) != 2 || conds[0].(map[string]any)["status"] != "True" {
		t.Fatalf("conditions: %v", conds)
	}
	if existing["message"] != "Pending" {
		t.Fatal("the input must not be modified")
	}
	if _, err := applyPipelineStatus(existing, map[string]any{"kratix": map[string]any{}}, workflowResource); !errors.Is(err, errKratixStatus) {
		t.Fatalf("a kratix key must be refused, got %v", err)
	}
	promise, err := applyPipelineStatus(map[string]any{}, map[string]any{"message": "Promise ready", "url": "x"}, workflowPromise)
	if err != nil || promise["message"] != "Promise ready" || promise["url"] != nil {
		t.Fatalf("a Promise keeps only message: %v %v", promise, err)
	}
}
