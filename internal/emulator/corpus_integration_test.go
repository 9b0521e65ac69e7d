package emulator

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// corpusPromise is one Promise of the marketplace corpus and its request.
type corpusPromise struct {
	dir     string
	promise *unstructured.Unstructured
	request *unstructured.Unstructured
}

// loadCorpus reads every Promise of internal/testdata/kratix-marketplace.
func loadCorpus(t *testing.T) []corpusPromise {
	t.Helper()
	root := repoFile(t, "internal", "testdata", "kratix-marketplace")
	var out []corpusPromise
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") {
			return err
		}
		obj := readObject(t, path)
		if obj.GetKind() != "Promise" {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		entry := corpusPromise{dir: rel, promise: obj}
		for _, name := range []string{"resource-request.yaml", "example-resource-request.yaml"} {
			if _, err := os.Stat(filepath.Join(filepath.Dir(path), name)); err == nil {
				entry.request = readObject(t, filepath.Join(filepath.Dir(path), name))
			}
		}
		out = append(out, entry)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].dir < out[j].dir })
	return out
}

// TestIntegrationCorpus applies every marketplace Promise with its request,
// checks the statuses against kratix-api.md, and deletes the Promise.
// Promises with requiredPromises get them first: from the corpus when it
// has the Promise at that version, otherwise as an empty stand-in Promise
// labelled with the version (postgresql is not in the corpus).
// invalidCorpusAPIs are the corpus Promises whose API is not a valid CRD
// (sql/aws spells a printer column's jsonPath as JSONPath).
var invalidCorpusAPIs = map[string]bool{"sql/aws": true}

func TestIntegrationCorpus(t *testing.T) {
	c := integration(t)
	corpus := loadCorpus(t)
	if len(corpus) < 25 {
		t.Fatalf("only %d Promises in the corpus", len(corpus))
	}
	for _, entry := range corpus {
		t.Run(entry.dir, func(t *testing.T) {
			c := &cluster{t: t, dyn: c.dyn, kube: c.kube}
			promise := corpusPromiseObject(entry.promise)
			err := c.dryRunAPI(promise)
			switch {
			case err != nil && invalidCorpusAPIs[entry.dir]:
				// Kratix's Promise webhook dry-runs the CRD and rejects
				// the Promise; so does the API server here.
				t.Skipf("Kratix would reject this Promise: its API is not a valid CRD: %v", err)
			case err != nil:
				t.Fatalf("the API server rejects the Promise's API: %v", err)
			case invalidCorpusAPIs[entry.dir]:
				t.Fatal("the API server accepts the Promise's API, which is known to be invalid")
			}
			c.installRequirements(corpus, promise)
			c.applyCorpusPromise(promise)
			if entry.request != nil && nestedMap(promise.Object, "spec", "api") != nil {
				c.checkCorpusRequest(promise, entry.request)
			}
		})
	}
}

// corpusPromiseObject is the Promise as kubectl would send it: Promises
// are cluster-scoped, and kubectl ignores a namespace on them (one corpus
// file sets metadata.namespace).
func corpusPromiseObject(promise *unstructured.Unstructured) *unstructured.Unstructured {
	p := promise.DeepCopy()
	p.SetNamespace("")
	return p
}

// dryRunAPI creates the Promise's generated CRD in dry-run mode, as Kratix's
// validating webhook does.
func (c *cluster) dryRunAPI(promise *unstructured.Unstructured) error {
	api, ok := nestedMap(promise.Object, "spec")["api"].(map[string]any)
	if !ok {
		return nil
	}
	_, err := c.res(gvrCRD, "").Create(context.Background(), generatedCRD(promise, api), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	return err
}

// installRequirements installs what a Promise requires; each is deleted
// when the test ends.
func (c *cluster) installRequirements(corpus []corpusPromise, promise *unstructured.Unstructured) {
	c.t.Helper()
	for _, item := range nestedSlice(promise.Object, "spec", "requiredPromises") {
		req, _ := item.(map[string]any)
		name, _ := req["name"].(string)
		version, _ := req["version"].(string)
		required := stubPromise(name, version)
		for _, e := range corpus {
			if e.promise.GetName() == name && e.promise.GetLabels()[labelPromiseVersion] == version {
				required = e.promise.DeepCopy()
			}
		}
		c.applyCorpusPromise(required)
	}
}

func stubPromise(name, version string) *unstructured.Unstructured {
	p := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": kratixGroup + "/" + kratixVersion, "kind": "Promise",
		"metadata": map[string]any{"name": name}, "spec": map[string]any{},
	}}
	p.SetLabels(map[string]string{labelPromiseVersion: version})
	return p
}

// applyCorpusPromise creates a Promise and checks it becomes Available with
// the status kratix-api.md §3.2 and §3.3 describe.
func (c *cluster) applyCorpusPromise(promise *unstructured.Unstructured) *unstructured.Unstructured {
	c.t.Helper()
	name := promise.GetName()
	c.create(gvrPromise, promise.DeepCopy())
	c.t.Cleanup(func() { c.uninstall(name) })
	spec := nestedMap(promise.Object, "spec")
	configure := len(pipelinesOf(spec, workflowPromise, actionConfigure))
	got := c.waitFor("Available", gvrPromise, "", name, func(o *unstructured.Unstructured) bool {
		return statusString(o, "status") == statusAvailable && condIs(o, condAvailable, "True", "PromiseAvailable") &&
			(configure == 0 || condIs(o, condConfigureWorkflowCompleted, "True", "PipelinesExecutedSuccessfully")) &&
			cond(o, condWorksSucceeded) != nil
	})
	if api, ok := spec["api"].(map[string]any); ok {
		info, err := apiInfoOf(api)
		if err != nil {
			c.t.Fatal(err)
		}
		if statusString(got, "kind") != info.kind || statusString(got, "apiVersion") != info.apiVersion() ||
			statusString(got, "kratix", "kind") != info.kind || statusString(got, "kratix", "apiVersion") != info.apiVersion() {
			c.t.Errorf("kind/apiVersion:\n%s", dump(got))
		}
	}
	if v, ok := promise.GetLabels()[labelPromiseVersion]; ok && (statusString(got, "version") != v || statusString(got, "kratix", "version") != v) {
		c.t.Errorf("version %q, want %q", statusString(got, "version"), v)
	}
	if configure == 0 && cond(got, condConfigureWorkflowCompleted) != nil {
		c.t.Error("ConfigureWorkflowCompleted only exists with promise configure pipelines")
	}
	if len(nestedSlice(spec, "requiredPromises")) > 0 && !condIs(got, condRequirementsFulfilled, "True", "RequirementsInstalled") {
		c.t.Errorf("RequirementsFulfilled %s", fmtCond(got, condRequirementsFulfilled))
	}
	if statusInt(got, "workflows") != int64(configure) || statusInt(got, "workflowsSucceeded") != int64(configure) {
		c.t.Errorf("counters:\n%s", dump(got))
	}
	if configure > 0 {
		jobs := c.jobs(platformNamespace, map[string]string{labelPromiseName: name, labelWorkflowType: workflowPromise})
		if len(jobs) != configure {
			c.t.Errorf("%d promise Jobs, want %d", len(jobs), configure)
		}
	}
	if len(nestedSlice(spec, "dependencies")) > 0 {
		if n := len(c.list(gvrWork, platformNamespace, labelPromiseName+"="+name+","+labelWorkType+"="+workTypeStaticDep)); n != 1 {
			c.t.Errorf("%d static-dependency Works", n)
		}
	}
	return got
}

// checkCorpusRequest creates the corpus request and checks §5: configured
// for its generation, "Resource requested", Jobs named and labelled as
// Kratix does; then deleting the Promise removes it and the CRD.
func (c *cluster) checkCorpusRequest(promise, request *unstructured.Unstructured) {
	c.t.Helper()
	info, _ := apiInfoOf(nestedMap(promise.Object, "spec", "api"))
	rr := request.DeepCopy()
	if rr.GetNamespace() == "" {
		rr.SetNamespace("default")
	}
	c.create(info.gvr, rr)
	got := c.waitFor("configured", info.gvr, rr.GetNamespace(), rr.GetName(), func(o *unstructured.Unstructured) bool {
		return configured(o) && statusString(o, "message") == msgResourceRequested
	})
	pipelines := pipelinesOf(nestedMap(promise.Object, "spec"), workflowResource, actionConfigure)
	if statusInt(got, "workflows") != int64(len(pipelines)) || statusInt(got, "workflowsSucceeded") != int64(len(pipelines)) {
		c.t.Errorf("counters:\n%s", dump(got))
	}
	jobs := c.jobs(rr.GetNamespace(), map[string]string{labelPromiseName: promise.GetName(), labelResourceName: rr.GetName()})
	if len(jobs) != len(pipelines) {
		c.t.Fatalf("%d Jobs, want %d", len(jobs), len(pipelines))
	}
	for i, p := range pipelines {
		var job *unstructured.Unstructured
		for j := range jobs {
			if jobs[j].GetLabels()[labelPipelineName] == p.Name {
				job = &jobs[j]
			}
		}
		if job == nil {
			c.t.Errorf("no Job for pipeline %q", p.Name)
			continue
		}
		l := job.GetLabels()
		re := regexp.MustCompile("^" + regexp.QuoteMeta(namePrefix(jobNamePrefix(promise.GetName(), rr.GetName(), "", p.Name))) + "-[0-9a-f]{5}$")
		if !re.MatchString(job.GetName()) || len(job.GetName()) > 63 {
			c.t.Errorf("Job name %q", job.GetName())
		}
		if l[labelWorkflowType] != workflowResource || l[labelWorkflowAction] != actionConfigure || l[labelManagedBy] != managedByKratix ||
			l[labelHash] == "" || !condIs(job, "Complete", "True", "") {
			c.t.Errorf("Job %d %s:\n%s", i, job.GetName(), dump(job))
		}
		for k, v := range p.Labels {
			if l[k] != v {
				c.t.Errorf("Job %s lacks the pipeline label %s=%s", job.GetName(), k, v)
			}
		}
	}
	c.uninstall(promise.GetName())
	c.waitGone(info.gvr, rr.GetNamespace(), rr.GetName())
	c.waitGone(gvrCRD, "", nestedString(promise.Object, "spec", "api", "metadata", "name"))
}
