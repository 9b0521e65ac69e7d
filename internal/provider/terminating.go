package provider

import (
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// warnIfTerminating says so when refresh finds an object that Kubernetes is
// deleting: finalizers keep it, and its status, until whoever owns them lets
// go. Without the warning a stuck deletion looks healthy, then the object
// vanishes and the next plan creates it again.
func warnIfTerminating(obj *unstructured.Unstructured, diags *diag.Diagnostics) {
	since := obj.GetDeletionTimestamp()
	if since == nil {
		return
	}
	ref := kubectlRef(obj)
	held := "no finalizer is left, so Kubernetes removes it shortly"
	if fins := obj.GetFinalizers(); len(fins) > 0 {
		held = fmt.Sprintf("the finalizers %s hold it: each is removed by the controller that added it once its cleanup "+
			"is done (Kratix's own, kratix.io/..., after the delete workflow)", strings.Join(quoteAll(fins), ", "))
	}
	diags.AddWarning(fmt.Sprintf("%s %s is being deleted", obj.GetKind(), objectName(obj)), fmt.Sprintf(
		"Kubernetes was asked to delete it at %s and %s. Its status is the last one before the deletion, not a sign of health. "+
			"Once the finalizers are gone the object disappears and the next plan creates it again.\n\n"+
			"To see why the deletion waits: kubectl describe %s. Remove a finalizer by hand only if its controller is gone for good; "+
			"the cleanup it guards is then skipped.", since.UTC().Format("2006-01-02T15:04:05Z"), held, ref))
}

func objectName(obj *unstructured.Unstructured) string {
	if ns := obj.GetNamespace(); ns != "" {
		return ns + "/" + obj.GetName()
	}
	return obj.GetName()
}

// kubectlRef names the object for kubectl as <kind>.<group> [-n namespace]
// <name>, which works whatever the resource's plural is.
func kubectlRef(obj *unstructured.Unstructured) string {
	gvk := obj.GroupVersionKind()
	ref := strings.ToLower(gvk.Kind)
	if gvk.Group != "" {
		ref += "." + gvk.Group
	}
	if ns := obj.GetNamespace(); ns != "" {
		ref += " -n " + ns
	}
	return ref + " " + obj.GetName()
}

func quoteAll(items []string) []string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
