package podrunner

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"
)

// pipelinePodSelector picks the pods of Kratix's workflow Jobs.
const pipelinePodSelector = "app.kubernetes.io/managed-by=Kratix"

// Options configure a Runner.
type Options struct {
	// Config is an admin configuration for the platform.
	Config *rest.Config
	// PipelineAdapter is the built pipeline-adapter binary.
	PipelineAdapter string
	// AdapterImage is the manager's PIPELINE_ADAPTER_IMG: containers with
	// this image run PipelineAdapter.
	AdapterImage string
	// WorkDir holds pod volumes (removed when a pod ends) and container logs.
	WorkDir string
	// Logf receives progress messages; nil discards them.
	Logf func(format string, args ...any)
	// StartDelay is how long a pod waits before its first container runs,
	// as a kubelet takes to create the pod's sandbox and pull its images;
	// zero means DefaultStartDelay.
	StartDelay time.Duration
}

// DefaultStartDelay is the least time a kubelet takes to start a pipeline
// pod. Kratix relies on it: from 2026 its workflow reconciler
// (lib/workflow/reconciler.go, createConfigurePipeline) creates the Job,
// waits 1.1 s (minimumPeriodBetweenCreatingPipelineResources) and only
// then sets the object's status.message to "Pending", which the
// status-writer of the last pipeline replaces with "Resource requested" or
// "Promise configured" (work-creator/lib/status_updater.go,
// MarkAsCompleted). A pod that ran at once would finish before that write
// and leave the message empty, which no kubelet does.
const DefaultStartDelay = 2 * time.Second

// Runner runs the pods of Kratix's pipeline Jobs.
type Runner struct {
	opts    Options
	client  kubernetes.Interface
	apiHost string
	apiPort string
	tools   sandboxTools

	mu      sync.Mutex
	running map[types.UID]context.CancelFunc
	wg      sync.WaitGroup
	ready   chan struct{}
}

// New checks what the runner needs (root, unshare, mount, chroot) and
// connects to the platform.
func New(opts Options) (*Runner, error) {
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if opts.StartDelay == 0 {
		opts.StartDelay = DefaultStartDelay
	}
	tools, err := findSandboxTools()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(opts.PipelineAdapter); err != nil {
		return nil, fmt.Errorf("the pipeline adapter binary: %w", err)
	}
	u, err := url.Parse(opts.Config.Host)
	if err != nil {
		return nil, fmt.Errorf("parsing the API server address %q: %w", opts.Config.Host, err)
	}
	client, err := kubernetes.NewForConfig(opts.Config)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.WorkDir, 0o755); err != nil {
		return nil, err
	}
	return &Runner{
		opts: opts, client: client, apiHost: u.Hostname(), apiPort: u.Port(), tools: tools,
		running: map[types.UID]context.CancelFunc{}, ready: make(chan struct{}),
	}, nil
}

// Ready is closed once the runner watches pods.
func (r *Runner) Ready() <-chan struct{} { return r.ready }

// Run watches pipeline pods until ctx ends, then waits for running pods'
// processes to be stopped.
func (r *Runner) Run(ctx context.Context) error {
	factory := informers.NewSharedInformerFactoryWithOptions(r.client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = pipelinePodSelector }))
	inf := factory.Core().V1().Pods().Informer()
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { r.maybeStart(ctx, obj) },
		UpdateFunc: func(_, obj any) { r.maybeStart(ctx, obj) },
		DeleteFunc: r.stopDeleted,
	})
	if err != nil {
		return err
	}
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		return ctx.Err()
	}
	close(r.ready)
	<-ctx.Done()
	factory.Shutdown()
	r.wg.Wait()
	return nil
}

func (r *Runner) maybeStart(ctx context.Context, obj any) {
	pod, ok := obj.(*corev1.Pod)
	if !ok || pod.DeletionTimestamp != nil || (pod.Status.Phase != corev1.PodPending && pod.Status.Phase != "") {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, claimed := r.running[pod.UID]; claimed {
		return
	}
	podCtx, cancel := context.WithCancel(ctx)
	r.running[pod.UID] = cancel
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.runPod(podCtx, pod.DeepCopy())
	}()
}

// stopDeleted kills the processes of a pod that was deleted while running
// (its Job was deleted); the claim stays so an old event cannot restart it.
func (r *Runner) stopDeleted(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if cancel, ok := r.running[pod.UID]; ok {
		cancel()
	}
}

// runPod runs one pod to its end and reports the outcome.
func (r *Runner) runPod(ctx context.Context, pod *corev1.Pod) {
	name := pod.Namespace + "/" + pod.Name
	select { // creating the sandbox and pulling the images
	case <-ctx.Done():
		return
	case <-time.After(r.opts.StartDelay):
	}
	started := metav1.Now()
	dir := filepath.Join(r.opts.WorkDir, "pods", fmt.Sprintf("%s_%s_%s", pod.Namespace, pod.Name, pod.UID))
	defer func() { // the logs stay for people to read
		_ = os.RemoveAll(filepath.Join(dir, "volumes"))
		_ = os.RemoveAll(filepath.Join(dir, "roots"))
	}()
	res := r.execute(ctx, pod, dir)
	if ctx.Err() != nil {
		return // the pod was deleted or the runner stopped
	}
	if err := r.report(context.WithoutCancel(ctx), pod, started, res); err != nil {
		r.opts.Logf("pod %s: reporting status: %v", name, err)
		return
	}
	r.opts.Logf("pod %s: %s", name, res.phase)
}

// result is the outcome of a pod's containers.
type result struct {
	phase    corev1.PodPhase
	init     []corev1.ContainerStatus
	main     []corev1.ContainerStatus
	message  string
	finished metav1.Time
}

func (r *Runner) execute(ctx context.Context, pod *corev1.Pod, dir string) result {
	res := result{phase: corev1.PodSucceeded}
	vols, err := r.materialiseVolumes(ctx, pod, filepath.Join(dir, "volumes"))
	failed := err != nil
	if failed {
		res.message = err.Error()
	}
	run := func(cs []corev1.Container, logDir string) []corev1.ContainerStatus {
		statuses := make([]corev1.ContainerStatus, 0, len(cs))
		for i := range cs {
			c := &cs[i]
			st := corev1.ContainerStatus{Name: c.Name, Image: c.Image, ImageID: c.Image}
			if failed || ctx.Err() != nil {
				st.State.Waiting = &corev1.ContainerStateWaiting{Reason: "PodInitializing"}
				statuses = append(statuses, st)
				continue
			}
			term := r.runContainer(ctx, pod, c, vols, logDir)
			st.State.Terminated = term
			st.Ready = false
			statuses = append(statuses, st)
			if term.ExitCode != 0 {
				failed = true
				res.message = fmt.Sprintf("container %s exited %d: %s", c.Name, term.ExitCode, term.Message)
			}
		}
		return statuses
	}
	logDir := filepath.Join(dir, "logs")
	res.init = run(pod.Spec.InitContainers, logDir)
	res.main = run(pod.Spec.Containers, logDir)
	if failed {
		res.phase = corev1.PodFailed
	}
	res.finished = metav1.Now()
	return res
}

// runContainer runs one container and returns its terminated state.
func (r *Runner) runContainer(ctx context.Context, pod *corev1.Pod, c *corev1.Container, vols map[string]string, logDir string) *corev1.ContainerStateTerminated {
	start := metav1.Now()
	term := &corev1.ContainerStateTerminated{StartedAt: start, Reason: "Completed"}
	env, err := r.containerEnv(ctx, pod, c, c.Image != r.opts.AdapterImage)
	if err == nil {
		mounts, mErr := containerMounts(c, vols)
		switch {
		case mErr != nil:
			err = mErr
		case c.Image == r.opts.AdapterImage:
			term.ExitCode, term.Message = r.runAdapter(ctx, c, env, mounts, logDir)
		default:
			term.ExitCode, term.Message = standIn(ctx, c, env, mounts)
		}
	}
	if err != nil {
		term.ExitCode, term.Message = 1, err.Error()
	}
	if term.ExitCode != 0 {
		term.Reason = "Error"
	}
	term.FinishedAt = metav1.Now()
	r.opts.Logf("pod %s/%s container %s: exit %d %s", pod.Namespace, pod.Name, c.Name, term.ExitCode, term.Message)
	return term
}

// report writes the pod's final status, retrying on conflicts with the Job
// controller's own updates (finalizers).
func (r *Runner) report(ctx context.Context, pod *corev1.Pod, started metav1.Time, res result) error {
	return retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		cur, err := r.client.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if cur.UID != pod.UID {
			return nil
		}
		cur.Status.Phase = res.phase
		cur.Status.StartTime = &started
		cur.Status.HostIP, cur.Status.PodIP = "127.0.0.1", "127.0.0.1"
		cur.Status.InitContainerStatuses = res.init
		cur.Status.ContainerStatuses = res.main
		cur.Status.Message = res.message
		cur.Status.Conditions = podConditions(res)
		_, err = r.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		return err
	})
}

func podConditions(res result) []corev1.PodCondition {
	initialized := corev1.ConditionTrue
	for _, st := range res.init {
		if st.State.Terminated == nil || st.State.Terminated.ExitCode != 0 {
			initialized = corev1.ConditionFalse
		}
	}
	return []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: res.finished},
		{Type: corev1.PodInitialized, Status: initialized, LastTransitionTime: res.finished},
		{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: "PodCompleted", LastTransitionTime: res.finished},
		{Type: corev1.ContainersReady, Status: corev1.ConditionFalse, Reason: "PodCompleted", LastTransitionTime: res.finished},
	}
}

// sandboxTools are the util-linux programs adapter containers run under.
type sandboxTools struct{ unshare, mount, chroot, sh, mkdir, touch string }

func findSandboxTools() (sandboxTools, error) {
	if os.Geteuid() != 0 {
		return sandboxTools{}, fmt.Errorf("the pod runner runs pipeline containers in private mount namespaces, which needs root (running as uid %d)", os.Geteuid())
	}
	var t sandboxTools
	for _, tool := range []struct {
		name string
		dst  *string
	}{{"unshare", &t.unshare}, {"mount", &t.mount}, {"chroot", &t.chroot}, {"sh", &t.sh}, {"mkdir", &t.mkdir}, {"touch", &t.touch}} {
		path, err := exec.LookPath(tool.name)
		if err != nil {
			return t, fmt.Errorf("the pod runner needs %s (util-linux) on PATH: %w", tool.name, err)
		}
		*tool.dst = path
	}
	return t, nil
}
