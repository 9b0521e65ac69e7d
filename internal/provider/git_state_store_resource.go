package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectdefault"
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
	_ resource.Resource                   = (*gitStateStoreResource)(nil)
	_ resource.ResourceWithConfigure      = (*gitStateStoreResource)(nil)
	_ resource.ResourceWithImportState    = (*gitStateStoreResource)(nil)
	_ resource.ResourceWithIdentity       = (*gitStateStoreResource)(nil)
	_ resource.ResourceWithValidateConfig = (*gitStateStoreResource)(nil)
)

// gitCredentials maps the write-only arguments to the keys Kratix reads.
var gitCredentials = []credentialAttr{
	{"username_wo", kratix.SecretKeyUsername},
	{"password_wo", kratix.SecretKeyPassword},
	{"ssh_private_key_wo", kratix.SecretKeySSHPrivateKey},
	{"known_hosts_wo", kratix.SecretKeyKnownHosts},
	{"github_app_id_wo", kratix.SecretKeyAppID},
	{"github_installation_id_wo", kratix.SecretKeyInstallationID},
	{"github_private_key_wo", kratix.SecretKeyPrivateKey},
}

// NewGitStateStoreResource manages a Kratix GitStateStore.
func NewGitStateStoreResource() resource.Resource {
	return &gitStateStoreResource{}
}

type gitStateStoreResource struct {
	data *providerData
}

type gitStateStoreModel struct {
	ID                     types.String   `tfsdk:"id"`
	Name                   types.String   `tfsdk:"name"`
	URL                    types.String   `tfsdk:"url"`
	Branch                 types.String   `tfsdk:"branch"`
	Path                   types.String   `tfsdk:"path"`
	AuthMethod             types.String   `tfsdk:"auth_method"`
	SecretRef              types.Object   `tfsdk:"secret_ref"`
	GitAuthor              types.Object   `tfsdk:"git_author"`
	UsernameWO             types.String   `tfsdk:"username_wo"`
	PasswordWO             types.String   `tfsdk:"password_wo"`
	SSHPrivateKeyWO        types.String   `tfsdk:"ssh_private_key_wo"`
	KnownHostsWO           types.String   `tfsdk:"known_hosts_wo"`
	GitHubAppIDWO          types.String   `tfsdk:"github_app_id_wo"`
	GitHubInstallationIDWO types.String   `tfsdk:"github_installation_id_wo"`
	GitHubPrivateKeyWO     types.String   `tfsdk:"github_private_key_wo"`
	CredentialsWOVersion   types.Int64    `tfsdk:"credentials_wo_version"`
	AdoptExistingSecret    types.Bool     `tfsdk:"adopt_existing_secret"`
	Wait                   types.Bool     `tfsdk:"wait"`
	ForceConflicts         types.Bool     `tfsdk:"force_conflicts"`
	Timeouts               timeouts.Value `tfsdk:"timeouts"`
	UID                    types.String   `tfsdk:"uid"`
	Status                 types.String   `tfsdk:"status"`
	Ready                  types.Bool     `tfsdk:"ready"`
	Conditions             types.List     `tfsdk:"conditions"`
}

var gitAuthorAttrTypes = map[string]attr.Type{"name": types.StringType, "email": types.StringType}

func (m *gitStateStoreModel) common() storeCommon {
	return storeCommon{Kind: kratix.GitStateStoreKind, Name: m.Name.ValueString(), AuthMethod: m.AuthMethod.ValueString(),
		SecretRef: m.SecretRef, Version: m.CredentialsWOVersion, ForceConflicts: m.ForceConflicts.ValueBool(),
		AdoptSecret: m.AdoptExistingSecret.ValueBool()}
}

func (r *gitStateStoreResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_git_state_store"
}

func (r *gitStateStoreResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	attrs := map[string]schema.Attribute{
		"id": schema.StringAttribute{Computed: true, MarkdownDescription: "The store's name; also the import ID.",
			PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
		"name": schema.StringAttribute{Required: true, MarkdownDescription: "Name of the GitStateStore. Changing it replaces the store.",
			PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()}, Validators: []validator.String{dnsSubdomain()}},
		"url": schema.StringAttribute{Required: true, MarkdownDescription: "URL of the repository. With `basicAuth` and " +
			"`githubApp` an http(s) URL (`https://github.com/org/repo.git`); with `ssh` `git@github.com:org/repo.git` or " +
			"`ssh://git@host/org/repo.git`. Checked against `auth_method` at plan time."},
		"branch": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString(kratix.DefaultGitBranch),
			MarkdownDescription: "Branch Kratix commits to (default `main`)."},
		"path": schema.StringAttribute{Optional: true, MarkdownDescription: "Directory in the repository under which every " +
			"Destination's `path` lives; the repository root when unset."},
		"auth_method": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString(kratix.DefaultGitAuthMethod),
			MarkdownDescription: "`basicAuth` (default; Secret keys `username`, `password`), `ssh` (`sshPrivateKey`, " +
				"`knownHosts`) or `githubApp` (`appID`, `installationID`, `privateKey`).",
			Validators: []validator.String{stringvalidator.OneOf(kratix.GitAuthMethods...)}},
		"secret_ref": schema.SingleNestedAttribute{Optional: true, MarkdownDescription: "The Secret with the credentials. " +
			"Either a Secret managed elsewhere, with the keys `auth_method` needs, or, with the `*_wo` arguments and " +
			"`credentials_wo_version`, where the provider writes (and owns) it.",
			Attributes: map[string]schema.Attribute{
				"name": schema.StringAttribute{Required: true, MarkdownDescription: "Name of the Secret.", Validators: []validator.String{dnsSubdomain()}},
				"namespace": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString(kratix.DefaultSecretNamespace),
					MarkdownDescription: "Namespace of the Secret (default `default`, as Kratix assumes).", Validators: []validator.String{dnsLabel()}},
			}},
		"git_author": schema.SingleNestedAttribute{Optional: true, Computed: true,
			Default:             objectdefault.StaticValue(types.ObjectValueMust(gitAuthorAttrTypes, map[string]attr.Value{"name": types.StringValue(kratix.DefaultGitAuthorName), "email": types.StringNull()})),
			MarkdownDescription: "Author of Kratix's commits (default name `kratix`, no email).",
			Attributes: map[string]schema.Attribute{
				"name": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString(kratix.DefaultGitAuthorName),
					MarkdownDescription: "Author name (default `kratix`)."},
				"email": schema.StringAttribute{Optional: true, MarkdownDescription: "Author email."},
			}},
		"username_wo":               writeOnlyCredential("`basicAuth` username (Secret key `username`)."),
		"password_wo":               writeOnlyCredential("`basicAuth` password or token (Secret key `password`)."),
		"ssh_private_key_wo":        writeOnlyCredential("`ssh` private key, PEM (Secret key `sshPrivateKey`)."),
		"known_hosts_wo":            writeOnlyCredential("`ssh` known_hosts lines for the git host (Secret key `knownHosts`)."),
		"github_app_id_wo":          writeOnlyCredential("`githubApp` App ID (Secret key `appID`)."),
		"github_installation_id_wo": writeOnlyCredential("`githubApp` installation ID (Secret key `installationID`)."),
		"github_private_key_wo":     writeOnlyCredential("`githubApp` private key, PEM (Secret key `privateKey`)."),
		"credentials_wo_version":    credentialsVersionSchema(),
		"force_conflicts":           forceConflictsAttribute(),
		"adopt_existing_secret":     adoptExistingSecretSchema(),
		"wait": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(true),
			MarkdownDescription: "Wait for `Ready=True` after create and update (default `true`)."},
	}
	for k, v := range storeComputedAttributes("GitStateStore") {
		attrs[k] = v
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A Kratix GitStateStore: a git repository Kratix writes Destinations' documents to. " +
			"Credentials come from a Secret (`secret_ref`), which the provider can write from write-only arguments " +
			"(Terraform 1.11 or later) so that they never reach the plan or state. Apply waits until Kratix reports the store " +
			"`Ready=True` and fails with its reason (`SecretNotFound`, `ErrorValidatingPermissions`, ...) and what to check.",
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

func (r *gitStateStoreResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

func (r *gitStateStoreResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = nameIdentity("git state store")
}

func (r *gitStateStoreResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	defer recordIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics, nameIdentityAttrs)
	var plan gitStateStoreModel
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

func (r *gitStateStoreResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	defer recordIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics, nameIdentityAttrs)
	var plan, prior gitStateStoreModel
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

func (r *gitStateStoreResource) apply(ctx context.Context, plan, prior *gitStateStoreModel, adopted bool, cfg tfsdk.Config, state *tfsdk.State, diags *diag.Diagnostics) {
	a := storeApply{
		plan:    plan.common(),
		adopted: adopted,
		obj:     buildGitStateStore(plan),
		creds:   configCredentials(ctx, cfg, gitCredentials, diags),
		wait:    plan.Wait.ValueBool(),
		record: func(obj *unstructured.Unstructured) {
			configured := *plan
			r.fillFromObject(&configured, obj)
			configured.URL, configured.Branch, configured.Path, configured.AuthMethod = plan.URL, plan.Branch, plan.Path, plan.AuthMethod
			configured.SecretRef, configured.GitAuthor = plan.SecretRef, plan.GitAuthor
			configured.CredentialsWOVersion = plan.CredentialsWOVersion
			diags.Append(state.Set(ctx, &configured)...)
		},
	}
	if prior != nil {
		c := prior.common()
		a.prior, a.priorObj = &c, buildGitStateStore(prior)
	}
	if !diags.HasError() {
		applyStateStore(ctx, r.data, a, diags)
	}
}

func (r *gitStateStoreResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	// From the prior state first: a Read that removes the object from
	// the state must still return its identity.
	recordIdentity(ctx, &req.State, resp.Identity, &resp.Diagnostics, nameIdentityAttrs)
	defer recordIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics, nameIdentityAttrs)
	var state gitStateStoreModel
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

func (r *gitStateStoreResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state gitStateStoreModel
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

func (r *gitStateStoreResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	defer recordIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics, nameIdentityAttrs)
	name := importID(ctx, req, &resp.Diagnostics, nameIdentityAttrs)
	if errs := dnsSubdomainErrors(name); len(errs) > 0 {
		resp.Diagnostics.AddError("Invalid import ID", "The import ID of a kratix_git_state_store is the store's name; \""+name+"\" is not a valid name: "+errs[0])
		return
	}
	state := importedGitStoreState(name)
	flagAdopted.set(ctx, resp.Private, true, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// importedGitStoreState is the state an import starts from: only the name, and the
// arguments' defaults.
func importedGitStoreState(name string) gitStateStoreModel {
	return gitStateStoreModel{
		ID: types.StringValue(name), Name: types.StringValue(name),
		SecretRef:            types.ObjectNull(secretRefAttrTypes),
		GitAuthor:            types.ObjectNull(gitAuthorAttrTypes),
		CredentialsWOVersion: types.Int64Null(),
		AdoptExistingSecret:  types.BoolValue(false),
		Wait:                 types.BoolValue(true),
		ForceConflicts:       types.BoolValue(false),
		Timeouts:             timeouts.Value{Object: types.ObjectNull(timeoutsAttrTypes())},
		Conditions:           types.ListNull(conditionObjectType),
	}
}

// buildGitStateStore turns the plan into the object to apply; defaulted
// fields are sent explicitly.
func buildGitStateStore(m *gitStateStoreModel) *unstructured.Unstructured {
	obj := &unstructured.Unstructured{Object: map[string]any{}}
	obj.SetGroupVersionKind(kratix.GitStateStoreGVK)
	obj.SetName(m.Name.ValueString())
	spec := map[string]any{
		"url":        m.URL.ValueString(),
		"branch":     m.Branch.ValueString(),
		"authMethod": m.AuthMethod.ValueString(),
	}
	if v := m.Path.ValueString(); v != "" {
		spec["path"] = v
	}
	if ref := secretRefToGo(m.SecretRef); ref != nil {
		spec["secretRef"] = ref
	}
	if !m.GitAuthor.IsNull() && !m.GitAuthor.IsUnknown() {
		author := map[string]any{}
		for k, v := range m.GitAuthor.Attributes() {
			if s, ok := v.(types.String); ok && !s.IsNull() && !s.IsUnknown() && s.ValueString() != "" {
				author[k] = s.ValueString()
			}
		}
		spec["gitAuthor"] = author
	}
	obj.Object["spec"] = spec
	return obj
}

// fillFromObject copies the cluster's view into the model; defaulted
// fields read back as their defaults, which are also the schema's.
func (r *gitStateStoreResource) fillFromObject(m *gitStateStoreModel, obj *unstructured.Unstructured) {
	importing := m.UID.IsNull() || m.UID.IsUnknown()
	m.ID, m.Name = types.StringValue(obj.GetName()), types.StringValue(obj.GetName())
	m.UID = types.StringValue(string(obj.GetUID()))
	m.URL = types.StringValue(nestedStringOr(obj, "", "spec", "url"))
	m.Branch = types.StringValue(nestedStringOr(obj, kratix.DefaultGitBranch, "spec", "branch"))
	m.Path = optionalStoreString(obj, m.Path, importing, "spec", "path")
	m.AuthMethod = types.StringValue(nestedStringOr(obj, kratix.DefaultGitAuthMethod, "spec", "authMethod"))
	m.SecretRef = secretRefValue(obj, m.SecretRef, importing, kratix.DefaultSecretNamespace)
	email := types.StringNull()
	if v := nestedStringOr(obj, "", "spec", "gitAuthor", "email"); v != "" {
		email = types.StringValue(v)
	}
	m.GitAuthor = types.ObjectValueMust(gitAuthorAttrTypes, map[string]attr.Value{
		"name": types.StringValue(nestedStringOr(obj, kratix.DefaultGitAuthorName, "spec", "gitAuthor", "name")), "email": email,
	})
	m.Status, m.Ready, m.Conditions = storeStatus(obj)
}
