package kratix

import (
	"fmt"
	"strings"
	"time"
)

// Timeline records what a wait saw, each change once, with the time since
// the wait began, so a timeout or failure can show how the workflow went
// (which pipeline ran, for how long) and not only where it stopped.
type Timeline struct {
	start   time.Time
	entries []timelineEntry
}

type timelineEntry struct {
	at      time.Duration
	summary string
}

// maxTimelineEntries bounds a diagnostic: a wait that flips between states
// keeps its first entries and its latest ones.
const maxTimelineEntries = 12

// NewTimeline starts a timeline at start.
func NewTimeline(start time.Time) *Timeline { return &Timeline{start: start} }

// Note records summary at now, unless it is what was seen last; it reports
// whether it was new.
func (t *Timeline) Note(now time.Time, summary string) bool {
	if n := len(t.entries); n > 0 && t.entries[n-1].summary == summary {
		return false
	}
	t.entries = append(t.entries, timelineEntry{now.Sub(t.start), summary})
	return true
}

// Elapsed is the time from the start to the latest entry.
func (t *Timeline) Elapsed() time.Duration {
	if len(t.entries) == 0 {
		return 0
	}
	return t.entries[len(t.entries)-1].at
}

// String is one line per change: "  +12s pipeline "configure" is running".
func (t *Timeline) String() string {
	entries := t.entries
	var b strings.Builder
	if len(entries) > maxTimelineEntries {
		head, tail := entries[:maxTimelineEntries/2], entries[len(entries)-maxTimelineEntries/2:]
		writeEntries(&b, head)
		fmt.Fprintf(&b, "  ... %d more changes ...\n", len(entries)-len(head)-len(tail))
		entries = tail
	}
	writeEntries(&b, entries)
	return strings.TrimRight(b.String(), "\n")
}

func writeEntries(b *strings.Builder, entries []timelineEntry) {
	for _, e := range entries {
		fmt.Fprintf(b, "  +%s %s\n", e.at.Round(time.Second), e.summary)
	}
}
