package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

var (
	_ resource.Resource                   = (*bucketStateStoreResource)(nil)
	_ resource.ResourceWithConfigure      = (*bucketStateStoreResource)(nil)
	_ resource.ResourceWithImportState    = (*bucketStateStoreResource)(nil)
	_ resource.ResourceWithIdentity       = (*bucketStateStoreResource)(nil)
	_ resource.ResourceWithValidateConfig = (*bucketStateStoreResource)(nil)
)

// bucketCredentials maps the write-only arguments to the keys Kratix reads.
var bucketCredentials = []credentialAttr{
	{"access_key_id_wo", kratix.SecretKeyAccessKeyID},
	{"secret_access_key_wo", kratix.SecretKeySecretAccessKey},
}

// NewBucketStateStoreResource manages a Kratix BucketStateStore.
func NewBucketStateStoreResource() resource.Resource {
	return &bucketStateStoreResource{}
}

type bucketStateStoreResource struct {
	data *providerData
}

type bucketStateStoreModel struct {
	ID                   types.String   `tfsdk:"id"`
	Name                 types.String   `tfsdk:"name"`
	Endpoint             types.String   `tfsdk:"endpoint"`
	BucketName           types.String   `tfsdk:"bucket_name"`
	Path                 types.String   `tfsdk:"path"`
	Insecure             types.Bool     `tfsdk:"insecure"`
	UseDualStack         types.Bool     `tfsdk:"use_dual_stack"`
	AuthMethod           types.String   `tfsdk:"auth_method"`
	SecretRef            types.Object   `tfsdk:"secret_ref"`
	AccessKeyIDWO        types.String   `tfsdk:"access_key_id_wo"`
	SecretAccessKeyWO    types.String   `tfsdk:"secret_access_key_wo"`
	CredentialsWOVersion types.Int64    `tfsdk:"credentials_wo_version"`
	AdoptExistingSecret  types.Bool     `tfsdk:"adopt_existing_secret"`
	Wait                 types.Bool     `tfsdk:"wait"`
	ForceConflicts       types.Bool     `tfsdk:"force_conflicts"`
	Timeouts             timeouts.Value `tfsdk:"timeouts"`
	UID                  types.String   `tfsdk:"uid"`
	Status               types.String   `tfsdk:"status"`
	Ready                types.Bool     `tfsdk:"ready"`
	Conditions           types.List     `tfsdk:"conditions"`
}

func (m *bucketStateStoreModel) common() storeCommon {
	return storeCommon{Kind: kratix.BucketStateStoreKind, Name: m.Name.ValueString(), AuthMethod: m.AuthMethod.ValueString(),
		SecretRef: m.SecretRef, Version: m.CredentialsWOVersion, ForceConflicts: m.ForceConflicts.ValueBool(),
		AdoptSecret: m.AdoptExistingSecret.ValueBool()}
}

func (r *bucketStateStoreResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_bucket_state_store"
}

func (r *bucketStateStoreResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	attrs := map[string]schema.Attribute{
		"id": schema.StringAttribute{Computed: true, MarkdownDescription: "The store's name; also the import ID.",
			PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
		"name": schema.StringAttribute{Required: true, MarkdownDescription: "Name of the BucketStateStore. Changing it replaces the store.",
			PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()}, Validators: []validator.String{dnsSubdomain()}},
		"endpoint": schema.StringAttribute{Required: true, MarkdownDescription: "S3-compatible endpoint, e.g. `s3.amazonaws.com` or `minio.kratix-platform-system.svc:80`.",
			Validators: []validator.String{stringvalidator.LengthAtLeast(1)}},
		"bucket_name": schema.StringAttribute{Required: true, MarkdownDescription: "Name of the bucket.",
			Validators: []validator.String{stringvalidator.LengthAtLeast(1)}},
		"path": schema.StringAttribute{Optional: true, MarkdownDescription: "Prefix in the bucket under which every " +
			"Destination's `path` lives; the bucket root when unset."},
		"insecure": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(false),
			MarkdownDescription: "Talk to the endpoint without TLS verification (default `false`)."},
		"use_dual_stack": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(false),
			MarkdownDescription: "Use AWS S3 dual-stack (IPv4 and IPv6) endpoints; AWS only (default `false`)."},
		"auth_method": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString(kratix.DefaultBucketAuthMethod),
			MarkdownDescription: "`accessKey` (default; Secret keys `accessKeyID`, `secretAccessKey`) or `IAM` (the " +
				"Kratix controller's own identity; no Secret).",
			Validators: []validator.String{stringvalidator.OneOf(kratix.BucketAuthMethods...)}},
		"secret_ref": schema.SingleNestedAttribute{Optional: true, MarkdownDescription: "The Secret with the access key; " +
			"required with `accessKey`, and Kratix requires both its name and namespace. Either a Secret managed elsewhere, " +
			"or, with `access_key_id_wo`, `secret_access_key_wo` and `credentials_wo_version`, where the provider writes (and owns) it.",
			Attributes: map[string]schema.Attribute{
				"name":      schema.StringAttribute{Required: true, MarkdownDescription: "Name of the Secret.", Validators: []validator.String{dnsSubdomain()}},
				"namespace": schema.StringAttribute{Required: true, MarkdownDescription: "Namespace of the Secret.", Validators: []validator.String{dnsLabel()}},
			}},
		"access_key_id_wo":       writeOnlyCredential("Access key ID (Secret key `accessKeyID`)."),
		"secret_access_key_wo":   writeOnlyCredential("Secret access key (Secret key `secretAccessKey`)."),
		"credentials_wo_version": credentialsVersionSchema(),
		"force_conflicts":        forceConflictsAttribute(),
		"adopt_existing_secret":  adoptExistingSecretSchema(),
		"wait": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(true),
			MarkdownDescription: "Wait for `Ready=True` after create and update (default `true`)."},
	}
	for k, v := range storeComputedAttributes("BucketStateStore") {
		attrs[k] = v
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A Kratix BucketStateStore: an S3-compatible bucket Kratix writes Destinations' documents to. " +
			"With `accessKey` the credentials come from a Secret (`secret_ref`), which the provider can write from write-only " +
			"arguments (Terraform 1.11 or later) so that they never reach the plan or state. Apply waits until Kratix reports " +
			"the store `Ready=True` and fails with its reason (`SecretNotFound`, `ErrorValidatingPermissions`, ...) and what to check.",
		Attributes: attrs,
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Read: true, Update: true, Delete: true,
				ReadDescription:   readTimeoutDescription,
				CreateDescription: "How long to wait for the store to become ready (default 5m).",
				UpdateDescription: "How long to wait for the store to become ready again (default 5m).",
				DeleteDescription: "How long to wait for the store to be deleted (default 5m).",
			}),
		},
	}
}

func (r *bucketStateStoreResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

func (r *bucketStateStoreResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = nameIdentity("bucket state store")
}

func (r *bucketStateStoreResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	defer recordIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics, nameIdentityAttrs)
	var plan bucketStateStoreModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Create(ctx, defaultStoreTimeout)
	resp.Diagnostics.Append(diags...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	r.apply(ctx, &plan, nil, false, req.Config, &resp.State, &resp.Diagnostics)
}

func (r *bucketStateStoreResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	defer recordIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics, nameIdentityAttrs)
	var plan, prior bucketStateStoreModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Update(ctx, defaultStoreTimeout)
	resp.Diagnostics.Append(diags...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	adopted := flagAdopted.get(ctx, req.Private, &resp.Diagnostics)
	r.apply(ctx, &plan, &prior, adopted, req.Config, &resp.State, &resp.Diagnostics)
	endAdoption(ctx, resp, adopted)
}

func (r *bucketStateStoreResource) apply(ctx context.Context, plan, prior *bucketStateStoreModel, adopted bool, cfg tfsdk.Config, state *tfsdk.State, diags *diag.Diagnostics) {
	a := storeApply{
		plan:    plan.common(),
		adopted: adopted,
		obj:     buildBucketStateStore(plan),
		creds:   configCredentials(ctx, cfg, bucketCredentials, diags),
		wait:    plan.Wait.ValueBool(),
		record: func(obj *unstructured.Unstructured) {
			configured := *plan
			r.fillFromObject(&configured, obj)
			configured.Endpoint, configured.BucketName, configured.Path = plan.Endpoint, plan.BucketName, plan.Path
			configured.Insecure, configured.UseDualStack, configured.AuthMethod = plan.Insecure, plan.UseDualStack, plan.AuthMethod
			configured.SecretRef, configured.CredentialsWOVersion = plan.SecretRef, plan.CredentialsWOVersion
			diags.Append(state.Set(ctx, &configured)...)
		},
	}
	if prior != nil {
		c := prior.common()
		a.prior, a.priorObj = &c, buildBucketStateStore(prior)
	}
	if !diags.HasError() {
		applyStateStore(ctx, r.data, a, diags)
	}
}

func (r *bucketStateStoreResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	// From the prior state first: a Read that removes the object from
	// the state must still return its identity.
	recordIdentity(ctx, &req.State, resp.Identity, &resp.Diagnostics, nameIdentityAttrs)
	defer recordIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics, nameIdentityAttrs)
	var state bucketStateStoreModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !requireKnownConfig(r.data, &resp.Diagnostics) {
		return
	}
	ctx, cancel := withReadTimeout(ctx, state.Timeouts, &resp.Diagnostics)
	defer cancel()
	obj, found := readStateStore(ctx, r.data, state.common(), &state.CredentialsWOVersion, &resp.Diagnostics)
	if !found {
		if !resp.Diagnostics.HasError() {
			resp.State.RemoveResource(ctx)
		}
		return
	}
	r.fillFromObject(&state, obj)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *bucketStateStoreResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state bucketStateStoreModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !requireKnownConfig(r.data, &resp.Diagnostics) {
		return
	}
	timeout, diags := state.Timeouts.Delete(ctx, defaultStoreTimeout)
	resp.Diagnostics.Append(diags...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	deleteStateStore(ctx, r.data, state.common(), &resp.Diagnostics)
}

func (r *bucketStateStoreResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	defer recordIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics, nameIdentityAttrs)
	name := importID(ctx, req, &resp.Diagnostics, nameIdentityAttrs)
	if errs := dnsSubdomainErrors(name); len(errs) > 0 {
		resp.Diagnostics.AddError("Invalid import ID", "The import ID of a kratix_bucket_state_store is the store's name; \""+name+"\" is not a valid name: "+errs[0])
		return
	}
	state := importedBucketStoreState(name)
	flagAdopted.set(ctx, resp.Private, true, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// importedBucketStoreState is the state an import starts from: only the name, and the
// arguments' defaults.
func importedBucketStoreState(name string) bucketStateStoreModel {
	return bucketStateStoreModel{
		ID: types.StringValue(name), Name: types.StringValue(name),
		SecretRef:            types.ObjectNull(secretRefAttrTypes),
		CredentialsWOVersion: types.Int64Null(),
		AdoptExistingSecret:  types.BoolValue(false),
		Wait:                 types.BoolValue(true),
		ForceConflicts:       types.BoolValue(false),
		Timeouts:             timeouts.Value{Object: types.ObjectNull(timeoutsAttrTypes())},
		Conditions:           types.ListNull(conditionObjectType),
	}
}

// buildBucketStateStore turns the plan into the object to apply; defaulted
// fields are sent explicitly, except useDualStack, which Kratix before
// 2025-11 does not declare: it is sent only when true, so a store without it
// works with those versions too.
func buildBucketStateStore(m *bucketStateStoreModel) *unstructured.Unstructured {
	obj := &unstructured.Unstructured{Object: map[string]any{}}
	obj.SetGroupVersionKind(kratix.BucketStateStoreGVK)
	obj.SetName(m.Name.ValueString())
	spec := map[string]any{
		"endpoint":   m.Endpoint.ValueString(),
		"bucketName": m.BucketName.ValueString(),
		"insecure":   m.Insecure.ValueBool(),
		"authMethod": m.AuthMethod.ValueString(),
	}
	if m.UseDualStack.ValueBool() {
		spec["useDualStack"] = true
	}
	if v := m.Path.ValueString(); v != "" {
		spec["path"] = v
	}
	if ref := secretRefToGo(m.SecretRef); ref != nil {
		spec["secretRef"] = ref
	}
	obj.Object["spec"] = spec
	return obj
}

// fillFromObject copies the cluster's view into the model; defaulted
// fields read back as their defaults, which are also the schema's.
func (r *bucketStateStoreResource) fillFromObject(m *bucketStateStoreModel, obj *unstructured.Unstructured) {
	importing := m.UID.IsNull() || m.UID.IsUnknown()
	m.ID, m.Name = types.StringValue(obj.GetName()), types.StringValue(obj.GetName())
	m.UID = types.StringValue(string(obj.GetUID()))
	m.Endpoint = types.StringValue(nestedStringOr(obj, "", "spec", "endpoint"))
	m.BucketName = types.StringValue(nestedStringOr(obj, "", "spec", "bucketName"))
	m.Path = optionalStoreString(obj, m.Path, importing, "spec", "path")
	m.Insecure = types.BoolValue(nestedBoolOr(obj, false, "spec", "insecure"))
	m.UseDualStack = types.BoolValue(nestedBoolOr(obj, false, "spec", "useDualStack"))
	m.AuthMethod = types.StringValue(nestedStringOr(obj, kratix.DefaultBucketAuthMethod, "spec", "authMethod"))
	m.SecretRef = secretRefValue(obj, m.SecretRef, importing, "")
	m.Status, m.Ready, m.Conditions = storeStatus(obj)
}
