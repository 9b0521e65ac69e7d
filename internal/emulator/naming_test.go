package emulator

import (
	"regexp"
	"strings"
	"testing"
)

func TestJobNames(t *testing.T) {
	short := jobName("redis", "example", "", "instance-configure")
	if !regexp.MustCompile(`^kratix-redis-example-instance-configure-[0-9a-f]{5}$`).MatchString(short) {
		t.Fatalf("got %q", short)
	}
	if got := jobNamePrefix("p", "rr", "team-a", "configure"); got != "kratix-p-rr-team-a-configure" {
		t.Fatalf("pipelineNamespace form: %q", got)
	}
	if got := jobNamePrefix("p", "", "", "promise-configure"); got != "kratix-p-promise-configure" {
		t.Fatalf("promise form: %q", got)
	}
	long := jobName("a-very-long-promise-name", "a-very-long-resource-request-name", "", "instance-configure")
	if len(long) > 63 {
		t.Fatalf("%q is %d characters", long, len(long))
	}
	prefix := long[:len(long)-6]
	full := jobNamePrefix("a-very-long-promise-name", "a-very-long-resource-request-name", "", "instance-configure")
	if !strings.HasPrefix(full, prefix) || len(prefix) != 56 {
		t.Fatalf("prefix %q (%d) must be the first 56 characters of %q", prefix, len(prefix), full)
	}
}

func TestNamePrefix(t *testing.T) {
	exact := strings.Repeat("a", 57)
	if namePrefix(exact) != exact {
		t.Fatal("57 characters fit")
	}
	// Cutting must not leave a trailing dash.
	dashy := strings.Repeat("a", 55) + "-b-cccc"
	if got := namePrefix(dashy); got != strings.Repeat("a", 55) {
		t.Fatalf("got %q", got)
	}
}

func TestDeterministicNames(t *testing.T) {
	if first, second := resourceBindingName("example", "redis"), resourceBindingName("example", "redis"); first != second {
		t.Fatal("ResourceBinding names must be deterministic")
	}
	if !regexp.MustCompile(`^example-redis-[0-9a-f]{5}$`).MatchString(resourceBindingName("example", "redis")) {
		t.Fatalf("got %q", resourceBindingName("example", "redis"))
	}
	if got := revisionName("redis", "v0.1.0"); got != "redis-"+md5Hex("v0.1.0")[:5] {
		t.Fatalf("got %q", got)
	}
	if workPlacementName("w", "dest", "0123456789") != "w.dest-01234" {
		t.Fatal("workplacement name")
	}
	if workIdentifier("p", "rr", "", "pl") != "p-rr-pl" || workIdentifier("p", "", "", "pl") != "p-pl" || workIdentifier("p", "rr", "ns", "pl") != "p-rr-ns-pl" {
		t.Fatal("work identifiers")
	}
}

func TestHashes(t *testing.T) {
	a := map[string]any{"spec": map[string]any{"b": "1", "a": "2"}, "metadata": map[string]any{"labels": map[string]any{"x": "y"}}}
	b := map[string]any{"spec": map[string]any{"a": "2", "b": "1"}}
	if specHash(a) != specHash(b) {
		t.Fatal("the hash covers spec only, independent of key order")
	}
	p := map[string]any{"spec": map[string]any{"x": "1"}}
	if requestHash(p, a) != md5Hex(specHash(p)+specHash(a)) {
		t.Fatal("request hash")
	}
	p2 := map[string]any{"spec": map[string]any{"x": "2"}}
	if requestHash(p, a) == requestHash(p2, a) {
		t.Fatal("a Promise change must change the request hash")
	}
}
