package main

import (
	"encoding/json"
	"testing"
	"time"
)

func TestRTTSavedAsText(t *testing.T) {
	data, err := json.Marshal(settings{RTT: jsonDuration(50 * time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if m["rtt"] != "50ms" {
		t.Fatalf("rtt saved as %v, want \"50ms\"", m["rtt"])
	}
	var back settings
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if time.Duration(back.RTT) != 50*time.Millisecond {
		t.Fatalf("rtt read back as %s", time.Duration(back.RTT))
	}
	// Results saved before BENCH_RTT existed have no rtt: loopback.
	var old settings
	if err := json.Unmarshal([]byte(`{"Reps":3}`), &old); err != nil {
		t.Fatal(err)
	}
	if old.RTT != 0 || rttDescription(old) != "API server on loopback (no added round-trip time)" {
		t.Fatalf("old results read as rtt %s: %q", time.Duration(old.RTT), rttDescription(old))
	}
}
