package emulator

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// testPromise is a small Promise whose pipelines carry emulator directives.
type testPromise struct {
	name, kind string
	version    string
	// nil means no such workflow; each entry is one pipeline's env.
	promiseConfigure, promiseDelete, configure, delete [][]corev1.EnvVar
	selectors                                          map[string]string
	pipelineNamespace                                  string
}

const testGroup = "test.emulator.kratix.io"

func newTestPromise() testPromise {
	suffix := randomHex(6)
	return testPromise{name: "emu-" + suffix, kind: "emu" + suffix, version: "v1.0.0"}
}

func (p testPromise) gvr() schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: testGroup, Version: "v1alpha1", Resource: p.kind + "s"}
}

func env(kv ...string) []corev1.EnvVar {
	var out []corev1.EnvVar
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, corev1.EnvVar{Name: kv[i], Value: kv[i+1]})
	}
	return out
}

// fromConfigMap is a directive read, when the pipeline runs, from an
// optional ConfigMap key.
func fromConfigMap(name, configMap, key string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: configMap}, Key: key, Optional: ptrBool(true),
	}}}
}

func (p testPromise) object() *unstructured.Unstructured {
	workflows := map[string]any{}
	if p.pipelineNamespace != "" {
		workflows["config"] = map[string]any{"pipelineNamespace": p.pipelineNamespace}
	}
	add := func(wfType, action, prefix string, envs [][]corev1.EnvVar) {
		if envs == nil {
			return
		}
		list := make([]any, 0, len(envs))
		for i, e := range envs {
			name := prefix
			if i > 0 {
				name = prefix + "-" + string(rune('a'+i))
			}
			list = append(list, testPipeline(name, e))
		}
		wt, _ := workflows[wfType].(map[string]any)
		if wt == nil {
			wt = map[string]any{}
			workflows[wfType] = wt
		}
		wt[action] = list
	}
	add(workflowPromise, actionConfigure, "promise-configure", p.promiseConfigure)
	add(workflowPromise, actionDelete, "promise-cleanup", p.promiseDelete)
	add(workflowResource, actionConfigure, "configure", p.configure)
	add(workflowResource, actionDelete, "cleanup", p.delete)
	spec := map[string]any{"api": p.api(), "workflows": workflows}
	if len(p.selectors) > 0 {
		ml := map[string]any{}
		for k, v := range p.selectors {
			ml[k] = v
		}
		spec["destinationSelectors"] = []any{map[string]any{"matchLabels": ml}}
	}
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": kratixGroup + "/" + kratixVersion, "kind": "Promise",
		"metadata": map[string]any{"name": p.name}, "spec": spec,
	}}
	if p.version != "" {
		obj.SetLabels(map[string]string{labelPromiseVersion: p.version})
	}
	return obj
}

func testPipeline(name string, e []corev1.EnvVar) map[string]any {
	container := map[string]any{"name": "main", "image": "ghcr.io/example/pipeline:v1"}
	if len(e) > 0 {
		list := make([]any, len(e))
		for i, v := range e {
			list[i], _ = runtime.DefaultUnstructuredConverter.ToUnstructured(&v)
		}
		container["env"] = list
	}
	return map[string]any{
		"apiVersion": kratixGroup + "/" + kratixVersion, "kind": "Pipeline",
		"metadata": map[string]any{"name": name, "labels": map[string]any{"example.com/team": "platform"}},
		"spec":     map[string]any{"containers": []any{container}},
	}
}

func (p testPromise) api() map[string]any {
	return map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": p.kind + "s." + testGroup},
		"spec": map[string]any{
			"group": testGroup, "scope": "Namespaced",
			"names": map[string]any{"kind": p.kind, "plural": p.kind + "s", "singular": p.kind},
			"versions": []any{map[string]any{
				"name": "v1alpha1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{
					"type": "object",
					"properties": map[string]any{"spec": map[string]any{
						"type":       "object",
						"properties": map[string]any{"size": map[string]any{"type": "string"}},
					}},
				}},
			}},
		},
	}
}

// request is an instance of the test Promise's API.
func (p testPromise) request(ns, name, size string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": testGroup + "/v1alpha1", "kind": p.kind,
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec":     map[string]any{"size": size},
	}}
}

// install creates the Promise and waits until it is Available.
func (c *cluster) install(p testPromise) *unstructured.Unstructured {
	c.t.Helper()
	c.create(gvrPromise, p.object())
	c.t.Cleanup(func() { c.uninstall(p.name) })
	return c.waitFor("Available", gvrPromise, "", p.name, func(o *unstructured.Unstructured) bool {
		return statusString(o, "status") == statusAvailable
	})
}

// uninstall deletes a Promise (which deletes its requests) and waits.
func (c *cluster) uninstall(name string) {
	c.t.Helper()
	c.delete(gvrPromise, "", name)
	c.waitGone(gvrPromise, "", name)
}
