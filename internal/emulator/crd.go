package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// promiseAPIInfo is what a Promise's spec.api declares.
type promiseAPIInfo struct {
	gvr  schema.GroupVersionResource // storage version
	kind string
}

// apiVersion is status.apiVersion: the lower-cased group/version of the
// storage version.
func (a promiseAPIInfo) apiVersion() string {
	return strings.ToLower(a.gvr.Group + "/" + a.gvr.Version)
}

// apiInfoOf reads group, storage version, plural and kind from spec.api.
func apiInfoOf(api map[string]any) (promiseAPIInfo, error) {
	spec := nestedMap(api, "spec")
	info := promiseAPIInfo{
		gvr:  schema.GroupVersionResource{Group: nestedString(spec, "group"), Resource: nestedString(spec, "names", "plural")},
		kind: nestedString(spec, "names", "kind"),
	}
	for i, item := range nestedSlice(spec, "versions") {
		v, _ := item.(map[string]any)
		if storage, _ := v["storage"].(bool); storage || i == 0 && info.gvr.Version == "" {
			info.gvr.Version, _ = v["name"].(string)
		}
	}
	if info.gvr.Group == "" || info.gvr.Version == "" || info.gvr.Resource == "" || info.kind == "" {
		return info, errors.New("spec.api is not a CustomResourceDefinition with group, names.plural, names.kind and a version")
	}
	return info, nil
}

// generatedCRD is the request CRD Kratix installs from spec.api (§3.4):
// a status subresource and Kratix's status schema on every version,
// default printer columns where the API has none, metadata.name capped at
// 63 characters, and the kratix.io/promise-name label.
func generatedCRD(promise *unstructured.Unstructured, api map[string]any) *unstructured.Unstructured {
	api = runtime.DeepCopyJSON(api)
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": nestedString(api, "metadata", "name")},
		"spec":     api["spec"],
	}}
	crd.SetLabels(nestedStringMap(api, "metadata", "labels"))
	setLabel(crd, labelPromiseName, promise.GetName())
	annotations := nestedStringMap(api, "metadata", "annotations")
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[annotationAPIHash] = apiHash(api)
	crd.SetAnnotations(annotations)

	versions := nestedSlice(crd.Object, "spec", "versions")
	for i, item := range versions {
		v, ok := item.(map[string]any)
		if !ok {
			continue
		}
		subresources, _ := v["subresources"].(map[string]any)
		if subresources == nil {
			subresources = map[string]any{}
		}
		subresources["status"] = map[string]any{}
		v["subresources"] = subresources
		injectSchema(v)
		if cols, _ := v["additionalPrinterColumns"].([]any); len(cols) == 0 {
			v["additionalPrinterColumns"] = defaultPrinterColumns()
		}
		versions[i] = v
	}
	_ = unstructured.SetNestedSlice(crd.Object, versions, "spec", "versions")
	return crd
}

func apiHash(api map[string]any) string {
	data, _ := json.Marshal(api)
	return md5Hex(string(data))
}

func nestedStringMap(obj map[string]any, fields ...string) map[string]string {
	m, _, _ := unstructured.NestedStringMap(obj, fields...)
	return m
}

func injectSchema(version map[string]any) {
	root := nestedMap(version, "schema", "openAPIV3Schema")
	if root == nil {
		root = map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}
	}
	props, _ := root["properties"].(map[string]any)
	if props == nil {
		props = map[string]any{}
	}
	props["status"] = requestStatusSchema()
	props["metadata"] = map[string]any{"type": "object", "properties": map[string]any{
		"name": map[string]any{"type": "string", "maxLength": int64(63)},
	}}
	root["properties"] = props
	version["schema"] = map[string]any{"openAPIV3Schema": root}
}

// requestStatusSchema is Kratix's status schema for requests: unknown
// fields are kept (pipelines write their own), Kratix's own are typed.
func requestStatusSchema() map[string]any {
	str := func() map[string]any { return map[string]any{"type": "string"} }
	date := func() map[string]any { return map[string]any{"type": "string", "format": "date-time"} }
	integer := func() map[string]any { return map[string]any{"type": "integer", "format": "int64"} }
	object := func(props map[string]any) map[string]any {
		return map[string]any{"type": "object", "properties": props}
	}
	pipelineItem := object(map[string]any{
		"name": str(), "phase": str(), "message": str(), "nextRetryAt": date(), "attempts": integer(), "lastTransitionTime": date(),
	})
	condItem := object(map[string]any{"type": str(), "status": str(), "reason": str(), "message": str(), "lastTransitionTime": date()})
	condItem["x-kubernetes-preserve-unknown-fields"] = true
	status := object(map[string]any{
		"message": str(), "observedGeneration": integer(),
		"workflows": integer(), "workflowsSucceeded": integer(), "workflowsFailed": integer(),
		"conditions": map[string]any{"type": "array", "items": condItem},
		"kratix": object(map[string]any{"workflows": object(map[string]any{
			"lastSuccessfulConfigureWorkflowTime": date(),
			"pipelines":                           map[string]any{"type": "array", "items": pipelineItem},
			"suspendedGeneration":                 integer(),
		})}),
	})
	status["x-kubernetes-preserve-unknown-fields"] = true
	return status
}

func defaultPrinterColumns() []any {
	return []any{
		map[string]any{"name": "message", "type": "string", "jsonPath": ".status.message"},
		map[string]any{"name": "status", "type": "string", "jsonPath": `.status.conditions[?(@.type=="Reconciled")].message`},
	}
}

// ensureCRD creates or updates the generated CRD and reports whether it
// is Established. It only writes when spec.api changed, so that the
// emulator does not fight the API server's defaulting.
func (e *Emulator) ensureCRD(ctx context.Context, crd *unstructured.Unstructured) (bool, error) {
	r := ref{gvr: gvrCRD, name: crd.GetName()}
	existing, err := e.get(ctx, r)
	if err != nil {
		return false, err
	}
	if existing == nil {
		_, err := e.client(r).Create(ctx, crd, metav1.CreateOptions{})
		return false, err
	}
	if existing.GetAnnotations()[annotationAPIHash] != crd.GetAnnotations()[annotationAPIHash] {
		existing, err = e.mutateObject(ctx, r, func(obj *unstructured.Unstructured) error {
			obj.Object["spec"] = crd.Object["spec"]
			obj.SetLabels(crd.GetLabels())
			obj.SetAnnotations(crd.GetAnnotations())
			return nil
		})
		if err != nil || existing == nil {
			return false, err
		}
	}
	return conditionIs(nestedMap(existing.Object, "status"), "Established", "True"), nil
}
