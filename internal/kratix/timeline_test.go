package kratix

import (
	"strings"
	"testing"
	"time"
)

func TestTimelineKeepsChangesOnly(t *testing.T) {
	start := time.Unix(1000, 0)
	tl := NewTimeline(start)
	tl.Note(start, "waiting for Kratix to start the configure workflow")
	if tl.Note(start.Add(time.Second), "waiting for Kratix to start the configure workflow") {
		t.Error("a repeated summary was recorded")
	}
	tl.Note(start.Add(3*time.Second), `pipeline "configure" is running`)
	tl.Note(start.Add(42*time.Second), `configure pipeline "configure" failed: boom`)
	want := "  +0s waiting for Kratix to start the configure workflow\n" +
		"  +3s pipeline \"configure\" is running\n" +
		"  +42s configure pipeline \"configure\" failed: boom"
	if got := tl.String(); got != want {
		t.Errorf("timeline:\n%s\nwant:\n%s", got, want)
	}
	if tl.Elapsed() != 42*time.Second {
		t.Errorf("elapsed %s, want 42s", tl.Elapsed())
	}
}

func TestTimelineIsBounded(t *testing.T) {
	start := time.Unix(1000, 0)
	tl := NewTimeline(start)
	for i := range 40 {
		tl.Note(start.Add(time.Duration(i)*time.Second), strings.Repeat("x", i+1))
	}
	lines := strings.Split(tl.String(), "\n")
	if len(lines) != maxTimelineEntries+1 || !strings.Contains(tl.String(), "... 28 more changes ...") {
		t.Errorf("a long timeline was not cut to its ends:\n%s", tl.String())
	}
}
