package acctest

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// EnvShard splits a test that walks a long list (the corpus) between
// processes that run the same tests on separate platforms: "I/N" (0 <= I <
// N) takes the entries whose index is I modulo N. Unset, a process takes
// every entry. make test runs the real-Kratix passes as N such processes.
const EnvShard = "KRATIX_TEST_SHARD"

// Shard is one process's part of a list split by EnvShard.
type Shard struct{ Index, Count int }

// ShardFromEnv reads EnvShard; unset, the shard is the whole list.
func ShardFromEnv() (Shard, error) {
	v := os.Getenv(EnvShard)
	if v == "" {
		return Shard{Index: 0, Count: 1}, nil
	}
	i, n, ok := strings.Cut(v, "/")
	index, errI := strconv.Atoi(i)
	count, errN := strconv.Atoi(n)
	if !ok || errI != nil || errN != nil || count < 1 || index < 0 || index >= count {
		return Shard{}, fmt.Errorf("%s=%q: want I/N with 0 <= I < N, such as 0/3", EnvShard, v)
	}
	return Shard{Index: index, Count: count}, nil
}

// Takes reports whether entry i of the list belongs to this shard.
func (s Shard) Takes(i int) bool { return i%s.Count == s.Index }

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }
