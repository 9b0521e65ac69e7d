package emulator

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"fmt"
	"sort"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

// defaultDirectory is the workload group of everything a pipeline writes
// outside directories it schedules separately.
const defaultDirectory = "."

// workLabels are the labels that identify a pipeline's Work (§8).
func workLabels(promise, request, requestNamespace, pipelineName, workflowType string) map[string]string {
	l := map[string]string{labelPromiseName: promise, labelWorkType: workflowType}
	if pipelineName != "" {
		l[labelPipelineName] = pipelineName
	}
	if workflowType == workflowResource {
		l[labelResourceName] = request
		if requestNamespace != "" {
			l[labelResourceNamespace] = requestNamespace
		}
	}
	return l
}

// promiseSelectors squashes spec.destinationSelectors; on a key set twice
// the first entry wins.
func promiseSelectors(promiseSpec map[string]any) map[string]string {
	list := nestedSlice(promiseSpec, "destinationSelectors")
	out := map[string]string{}
	for i := len(list) - 1; i >= 0; i-- {
		m, _ := list[i].(map[string]any)
		for k, v := range nestedMap(m, "matchLabels") {
			if s, ok := v.(string); ok {
				out[k] = s
			}
		}
	}
	return out
}

// workloadGroup is the default group of a Work, scheduled with the
// Promise's selectors.
func workloadGroup(selectors map[string]string, workloads ...map[string]any) map[string]any {
	group := map[string]any{"id": md5Hex(defaultDirectory), "directory": defaultDirectory}
	if len(selectors) > 0 {
		ml := map[string]any{}
		for k, v := range selectors {
			ml[k] = v
		}
		group["destinationSelectors"] = []any{map[string]any{"matchLabels": ml, "source": "promise"}}
	}
	items := make([]any, len(workloads))
	for i, w := range workloads {
		items[i] = w
	}
	group["workloads"] = items
	return group
}

// workload is one file of a Work; content is gzip then base64, as Kratix
// stores it.
func workload(path, content string) map[string]any {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write([]byte(content))
	_ = zw.Close()
	return map[string]any{"filepath": path, "content": base64.StdEncoding.EncodeToString(buf.Bytes())}
}

// writeWork is the work-writer of a configure Job: one Work per pipeline,
// found again by its labels on later runs. The emulated pipeline writes a
// single ConfigMap describing the run, since no real pipeline ran.
func (e *Emulator) writeWork(ctx context.Context, job *batchv1.Job) error {
	l := job.Labels
	promise, err := e.get(ctx, ref{gvr: gvrPromise, name: l[labelPromiseName]})
	if err != nil || promise == nil {
		return err
	}
	wfType, request, pipelineName := l[labelWorkflowType], l[labelResourceName], l[labelPipelineName]
	selector := workLabels(l[labelPromiseName], request, l[labelResourceNamespace], pipelineName, wfType)
	output := emulatedOutput(job)
	spec := map[string]any{
		"promiseName": l[labelPromiseName], "resourceName": request, "lastExecutionTimestamp": timestamp(),
		"workloadGroups": []any{workloadGroup(promiseSelectors(nestedMap(promise.Object, "spec")), workload(pipelineName+".yaml", output))},
	}
	name := generateName(workIdentifier(l[labelPromiseName], request, l[labelResourceNamespace], pipelineName))
	return e.applyWork(ctx, job.Namespace, name, selector, nil, spec)
}

// emulatedOutput is the manifest the emulated pipeline "writes".
func emulatedOutput(job *batchv1.Job) string {
	data, _ := yaml.Marshal(map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": job.Name + "-output"},
		"data": map[string]any{
			"promise": job.Labels[labelPromiseName], "resource": job.Labels[labelResourceName],
			"pipeline": job.Labels[labelPipelineName], "job": job.Name,
		},
	})
	return string(data)
}

// applyWork creates the Work selected by labels, or updates its spec.
func (e *Emulator) applyWork(ctx context.Context, namespace, name string, selector, annotations map[string]string, spec map[string]any) error {
	client := e.dyn.Resource(gvrWork).Namespace(namespace)
	list, err := client.List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(selector).String()})
	if err != nil {
		return err
	}
	if len(list.Items) == 0 {
		work := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": kratixGroup + "/" + kratixVersion, "kind": "Work",
			"metadata": map[string]any{"name": name, "namespace": namespace},
			"spec":     spec,
		}}
		work.SetLabels(selector)
		work.SetAnnotations(annotations)
		_, err = client.Create(ctx, work, metav1.CreateOptions{})
		return err
	}
	_, err = e.mutateObject(ctx, refOf(gvrWork, &list.Items[0]), func(obj *unstructured.Unstructured) error {
		obj.Object["spec"] = spec
		if annotations != nil {
			merged := obj.GetAnnotations()
			if merged == nil {
				merged = map[string]string{}
			}
			for k, v := range annotations {
				merged[k] = v
			}
			obj.SetAnnotations(merged)
		}
		return nil
	})
	return err
}

// reconcileStaticDependencies keeps the Promise's one static-dependency
// Work (§3.1) in line with spec.dependencies.
func (e *Emulator) reconcileStaticDependencies(ctx context.Context, promise *unstructured.Unstructured) error {
	spec := nestedMap(promise.Object, "spec")
	selector := map[string]string{labelPromiseName: promise.GetName(), labelWorkType: workTypeStaticDep}
	deps := nestedSlice(spec, "dependencies")
	if len(deps) == 0 {
		_, err := e.deleteAll(ctx, gvrWork, platformNamespace, labels.SelectorFromSet(selector).String())
		return err
	}
	docs := make([]string, 0, len(deps))
	for _, d := range deps {
		data, err := yaml.Marshal(d)
		if err != nil {
			return err
		}
		docs = append(docs, string(data))
	}
	group := workloadGroup(promiseSelectors(spec), workload(fmt.Sprintf("static/%s-dependencies.yaml", promise.GetName()), strings.Join(docs, "---\n")))
	workSpec := map[string]any{"promiseName": promise.GetName(), "workloadGroups": []any{group}}
	existing, err := e.dyn.Resource(gvrWork).Namespace(platformNamespace).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(selector).String()})
	if err != nil {
		return err
	}
	if len(existing.Items) > 0 && equality.Semantic.DeepEqual(existing.Items[0].Object["spec"], workSpec) {
		return nil
	}
	annotations := map[string]string{annotationLastUpdatedAt: timestamp()}
	return e.applyWork(ctx, platformNamespace, generateName(promise.GetName()+"-static-deps"), selector, annotations, workSpec)
}

// worksReadiness sorts the Works matching selector by their Ready
// condition's message, as Kratix does to derive WorksSucceeded.
type worksReadiness struct{ failed, misplaced, pending, ready []string }

func (e *Emulator) worksReadiness(ctx context.Context, namespace string, selector map[string]string) (worksReadiness, error) {
	var r worksReadiness
	list, err := e.dyn.Resource(gvrWork).Namespace(namespace).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(selector).String()})
	if err != nil {
		return r, err
	}
	for _, w := range list.Items {
		msg := msgPending
		if c, ok := findCondition(statusOf(&w), condReady); ok && c["message"] != "" && c["message"] != nil {
			msg, _ = c["message"].(string)
		}
		switch msg {
		case "Failing":
			r.failed = append(r.failed, w.GetName())
		case "Misplaced":
			r.misplaced = append(r.misplaced, w.GetName())
		case "Ready":
			r.ready = append(r.ready, w.GetName())
		default:
			r.pending = append(r.pending, w.GetName())
		}
	}
	sort.Strings(r.pending)
	return r, nil
}

// worksSucceeded is the WorksSucceeded condition for that readiness; noun
// is "resource" or "promise", as in Kratix's messages.
func (r worksReadiness) worksSucceeded(noun string) condition {
	c := condition{Type: condWorksSucceeded}
	switch {
	case len(r.failed) > 0:
		c.Status, c.Reason = "False", "WorksFailing"
		c.Message = fmt.Sprintf("Some works associated with this %s failed: [%s]", noun, strings.Join(r.failed, ","))
	case len(r.pending) > 0:
		c.Status, c.Reason = "Unknown", "WorksPending"
		c.Message = fmt.Sprintf("Some works associated with this %s are not ready: [%s]", noun, strings.Join(r.pending, ","))
	case len(r.misplaced) > 0:
		c.Status, c.Reason = "False", "WorksMisplaced"
		c.Message = fmt.Sprintf("Some works associated with this %s are misplaced: [%s]", noun, strings.Join(r.misplaced, ","))
	default:
		c.Status, c.Reason = "True", "WorksSucceeded"
		c.Message = fmt.Sprintf("All works associated with this %s are ready", noun)
	}
	return c
}

// reconciledCondition derives Reconciled from ConfigureWorkflowCompleted
// and WorksSucceeded, in Kratix's order of precedence. ok is false when
// Kratix would leave Reconciled as it is.
func reconciledCondition(status map[string]any) (condition, bool) {
	wf, hasWF := findCondition(status, condConfigureWorkflowCompleted)
	works, hasWorks := findCondition(status, condWorksSucceeded)
	switch {
	case hasWF && wf["status"] == "False" && wf["reason"] == "PipelinesInProgress":
		return condition{Type: condReconciled, Status: "Unknown", Reason: "WorkflowPending", Message: msgPending}, true
	case hasWF && wf["status"] == "False":
		return condition{Type: condReconciled, Status: "False", Reason: "ConfigureWorkflowFailed", Message: "Failing"}, true
	case hasWorks && works["status"] == "Unknown":
		return condition{Type: condReconciled, Status: "Unknown", Reason: "WorksPending", Message: msgPending}, true
	case hasWorks && works["status"] == "False":
		return condition{Type: condReconciled, Status: "False", Reason: "WorksFailing", Message: "Failing"}, true
	case hasWF && hasWorks && wf["status"] == "True" && works["status"] == "True":
		return condition{Type: condReconciled, Status: "True", Reason: "Reconciled", Message: "Reconciled"}, true
	}
	return condition{}, false
}
