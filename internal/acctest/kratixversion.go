package acctest

import (
	"sync"
	"testing"

	"k8s.io/client-go/discovery"
)

var versioned struct {
	once   sync.Once
	served bool
	err    error
}

// ServesVersionedPromises reports whether the platform's Kratix serves
// PromiseRevisions (Kratix of 2026 on, and the emulator), asked once.
func ServesVersionedPromises(t *testing.T) bool {
	t.Helper()
	versioned.once.Do(func() {
		cs, err := discovery.NewDiscoveryClientForConfig(current.config)
		if err != nil {
			versioned.err = err
			return
		}
		resources, err := cs.ServerResourcesForGroupVersion("platform.kratix.io/v1alpha1")
		if err != nil {
			versioned.err = err
			return
		}
		for _, r := range resources.APIResources {
			versioned.served = versioned.served || r.Name == "promiserevisions"
		}
	})
	if versioned.err != nil {
		t.Fatal(versioned.err)
	}
	return versioned.served
}
