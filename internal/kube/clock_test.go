package kube

import (
	"context"
	"net/http"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
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

func TestWrittenAtTakesTheManagersNewestWrite(t *testing.T) {
	at := func(s int) *metav1.Time {
		tm := metav1.NewTime(time.Date(2026, 12, 6, 10, 0, s, 0, time.UTC))
		return &tm
	}
	obj := &unstructured.Unstructured{}
	obj.SetManagedFields([]metav1.ManagedFieldsEntry{
		{Manager: "terraform-provider-kratix", Operation: metav1.ManagedFieldsOperationApply, Time: at(10)},
		{Manager: "terraform-provider-kratix", Operation: metav1.ManagedFieldsOperationUpdate, Time: at(20)},
		{Manager: "terraform-provider-kratix", Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "status", Time: at(30)},
		{Manager: "kratix", Operation: metav1.ManagedFieldsOperationUpdate, Time: at(40)},
	})
	got, ok := WrittenAt(obj, "terraform-provider-kratix")
	if !ok || !got.Equal(at(20).Time) {
		t.Fatalf("WrittenAt = %v, %v; want the update at :20 (not the status subresource, not another manager)", got, ok)
	}
	if _, ok := WrittenAt(obj, "someone-else"); ok {
		t.Fatal("a manager without an entry has no write time")
	}
}
