package platform

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// TestPlatformStartStop starts the real control plane, checks what the
// provider's tests rely on (TLS, kubeconfig, RBAC, Kratix CRDs, the
// kratix-platform-system namespace), and checks Stop leaves no process.
func TestPlatformStartStop(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("starts a real API server; runs with TF_ACC=1")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	started := time.Now()
	p, err := Start(ctx, Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("platform started in %s", time.Since(started).Round(time.Millisecond))
	pids := make([]int, 0, len(p.procs))
	for _, proc := range p.procs {
		pids = append(pids, proc.cmd.Process.Pid)
	}

	cfg, err := clientcmd.BuildConfigFromFlags("", p.KubeconfigPath)
	if err != nil {
		t.Fatal(err)
	}
	client := dynamic.NewForConfigOrDie(cfg)
	promises := schema.GroupVersionResource{Group: "platform.kratix.io", Version: "v1alpha1", Resource: "promises"}
	if _, err := client.Resource(promises).List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatalf("listing promises with the admin kubeconfig: %v", err)
	}
	namespaces := schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	if _, err := client.Resource(namespaces).Get(ctx, "kratix-platform-system", metav1.GetOptions{}); err != nil {
		t.Fatalf("kratix-platform-system namespace: %v", err)
	}

	limited := dynamic.NewForConfigOrDie(&rest.Config{Host: p.Host, BearerToken: p.LimitedToken, TLSClientConfig: rest.TLSClientConfig{CAData: p.CAData}})
	if _, err := limited.Resource(promises).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("the limited token must be refused by RBAC, got %v", err)
	}

	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if syscall.Kill(pid, 0) == nil {
			t.Errorf("process %d still running after Stop", pid)
		}
	}
	if _, err := os.Stat(p.WorkDir); !os.IsNotExist(err) {
		t.Errorf("work dir %s left behind", p.WorkDir)
	}
}
