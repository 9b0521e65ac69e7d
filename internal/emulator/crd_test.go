package emulator

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

const testAPI = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: redis.marketplace.kratix.io
spec:
  group: marketplace.kratix.io
  names: {kind: redis, plural: redis, singular: redis}
  scope: Namespaced
  versions:
  - name: v1alpha1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: string}}}
  - name: v1beta1
    served: true
    storage: false
    subresources: {scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas}}
    additionalPrinterColumns: [{name: Size, type: string, jsonPath: .spec.size}]
    schema:
      openAPIV3Schema: {type: object}
`

func testPromiseObject(t *testing.T) (*unstructured.Unstructured, map[string]any) {
	t.Helper()
	var api map[string]any
	if err := yaml.Unmarshal([]byte(testAPI), &api); err != nil {
		t.Fatal(err)
	}
	p := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "platform.kratix.io/v1alpha1", "kind": "Promise",
		"metadata": map[string]any{"name": "redis"}, "spec": map[string]any{"api": api},
	}}
	return p, api
}

func TestGeneratedCRD(t *testing.T) {
	promise, api := testPromiseObject(t)
	crd := generatedCRD(promise, api)
	if crd.GetLabels()[labelPromiseName] != "redis" || crd.GetName() != "redis.marketplace.kratix.io" {
		t.Fatalf("metadata: %v", crd.Object["metadata"])
	}
	if crd.GetAnnotations()[annotationAPIHash] != apiHash(api) {
		t.Fatal("api hash annotation")
	}
	versions := nestedSlice(crd.Object, "spec", "versions")
	for _, item := range versions {
		v := item.(map[string]any)
		if _, ok := nestedMap(v, "subresources")["status"]; !ok {
			t.Errorf("%s: no status subresource", v["name"])
		}
		status := nestedMap(v, "schema", "openAPIV3Schema", "properties", "status")
		if status["x-kubernetes-preserve-unknown-fields"] != true {
			t.Errorf("%s: status must preserve unknown fields", v["name"])
		}
		for _, path := range [][]string{
			{"properties", "message"}, {"properties", "observedGeneration"}, {"properties", "workflows"},
			{"properties", "workflowsSucceeded"}, {"properties", "workflowsFailed"}, {"properties", "conditions"},
			{"properties", "kratix", "properties", "workflows", "properties", "lastSuccessfulConfigureWorkflowTime"},
			{"properties", "kratix", "properties", "workflows", "properties", "pipelines"},
			{"properties", "kratix", "properties", "workflows", "properties", "suspendedGeneration"},
		} {
			if nestedMap(status, path...) == nil {
				t.Errorf("%s: status schema lacks %v", v["name"], path)
			}
		}
		if nestedMap(v, "schema", "openAPIV3Schema", "properties", "metadata", "properties", "name")["maxLength"] != int64(63) {
			t.Errorf("%s: metadata.name must be capped at 63", v["name"])
		}
	}
	v0, v1 := versions[0].(map[string]any), versions[1].(map[string]any)
	cols := v0["additionalPrinterColumns"].([]any)
	if len(cols) != 2 || cols[0].(map[string]any)["jsonPath"] != ".status.message" ||
		cols[1].(map[string]any)["jsonPath"] != `.status.conditions[?(@.type=="Reconciled")].message` {
		t.Errorf("default printer columns: %v", cols)
	}
	if cols := v1["additionalPrinterColumns"].([]any); len(cols) != 1 {
		t.Errorf("the API's own printer columns must be kept: %v", cols)
	}
	if _, ok := nestedMap(v1, "subresources")["scale"]; !ok {
		t.Error("other subresources must be kept")
	}
	if nestedMap(api, "spec", "versions") != nil || len(nestedSlice(api, "spec", "versions")[0].(map[string]any)) != 4 {
		t.Error("spec.api must not be modified")
	}
}

func TestAPIInfo(t *testing.T) {
	_, api := testPromiseObject(t)
	info, err := apiInfoOf(api)
	if err != nil {
		t.Fatal(err)
	}
	if info.kind != "redis" || info.gvr.Resource != "redis" || info.gvr.Version != "v1alpha1" || info.apiVersion() != "marketplace.kratix.io/v1alpha1" {
		t.Fatalf("got %+v %s", info, info.apiVersion())
	}
	if _, err := apiInfoOf(map[string]any{"spec": map[string]any{}}); err == nil {
		t.Fatal("an incomplete API must be an error")
	}
}
