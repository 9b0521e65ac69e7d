package emulator

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// Environment variables on a pipeline's containers that tell the emulator
// what the pipeline does. See the package documentation for their meaning.
const (
	EnvStatus   = "KRATIX_EMULATOR_STATUS"
	EnvFail     = "KRATIX_EMULATOR_FAIL"
	EnvDuration = "KRATIX_EMULATOR_DURATION"
	EnvSuspend  = "KRATIX_EMULATOR_SUSPEND"
)

// defaultFailMessage is used when KRATIX_EMULATOR_FAIL is set but empty.
const defaultFailMessage = "the pipeline failed (" + EnvFail + ")"

// directives is what one pipeline run does, read from its containers.
type directives struct {
	// Status is the status.yaml the pipeline writes; nil when none.
	Status map[string]any
	// Fail is the failure message; Failed says whether the run fails.
	Failed bool
	Fail   string
	// Duration is how long the run takes; HasDuration is false when no
	// container says, and the emulator's default applies.
	Duration    time.Duration
	HasDuration bool
	// Suspend is workflow-control suspend, with its message.
	Suspend        bool
	SuspendMessage string
	// Err is a directive that could not be parsed. The run fails with it,
	// as a pipeline would fail on a malformed status.yaml.
	Err error
}

// parseDirectives reads the directives from a pipeline's containers in
// order, the order in which Kratix runs them:
//   - STATUS values are merged with the status-writer's rules (top-level
//     keys overwrite, conditions merge by type), as if each container
//     added to /kratix/metadata/status.yaml;
//   - the first container with FAIL fails the run, and containers after it
//     never run, so their directives are ignored;
//   - DURATION values add up, since containers run one after another;
//   - any SUSPEND suspends the run; the last message wins.
//
// A `valueFrom` is resolved with resolve (nil ignores them); a variable it
// reports as unset is skipped.
func parseDirectives(containers []corev1.Container, resolve envResolver) directives {
	var d directives
	for _, c := range containers {
		for _, env := range c.Env {
			value := env.Value
			if env.ValueFrom != nil {
				if resolve == nil || !isDirective(env.Name) {
					continue
				}
				v, set, err := resolve(env.ValueFrom)
				if err != nil {
					d.Err = err
					return d
				}
				if !set {
					continue
				}
				value = v
			}
			d.apply(env.Name, value)
		}
		if d.Failed || d.Err != nil {
			break
		}
	}
	return d
}

// envResolver resolves an env var's valueFrom the way kubelet does when it
// starts a container; set is false for an optional reference that is
// missing.
type envResolver func(src *corev1.EnvVarSource) (value string, set bool, err error)

func isDirective(name string) bool {
	return name == EnvStatus || name == EnvFail || name == EnvDuration || name == EnvSuspend
}

func (d *directives) apply(name, value string) {
	switch name {
	case EnvStatus:
		status, err := parseStatusDirective(value)
		if err != nil {
			d.Err = err
			return
		}
		if d.Status == nil {
			d.Status = map[string]any{}
		}
		d.Status = mergeStatus(d.Status, status)
	case EnvFail:
		d.Failed, d.Fail = true, value
		if value == "" {
			d.Fail = defaultFailMessage
		}
	case EnvDuration:
		dur, err := time.ParseDuration(value)
		if err != nil || dur < 0 {
			d.Err = fmt.Errorf("%s: %q is not a non-negative Go duration", EnvDuration, value)
			return
		}
		d.Duration += dur
		d.HasDuration = true
	case EnvSuspend:
		d.Suspend, d.SuspendMessage = true, value
	}
}

// parseStatusDirective parses a YAML or JSON object.
func parseStatusDirective(value string) (map[string]any, error) {
	var status map[string]any
	if err := yaml.Unmarshal([]byte(value), &status); err != nil {
		return nil, fmt.Errorf("failed to unmarshal incoming status (%s): %w", EnvStatus, err)
	}
	if status == nil {
		status = map[string]any{}
	}
	return status, nil
}

// runDuration is how long the run takes, given the emulator's default.
func (d directives) runDuration(fallback time.Duration) time.Duration {
	if d.HasDuration {
		return d.Duration
	}
	return fallback
}
