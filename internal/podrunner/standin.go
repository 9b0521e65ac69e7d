package podrunner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/kratix-community/terraform-provider-kratix/internal/emulator"
)

// standIn does what a Promise's own image would, as its directives say:
// it writes /kratix/metadata/status.yaml, workflow-control.yaml and a file
// in /kratix/output through the container's mounts.
func standIn(ctx context.Context, c *corev1.Container, env []string, mounts []mount) (int32, string) {
	vars := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	if d, ok := vars[emulator.EnvDuration]; ok {
		dur, err := time.ParseDuration(d)
		if err != nil || dur < 0 {
			return 1, fmt.Sprintf("%s: %q is not a non-negative Go duration", emulator.EnvDuration, d)
		}
		select {
		case <-ctx.Done():
			return 137, "killed"
		case <-time.After(dur):
		}
	}
	if msg, ok := vars[emulator.EnvFail]; ok {
		if msg == "" {
			msg = "the pipeline failed (" + emulator.EnvFail + ")"
		}
		return 1, msg
	}
	if err := writeDirectives(c, vars, mounts); err != nil {
		return 1, err.Error()
	}
	return 0, ""
}

func writeDirectives(c *corev1.Container, vars map[string]string, mounts []mount) error {
	if status, ok := vars[emulator.EnvStatus]; ok {
		if err := mergeStatusFile(mounts, status); err != nil {
			return err
		}
	}
	if msg, ok := vars[emulator.EnvSuspend]; ok {
		ctl, _ := yaml.Marshal(map[string]any{"suspend": true, "message": msg})
		if err := writeInContainer(mounts, "/kratix/metadata/workflow-control.yaml", ctl); err != nil {
			return err
		}
	}
	if vars["KRATIX_WORKFLOW_ACTION"] != "configure" {
		return nil
	}
	return writeInContainer(mounts, "/kratix/output/"+c.Name+"-configmap.yaml", runConfigMap(c, vars))
}

// runConfigMap is the manifest the stand-in writes for the work-writer: a
// ConfigMap that says which pipeline run made it.
func runConfigMap(c *corev1.Container, vars map[string]string) []byte {
	name := strings.Trim(strings.ToLower(fmt.Sprintf("%s-%s-%s", vars["KRATIX_OBJECT_NAME"], vars["KRATIX_PIPELINE_NAME"], c.Name)), "-")
	if len(name) > 63 {
		name = strings.TrimRight(name[:63], "-.")
	}
	cm := map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata":   map[string]any{"name": name, "namespace": "default"},
		"data": map[string]any{
			"promise":   vars["KRATIX_PROMISE_NAME"],
			"pipeline":  vars["KRATIX_PIPELINE_NAME"],
			"object":    vars["KRATIX_OBJECT_NAME"],
			"namespace": vars["KRATIX_OBJECT_NAMESPACE"],
			"container": c.Name,
		},
	}
	out, _ := yaml.Marshal(cm)
	return out
}

// mergeStatusFile adds a STATUS directive to status.yaml as a later
// container would: top-level keys overwrite, conditions merge by type.
func mergeStatusFile(mounts []mount, value string) error {
	var incoming map[string]any
	if err := yaml.Unmarshal([]byte(value), &incoming); err != nil {
		return fmt.Errorf("%s: %w", emulator.EnvStatus, err)
	}
	path, ok := hostPath(mounts, "/kratix/metadata/status.yaml")
	if !ok {
		return fmt.Errorf("the container has no /kratix/metadata mount")
	}
	existing := map[string]any{}
	if data, err := os.ReadFile(path); err == nil {
		if err := yaml.Unmarshal(data, &existing); err != nil {
			return fmt.Errorf("reading %s: %w", path, err)
		}
	}
	for k, v := range incoming {
		if k == "conditions" {
			v = mergeConditions(existing[k], v)
		}
		existing[k] = v
	}
	out, err := yaml.Marshal(existing)
	if err != nil {
		return err
	}
	return writeFile(path, out)
}

func mergeConditions(existing, incoming any) any {
	old, _ := existing.([]any)
	next, ok := incoming.([]any)
	if !ok {
		return incoming
	}
	merged := append([]any{}, old...)
	for _, c := range next {
		t := conditionType(c)
		replaced := false
		for i, o := range merged {
			if t != "" && conditionType(o) == t {
				merged[i], replaced = c, true
			}
		}
		if !replaced {
			merged = append(merged, c)
		}
	}
	return merged
}

func conditionType(c any) string {
	m, _ := c.(map[string]any)
	t, _ := m["type"].(string)
	return t
}

func writeInContainer(mounts []mount, path string, data []byte) error {
	host, ok := hostPath(mounts, path)
	if !ok {
		return fmt.Errorf("the container has no mount for %s", filepath.Dir(path))
	}
	return writeFile(host, data)
}
