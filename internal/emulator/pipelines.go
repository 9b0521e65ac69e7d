package emulator

import (
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// pipeline is one Pipeline of a Promise's workflows (kratix-api.md §4),
// reduced to what becomes part of its Job.
type pipeline struct {
	Name             string
	Labels           map[string]string
	Annotations      map[string]string
	Containers       []corev1.Container
	Volumes          []corev1.Volume
	ImagePullSecrets []corev1.LocalObjectReference
	NodeSelector     map[string]string
	Tolerations      []corev1.Toleration
	ServiceAccount   string
	RestartPolicy    corev1.RestartPolicy
	BackoffLimit     *int32
}

// rawPipeline is the JSON shape of a Pipeline.
type rawPipeline struct {
	Metadata struct {
		Name        string            `json:"name"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
	Spec struct {
		Containers       []corev1.Container            `json:"containers"`
		Volumes          []corev1.Volume               `json:"volumes"`
		ImagePullSecrets []corev1.LocalObjectReference `json:"imagePullSecrets"`
		NodeSelector     map[string]string             `json:"nodeSelector"`
		Tolerations      []corev1.Toleration           `json:"tolerations"`
		RestartPolicy    corev1.RestartPolicy          `json:"restartPolicy"`
		RBAC             struct {
			ServiceAccount string `json:"serviceAccount"`
		} `json:"rbac"`
		JobOptions struct {
			BackoffLimit *int32 `json:"backoffLimit"`
		} `json:"jobOptions"`
	} `json:"spec"`
}

// pipelinesOf returns spec.workflows.<type>.<action> of a Promise spec.
func pipelinesOf(spec map[string]any, workflowType, action string) []pipeline {
	raw := nestedSlice(spec, "workflows", workflowType, action)
	out := make([]pipeline, 0, len(raw))
	for i, item := range raw {
		out = append(out, decodePipeline(item, i))
	}
	return out
}

func pipelineNames(pipelines []pipeline) []string {
	names := make([]string, len(pipelines))
	for i, p := range pipelines {
		names[i] = p.Name
	}
	return names
}

// decodePipeline is lenient: the Promise webhook that would reject a
// malformed Pipeline does not run here, so whatever decodes is used.
func decodePipeline(item any, index int) pipeline {
	var raw rawPipeline
	data, _ := json.Marshal(item)
	if err := json.Unmarshal(data, &raw); err != nil {
		m, _ := item.(map[string]any)
		raw = rawPipeline{}
		raw.Metadata.Name = nestedString(m, "metadata", "name")
	}
	p := pipeline{
		Name:             raw.Metadata.Name,
		Labels:           raw.Metadata.Labels,
		Annotations:      raw.Metadata.Annotations,
		Volumes:          raw.Spec.Volumes,
		ImagePullSecrets: raw.Spec.ImagePullSecrets,
		NodeSelector:     raw.Spec.NodeSelector,
		Tolerations:      raw.Spec.Tolerations,
		ServiceAccount:   raw.Spec.RBAC.ServiceAccount,
		RestartPolicy:    raw.Spec.RestartPolicy,
		BackoffLimit:     raw.Spec.JobOptions.BackoffLimit,
	}
	if p.Name == "" {
		p.Name = fmt.Sprintf("pipeline-%d", index)
	}
	if p.RestartPolicy == "" {
		p.RestartPolicy = corev1.RestartPolicyOnFailure
	}
	for i, c := range raw.Spec.Containers {
		p.Containers = append(p.Containers, pipelineContainer(c, i))
	}
	return p
}

// pipelineContainer keeps the container fields a Pipeline supports and
// applies Kratix's default resources when the container sets none.
func pipelineContainer(c corev1.Container, index int) corev1.Container {
	out := corev1.Container{
		Name: c.Name, Image: c.Image, Args: c.Args, Command: c.Command, Env: c.Env, EnvFrom: c.EnvFrom,
		VolumeMounts: c.VolumeMounts, ImagePullPolicy: c.ImagePullPolicy, SecurityContext: c.SecurityContext,
		Resources: c.Resources,
	}
	if out.Name == "" {
		out.Name = fmt.Sprintf("container-%d", index)
	}
	if out.Image == "" {
		out.Image = "unspecified"
	}
	if len(out.Resources.Requests) == 0 && len(out.Resources.Limits) == 0 {
		out.Resources = defaultResources()
	}
	return out
}

func defaultResources() corev1.ResourceRequirements {
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi"),
			corev1.ResourceEphemeralStorage: resource.MustParse("128Mi"),
		},
		Limits: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse("200m"), corev1.ResourceMemory: resource.MustParse("256Mi"),
			corev1.ResourceEphemeralStorage: resource.MustParse("256Mi"),
		},
	}
}

// pipelineNamespaceOf returns spec.workflows.config.pipelineNamespace.
func pipelineNamespaceOf(promiseSpec map[string]any) string {
	return nestedString(promiseSpec, "workflows", "config", "pipelineNamespace")
}
