package provider

import "testing"

func TestDestroyArgs(t *testing.T) {
	tests := []struct {
		args []string
		want bool
	}{
		{[]string{"/usr/local/bin/terraform", "destroy", "-auto-approve"}, true},
		{[]string{"terraform", "-chdir=infra", "apply", "-destroy"}, true},
		{[]string{"terraform", "plan", "-destroy=true", "-out", "x"}, true},
		{[]string{"/opt/tofu", "destroy"}, true},
		{[]string{"terraform", "plan"}, false},
		{[]string{"terraform", "apply", "-var", "mode=destroy"}, false},
		{[]string{"terraform", "plan", "-destroy=false"}, false},
		{[]string{"/tmp/go-build/provider.test", "-test.run", "destroy"}, false},
		{nil, false},
	}
	for _, tc := range tests {
		if got := destroyArgs(tc.args); got != tc.want {
			t.Errorf("destroyArgs(%q) = %v, want %v", tc.args, got, tc.want)
		}
	}
}
