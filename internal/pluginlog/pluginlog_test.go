package pluginlog

import "testing"

func TestQuietUnlessAsked(t *testing.T) {
	cases := map[string]struct {
		env  map[string]string
		want map[string]string
	}{
		"nothing set: SDK and provider loggers off": {
			env:  map[string]string{},
			want: map[string]string{"TF_LOG_SDK": "OFF", "TF_LOG_PROVIDER": "OFF"},
		},
		"TF_LOG set: untouched": {
			env:  map[string]string{"TF_LOG": "DEBUG"},
			want: map[string]string{"TF_LOG": "DEBUG"},
		},
		"TF_LOG_PROVIDER set: untouched": {
			env:  map[string]string{"TF_LOG_PROVIDER": "TRACE"},
			want: map[string]string{"TF_LOG_PROVIDER": "TRACE"},
		},
		"an SDK level set: untouched": {
			env:  map[string]string{"TF_LOG_SDK_FRAMEWORK": "TRACE"},
			want: map[string]string{"TF_LOG_SDK_FRAMEWORK": "TRACE"},
		},
		"TF_LOG empty: as if unset": {
			env:  map[string]string{"TF_LOG": ""},
			want: map[string]string{"TF_LOG": "", "TF_LOG_SDK": "OFF", "TF_LOG_PROVIDER": "OFF"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range tc.env {
				env[k] = v
			}
			lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
			set := func(k, v string) error { env[k] = v; return nil }
			QuietUnlessAsked(lookup, set)
			if len(env) != len(tc.want) {
				t.Fatalf("environment = %v, want %v", env, tc.want)
			}
			for k, v := range tc.want {
				if env[k] != v {
					t.Errorf("%s = %q, want %q (environment %v)", k, env[k], v, env)
				}
			}
		})
	}
}
