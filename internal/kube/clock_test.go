package kube

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// A laptop whose clock is five minutes behind the API server's: ServerNow
// is the server's time, learnt from the Date header of a response, so an
// object the server stamped a minute ago is in the past, not in the future.
func TestServerNowFollowsTheServersClock(t *testing.T) {
	server := time.Date(2026, 12, 6, 1, 0, 30, 0, time.UTC)
	laptop := server.Add(-5 * time.Minute)
	f := newFakeAPI(t)
	f.serveWidgets()
	f.on("GET", widgetsPath+"/w1", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Date", server.Format(http.TimeFormat))
		writeJSON(w, http.StatusOK, widget("w1", "1", 1, 1, ""))
	})
	c := f.client()
	c.clock.local = func() time.Time { return laptop }
	if got := c.ServerNow(); !got.Equal(laptop) {
		t.Fatalf("before any response: ServerNow = %v, want the local clock's %v", got, laptop)
	}
	if _, err := c.Get(context.Background(), widgetGVK, "ns", "w1"); err != nil {
		t.Fatal(err)
	}
	c.clock.local = func() time.Time { return laptop.Add(10*time.Second + 300*time.Millisecond) }
	if got, want := c.ServerNow(), server.Add(10*time.Second); !got.Equal(want) {
		t.Errorf("ServerNow = %v, want the server's %v (truncated to the second)", got, want)
	}
	stamped := server.Add(-time.Minute) // e.g. a Job's creationTimestamp
	if !stamped.Before(c.ServerNow()) {
		t.Errorf("a time the server wrote a minute ago is not before ServerNow")
	}
}
