// Package emulator plays the Kratix controller on a Kubernetes control plane
// that cannot run it. It is test and demo infrastructure only: the
// provider's acceptance tests and `make demo` run it in-process against the
// local platform (package platform: etcd, kube-apiserver and
// kube-controller-manager, but no kubelet, so no pipeline pod could ever run).
//
// What it writes follows kratix-api.md (Kratix main as of 2026-08-21) to
// the letter wherever the provider can observe it: field names, condition
// types, reasons and messages, finalizer names and the order they are
// processed in, labels, and the names and labels of workflow Jobs, Works,
// WorkPlacements, PromiseRevisions and ResourceBindings. It reconciles:
//
//   - Promises: finalizers, the PromiseRevision, requiredPromises (and
//     requiredBy on the required Promises), the request CRD generated from
//     spec.api (status subresource and Kratix's status schema on every
//     version, default printer columns), the static-dependency Work, the
//     promise configure workflow, and status (Available, version, kind,
//     apiVersion, counters, conditions); on delete, Kratix's delete order.
//   - Resource requests of every Promise's kind, watched as Promises
//     appear: the promise-name label, finalizers, the ResourceBinding, the
//     configure workflow (one Job per pipeline, one after another), status,
//     and the delete flow.
//   - Workflow Jobs, standing in for kubelet, the Job controller and
//     Kratix's pipeline adapter (work-writer and status-writer); the newest
//     five Jobs of each configure pipeline are kept.
//   - Works and WorkPlacements (a simplified scheduler), Destinations and
//     state stores (Secret checks only: nothing is written anywhere).
//   - PromiseReleases: the promise-cleanup finalizer, an HTTP GET of
//     spec.sourceRef.url (Authorization from the Secret key
//     authorizationHeader), the version checks, the Promise created or
//     updated with the release-name label and a controller ownerRef, the
//     Installed condition with Kratix's reasons, and on delete the Promise
//     deleted first. Kratix's admission webhook, which also fetches the URL
//     when a release is created, is not emulated.
//
// # Pipeline directives
//
// A pipeline tells the emulator what it does through environment variables
// on its containers (spec.containers[].env[]). They are read from all
// containers of the pipeline, in order, and apply to promise and resource
// pipelines, configure and delete alike. Besides literal values, a
// valueFrom configMapKeyRef or secretKeyRef is resolved in the Job's
// namespace when the pipeline runs, as kubelet would: a test can change
// what a pipeline does without changing the Promise (for example to let a
// failing delete pipeline succeed when re-run with the
// kratix.io/manual-reconciliation label). A missing optional reference
// leaves the variable unset; a missing required one holds the pipeline
// until it appears, like a container in CreateContainerConfigError.
//
//   - KRATIX_EMULATOR_STATUS: a YAML or JSON object, the file the pipeline
//     writes to /kratix/metadata/status.yaml. The status-writer merges it
//     into the object's status by Kratix's rules: top-level keys overwrite,
//     conditions merge by type, and a `kratix` key fails the pipeline with
//     the status-writer's own error. For a Promise only `message` persists.
//     Values from several containers merge in order.
//   - KRATIX_EMULATOR_FAIL: the pipeline fails with this message (empty:
//     a default message). The Job ends Failed (reason BackoffLimitExceeded,
//     message as given), a configure pipeline's phase becomes Failed with
//     the message, and ConfigureWorkflowCompleted becomes
//     False/ConfigureWorkflowFailed; a failing delete pipeline leaves
//     DeleteWorkflowCompleted=False/DeleteWorkflowFailed and blocks the
//     deletion. Containers after the failing one never run, so their
//     directives are ignored, and the status is not written.
//   - KRATIX_EMULATOR_DURATION: a Go duration the pipeline runs for, from
//     the creation of its Job (values of several containers add up).
//     Without it a pipeline takes Options.PipelineDuration. A long value
//     lets tests hit their timeouts.
//   - KRATIX_EMULATOR_SUSPEND: workflow-control suspend with this message:
//     the object gets kratix.io/workflow-suspended=true and the pipeline
//     phase Suspended (Reconciled=Unknown/WorkflowSuspended; a Promise
//     becomes Unavailable). Removing the label runs the pipeline again. A
//     suspended delete pipeline gives DeleteWorkflowCompleted=False/
//     DeleteWorkflowSuspended until the label is removed.
//
// A malformed STATUS or DURATION fails the pipeline with a message saying so.
//
// A Destination labelled emulator.kratix.io/reconcile-delay (a Go duration,
// LabelReconcileDelay) is reconciled that long after each of its versions
// appears, as a real Kratix is while it writes to a slow state store. Each
// reconcile records the Event Kratix of 2026 records (DestinationReady or
// DestinationNotReady, about the version read), before the Ready condition
// is written.
//
// A Destination labelled emulator.kratix.io/lose-push-race (a Go duration,
// LabelLosePushRace) reports for that long after each of its generations
// appears that Git rejected the push of its test documents as
// non-fast-forward (Ready=False, StateStoreWriteFailed), as a real Kratix
// does when another write to the same branch came first, and then becomes
// ready on the next reconcile.
//
// For example, this resource configure pipeline runs for two seconds and
// writes status.url, and the delete pipeline fails:
//
//	workflows:
//	  resource:
//	    configure:
//	      - apiVersion: platform.kratix.io/v1alpha1
//	        kind: Pipeline
//	        metadata: {name: instance-configure}
//	        spec:
//	          containers:
//	            - name: main
//	              image: ghcr.io/example/pipeline:v1
//	              env:
//	                - {name: KRATIX_EMULATOR_DURATION, value: 2s}
//	                - {name: KRATIX_EMULATOR_STATUS, value: '{"url": "https://db.example"}'}
//	    delete:
//	      - apiVersion: platform.kratix.io/v1alpha1
//	        kind: Pipeline
//	        metadata: {name: instance-delete}
//	        spec:
//	          containers:
//	            - name: main
//	              image: ghcr.io/example/pipeline:v1
//	              env:
//	                - {name: KRATIX_EMULATOR_FAIL, value: "cannot drop database: connections open"}
//
// Pipelines without directives (every marketplace Promise) succeed after
// Options.PipelineDuration, and their work-writer writes one Work per
// pipeline holding a single ConfigMap that describes the run.
//
// # Where it differs from Kratix
//
// Nothing runs in pods: Jobs get their status from the emulator, with the
// failure message in the Job's Failed condition since there are no logs.
// The scheduler places a request's Work on the first matching Destination
// by name, Ready or not (Kratix picks one at random), and does not detect
// misplacement; state stores and Destinations write nothing. A placement
// counts as written once its Destination is Ready, and never fails: Kratix
// retries the write while the store or its Secret is missing, but marks the
// placement WriteSucceeded=False and the Work Failing when a store that
// exists refuses it. Three emulator-only annotations (emulator.kratix.io/*)
// record what a real cluster would keep in pods: the nanosecond creation
// time of Jobs (which orders pipelines started within one second), a
// suspended delete run, and the spec.api a generated CRD was built from.
// RBAC objects other than the pipeline ServiceAccounts, the
// destination-selectors ConfigMap, events, health records, dry runs,
// reconciliation intervals and pinned ResourceBinding versions are not
// emulated. Nor are Kratix's admission webhooks: a Promise whose API is not
// a valid CRD is accepted, and the emulator keeps retrying (and logging)
// the CRD install where Kratix would have rejected the Promise.
//
// # Where the real Kratix and the emulator disagree
//
// The acceptance tests also run against the real Kratix controller
// (package platform, ModeReal, with package podrunner running its pipeline
// pods), in two versions: the one the Go module proxy serves, main of
// 2025-09-23, a year older than the Kratix this emulator follows, and Kratix
// main of 2026-08-21 (KRATIX_SOURCE_DIR), the version this emulator follows.
// Some differences are version differences: the provider must work with
// all. What the tests found, and what was done (the test helpers are in
// internal/provider/realmode_test.go, with a column per Kratix in byKratix;
// the skip reasons in internal/acctest/realmode.go):
//
//	What                   Emulator (2026-08)      Served Kratix (2025-09)  Kratix 2026 (08-21)      Kind               What was done
//	status.kratix          per-pipeline workflow   not published            published, as the        version difference workflows is empty against the served Kratix
//	                       status                                           emulator                                    (expectWorkflows), and a timeout cannot name the running
//	                                                                                                                    pipeline there (errorByMode)
//	Promise status.message the pipeline's message  no such field: pruned    kept, as the emulator    version difference message is "" against the served Kratix
//	                       kept                                                                                         (expectPromiseMessage)
//	a request's            "Resource requested"    "Resource requested"     "Resource requested",    stand-in timing    the pod runner ran pods at once, before "Pending" was
//	status.message after                           ("Pending" set before    but "Pending" is set                        written, so the status-writer left the message empty;
//	its workflow                                   the Job is created)      1.1s after the Job is                       pods now start after podrunner.DefaultStartDelay, as a
//	                                                                        created                                     kubelet's would
//	failed pipeline's      in the Job's Failed     only in the pod's        as the served Kratix     emulator mistake   the provider reads the failed Pod's container status
//	message                condition               container status; the                                                (name, exit code, termination message), else the Job's
//	                                               Job says the backoff                                                 message, so one expectation holds in all modes
//	                                               limit was reached
//	BucketStateStore       declared                not in the CRD: every    declared                 provider bug       fixed: the provider sends the field only when true
//	spec.useDualStack                              apply of the provider
//	                                               failed
//	status.kind/apiVersion published with the CRD  published a moment after as the served Kratix     emulator timing    provider bug, fixed: until then the provider reads
//	                                               the CRD, so a request                                                requests under the API spec.api names, and a create
//	                                               can exist before its                                                 waits for it;
//	                                               Promise publishes                                                    TestAccResourceRequest_promiseAPINotPublishedYet holds a
//	                                                                                                                    Promise there (paused, fields removed) in all modes
//	status after the apply settles with the        WorksSucceeded keeps     as the served Kratix     emulator timing    imports ignore conditions (and a request's
//	                       workflow                following the Works'                                                 lastSuccessfulConfigureWorkflowTime) in real mode
//	                                               scheduling; a later                                                  (realImportIgnore, realRequestImportIgnore)
//	                                               reconcile adds a
//	                                               request's
//	                                               lastSuccessful-
//	                                               ConfigureWorkflowTime
//	Promise status         Available once its      Unavailable at the start as the served Kratix     version difference a Promise the apply did not change may read either in
//	                       workflow is done        of every reconcile,      (Reconcile still starts                     real mode (expectSettledPromiseStatus)
//	                                               Available at its end     by setting Unavailable)
//	a Promise's API        requests follow the     the request controller   the controller takes the Kratix bug         TestAccResourceRequest_followsPromiseAPIVersion skips
//	version moves          served version          keeps watching the first new version, but its                        against both real Kratix versions
//	                                               version and stops        watch stays on the first                    (RealWatchesFirstAPIVersion)
//	                                               reconciling when it is   one: requests, their
//	                                               no longer served         deletion included, wait
//	                                                                        for something else to
//	                                                                        queue them
//	workflows.config.      declared, kept as       not in the Promise CRD   declared; the manager's  version difference TestAccPromise_workflowConfigDrift and _manifest skip
//	reconciliationInterval written                                          first Update of the                         against the served Kratix only
//	                                                                        typed Promise writes it                     (RealNoReconciliationInterval); provider bug, fixed: a
//	                                                                        back as metav1.Duration                     refresh keeps the configured spelling of the same
//	                                                                        spells it (1h0m0s)                          duration (an import reads Kratix's)
//	Promise admission      no webhooks             the mutating webhook     no patch at admission    provider bug /     fixed: an import leaves out the empty workflows objects
//	                                               round-trips the Promise  (controller-runtime 0.24 version difference this provider did not write; the import tests add them
//	                                               through Kratix's Go      skips it when the                           as the webhook would (addWebhookEmpties);
//	                                               types, adding empty      defaulter changes                           TestAccPromise_updateWithNullCreationTimestamp expects
//	                                               workflows objects the    nothing); the manager's                     generation 2 after the create on Kratix 2026
//	                                               configuration lacks      first Update adds
//	                                                                        spec.workflows.config:
//	                                                                        {}, so a Promise is at
//	                                                                        generation 2 after its
//	                                                                        create
//	Promise validation     no webhooks: a pipeline the validating webhook   as the served Kratix     emulator mistake   the corpus test expects the webhook's rejection of
//	                       with an invalid Job     builds the Jobs and                                                  workshop-app-promise in real mode
//	                       spec is accepted        rejects the Promise                                                  (realWebhookRejections); the provider called the denial
//	                                               (secretKeyRef without a                                              an RBAC refusal (provider bug, fixed: the error names
//	                                               key)                                                                 the webhook and what it said)
//	state store /          SecretNotFound (store), ErrorInitialisingWriter  as the emulator          version difference tests expect each Kratix's reason (byKratix,
//	Destination failure    StateStoreNotFound and  (store),                                                             stringByKratix); the provider's advice reads the served
//	reasons                StateStoreNotReady      StateStoreWriteFailed                                                Kratix's message (a missing store or Secret), so it says
//	                       (Destination)           with the client's error                                              the same in all modes
//	                                               ("... not found")
//	                                               (Destination)
//	Destination reason     DestinationReady        ReconciledSuccessfully   DestinationReady         version difference expected by Kratix (stringByKratix)
//	without test documents
//	an Event per           recorded (as Kratix     only when the Ready      recorded                 version difference after an update the provider waits for the Event where
//	Destination reconcile  2026)                   condition changes                                                    Kratix serves PromiseRevisions, else for 2 s of quiet;
//	                                                                                                                    TestAccDestination_updateWaitsForItsReconcile skips
//	                                                                                                                    against the served Kratix only
//	requests re-run after  labelled                labelled                 labelled                 version difference provider bug, fixed: wait_for_requests judged the
//	a Promise update       manual-reconciliation;  manual-reconciliation;   workflow-run-from-start,                    requests from the zero time, which the label hid on
//	                       the condition reset     the condition reset      removed a second before                     2025-09; it now dates them from the update and also
//	                       before the label goes   before the label goes    the condition is reset;                     waits on workflow-run-from-start
//	                                                                        each request runs the                       (TestAccPromise_waitForRequests)
//	                                                                        revision its
//	                                                                        ResourceBinding names
//	stores over SSH,       Ready without           no SSH server here; no   no SSH server here;      local platform gap the SSH step of the write-only credentials test skips in
//	GitHub App             contacting the host     githubApp in the CRD     githubApp in the CRD,                       real mode; TestAccStateStore_credentialsNeverStored
//	                                                                        but no GitHub to reach                      leaves the GitHub App store out in real mode
//	the manager's TMPDIR   n/a                     the git writer removes   no longer removed        Kratix bug (fixed  the platform runs the manager without capabilities,
//	                                               TMPDIR itself after each                          in 2026)           TMPDIR in a read-only directory (see
//	                                               write                                                                platform.managerTmpDir), for both versions
//	workflow-control       KRATIX_EMULATOR_SUSPEND ignored (no              suspends the workflow    version difference the pod runner writes workflow-control.yaml;
//	suspend                                        workflow-control)                                                    TestAccActionResumeWorkflow skips against the served
//	                                                                                                                    Kratix only (RealNoWorkflowControl)
//	PromiseRevision,       created                 do not exist (added      created                  version difference the harness tells Kratix 2026 by the PromiseRevisions it
//	ResourceBinding                                2025-11)                                                             serves (acctest.Env.Kratix)
//	pipeline Job           fails on the first      API default 6 (minutes   as the served Kratix     configuration      real mode sets workflows.jobOptions.defaultBackoffLimit:
//	backoffLimit           failure                 of back-off)                                                         0 in the kratix-platform-system/kratix ConfigMap
//	a request's            read from its Works in  read in the request's    as the served Kratix     Kratix bug         the provider's delivery check lists the Works where
//	WorksSucceeded with a  the pipelineNamespace,  namespace                                                            Kratix writes them;
//	pipelineNamespace      where Kratix writes     (getWorksStatus): no                                                 TestAccResourceRequest_unschedulableInPipelineNamespace
//	                       them                    Works there, so True                                                 skips against both real versions
//	                                               before they are                                                      (RealWorksSucceededInRequestNamespace)
//	                                               scheduled
//	a placement's write to counted written once    WorkPlacement            as the served Kratix     not emulated       no provider test depends on it; scheduling itself
//	a store that refuses   the Destination is      WriteSucceeded=False,                                                agrees: any matching Destination, Ready or not, and the
//	it                     Ready                   Work Ready=False                                                     Promise's selectors win over a pipeline's
//	                                               (Failing), request                                                   (scheduler_integration_test.go)
//	                                               WorksFailing
//	                                               (updateWorkStatus)
//	admission webhooks     always up (none)        cmd/main.go restarts its no restart: the manager  not emulated       the provider retries a 500 from the API server; the
//	during a manager                               manager in-process two   starts once                                 tests' own writes re-send a request refused for an
//	restart                                        minutes after a                                                      unreachable webhook (acctest.webhookRetryTransport); the
//	                                               Promise's API changes;                                               emulator does not model the outage
//	                                               its webhook server on
//	                                               9443 is down for a
//	                                               moment
//
// Rows where Kratix 2026 does what the emulator does are now differences
// from the served Kratix only: status.kratix, Promise status.message, the
// API version a request follows, reconciliationInterval (but for its
// spelling), the state store and Destination reasons, the Destination
// Event, workflow-control, PromiseRevisions and ResourceBindings. The rows
// where the emulator stands alone against both real versions are: the
// failed pipeline's message, status.kind/apiVersion and the status after
// the apply (timing), the Promise status during a reconcile, admission
// webhooks (validation, and Kratix 2026's spec.workflows.config write),
// stores over SSH, the Job backoffLimit, WorksSucceeded with a
// pipelineNamespace, and a refused placement write.
package emulator
