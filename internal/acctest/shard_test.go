package acctest

import "testing"

func TestShardFromEnv(t *testing.T) {
	for _, tc := range []struct {
		env     string
		want    Shard
		wantErr bool
	}{
		{env: "", want: Shard{0, 1}},
		{env: "1/3", want: Shard{1, 3}},
		{env: "3/3", wantErr: true},
		{env: "-1/3", wantErr: true},
		{env: "1", wantErr: true},
		{env: "a/b", wantErr: true},
		{env: "0/0", wantErr: true},
	} {
		t.Setenv(EnvShard, tc.env)
		got, err := ShardFromEnv()
		if (err != nil) != tc.wantErr || (!tc.wantErr && got != tc.want) {
			t.Errorf("%s=%q: got %v, %v", EnvShard, tc.env, got, err)
		}
	}
}

func TestShardsTakeEachEntryOnce(t *testing.T) {
	const n, entries = 3, 10
	for i := 0; i < entries; i++ {
		takers := 0
		for s := 0; s < n; s++ {
			if (Shard{s, n}).Takes(i) {
				takers++
			}
		}
		if takers != 1 {
			t.Errorf("entry %d is taken by %d shards", i, takers)
		}
	}
}
