package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Kratix 2026 writes reconciliationInterval back as metav1.Duration spells
// it; the configured spelling stays, a different duration does not.
func TestDurationStringKeepsTheConfiguredSpelling(t *testing.T) {
	for _, tc := range []struct {
		read, prior types.String
		want        types.String
	}{
		{types.StringValue("1h0m0s"), types.StringValue("1h"), types.StringValue("1h")},
		{types.StringValue("1h30m0s"), types.StringValue("90m"), types.StringValue("90m")},
		{types.StringValue("2h0m0s"), types.StringValue("1h"), types.StringValue("2h0m0s")},
		{types.StringNull(), types.StringValue("1h"), types.StringNull()},
		{types.StringValue("1h0m0s"), types.StringNull(), types.StringValue("1h0m0s")},
		{types.StringValue("1h0m0s"), types.StringValue("not a duration"), types.StringValue("1h0m0s")},
	} {
		if got := durationString(tc.read, tc.prior); !got.Equal(tc.want) {
			t.Errorf("durationString(%s, %s) = %s, want %s", tc.read, tc.prior, got, tc.want)
		}
	}
}
