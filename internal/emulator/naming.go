package emulator

import (
	"crypto/md5" //nolint:gosec // Kratix's own hashes are md5; these are names, not security.
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

// maxNamePrefix is Kratix's limit before the "-xxxxx" suffix: 63 minus a
// dash and five characters (lib/objectutil).
const maxNamePrefix = 63 - 1 - 5

// namePrefix shortens a name prefix the way Kratix does: one that is too
// long is cut to maxNamePrefix-1 characters, then trailing characters that
// are not letters or digits are dropped so the result stays a DNS label.
func namePrefix(name string) string {
	if len(name) > maxNamePrefix {
		name = name[:maxNamePrefix-1]
	}
	return strings.TrimRightFunc(name, func(r rune) bool {
		alphanumeric := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		return !alphanumeric
	})
}

// generateName is objectutil.GenerateObjectName: prefix plus five random
// hex characters.
func generateName(name string) string {
	return namePrefix(name) + "-" + randomHex(5)
}

// deterministicName is objectutil.GenerateDeterministicObjectName: prefix
// plus the first five hex characters of the prefix's md5.
func deterministicName(name string) string {
	prefix := namePrefix(name)
	return prefix + "-" + md5Hex(prefix)[:5]
}

func randomHex(n int) string {
	buf := make([]byte, (n+1)/2)
	if _, err := rand.Read(buf); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(buf)[:n]
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s)) //nolint:gosec // see import
	return hex.EncodeToString(sum[:])
}

// specHash is lib/hash ComputeHashForResource: md5 of the JSON of spec.
// encoding/json sorts map keys, so equal specs give equal hashes.
func specHash(obj map[string]any) string {
	data, err := json.Marshal(obj["spec"])
	if err != nil {
		return ""
	}
	return md5Hex(string(data))
}

// requestHash is the kratix.io/hash of a resource request's Jobs: the md5
// of the Promise's spec hash followed by the request's spec hash. A change
// to either re-runs the request's workflows; labels and annotations do not.
func requestHash(promise, request map[string]any) string {
	return md5Hex(specHash(promise) + specHash(request))
}

// jobNamePrefix is the part of a workflow Job's name before the suffix:
// kratix-<promise>[-<request>[-<request namespace>]]-<pipeline>. The request
// namespace is only part of it when the Job runs in a pipelineNamespace.
func jobNamePrefix(promise, request, requestNamespace, pipeline string) string {
	parts := []string{"kratix", promise}
	if request != "" {
		parts = append(parts, request)
		if requestNamespace != "" {
			parts = append(parts, requestNamespace)
		}
	}
	return strings.Join(append(parts, pipeline), "-")
}

// jobName is a fresh workflow Job name.
func jobName(promise, request, requestNamespace, pipeline string) string {
	return generateName(jobNamePrefix(promise, request, requestNamespace, pipeline))
}

// revisionName is <promise>-<first five hex characters of md5(version)>.
func revisionName(promise, version string) string {
	return fmt.Sprintf("%s-%s", promise, md5Hex(version)[:5])
}

// resourceBindingName is deterministic: <request>-<promise>-xxxxx.
func resourceBindingName(request, promise string) string {
	return deterministicName(request + "-" + promise)
}

// workIdentifier is the prefix of a Work's name (work-creator).
func workIdentifier(promise, request, requestNamespace, pipeline string) string {
	if request == "" {
		return promise + "-" + pipeline
	}
	if requestNamespace != "" {
		return strings.Join([]string{promise, request, requestNamespace, pipeline}, "-")
	}
	return strings.Join([]string{promise, request, pipeline}, "-")
}

// workPlacementName is <work>.<destination>-<first five of the group id>.
func workPlacementName(work, destination, groupID string) string {
	short := groupID
	if len(short) > 5 {
		short = short[:5]
	}
	return work + "." + destination + "-" + short
}
