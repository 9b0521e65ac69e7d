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
// pods). The Go module proxy serves one Kratix version, main of 2025-09-23,
// a year older than the Kratix this emulator follows, so some differences
// are version differences: the provider must work with both. What the tests
// found, and what was done (the test helpers are in
// internal/provider/realmode_test.go, the skip reasons in
// internal/acctest/realmode.go):
//
//	What                         Emulator (2026-08)            Served Kratix (2025-09)          Kind                What was done
//	status.kratix                per-pipeline workflow status  not published                    version difference  workflows is empty in real mode (expectWorkflows), and a
//	                                                                                                                timeout cannot name the running pipeline (errorByMode)
//	Promise status.message       the pipeline's message kept   no such field: pruned            version difference  message is "" in real mode (expectPromiseMessage)
//	failed pipeline's message    in the Job's Failed condition only in the pod's container      emulator mistake    the provider reads the failed Pod's container status (name,
//	                                                           status; the Job says the backoff                     exit code, termination message), else the Job's message, so
//	                                                           limit was reached                                    one expectation holds in both modes
//	BucketStateStore             spec.useDualStack declared    not in the CRD: every apply of   provider bug        fixed: the provider sends the field only when true
//	  spec.useDualStack                                        the provider failed
//	status.kind/apiVersion       published with the CRD        published a moment after the     emulator timing     provider bug, fixed: until then the provider reads requests
//	                                                           CRD, so a request can exist                          under the API spec.api names, and a create waits for it;
//	                                                           before its Promise publishes                         TestAccResourceRequest_promiseAPINotPublishedYet holds a
//	                                                                                                                Promise there (paused, fields removed) in both modes
//	status after the apply       settles with the workflow     WorksSucceeded keeps following   emulator timing     imports ignore conditions (and a request's
//	                                                           the Works' scheduling; a later                       lastSuccessfulConfigureWorkflowTime) in real mode
//	                                                           reconcile adds a request's                           (realImportIgnore, realRequestImportIgnore)
//	                                                           lastSuccessfulConfigureWorkflowTime
//	Promise status               Available once its workflow   Unavailable at the start of      version difference  a Promise the apply did not change may read either in real
//	                             is done                       every reconcile, Available at                        mode (expectSettledPromiseStatus)
//	                                                           its end
//	a Promise's API version      requests follow the served    the request controller keeps     version difference  TestAccResourceRequest_followsPromiseAPIVersion skips in
//	  moves                      version                       watching the first version and                       real mode (RealWatchesFirstAPIVersion)
//	                                                           stops reconciling when it is no
//	                                                           longer served
//	workflows.config.            declared                      not in the Promise CRD           version difference  TestAccPromise_workflowConfigDrift skips in real mode
//	  reconciliationInterval                                                                                        (RealNoReconciliationInterval)
//	Promise admission            no webhooks                   the mutating webhook round-trips provider bug        fixed: an import leaves out the empty workflows objects
//	                                                           the Promise through Kratix's Go                      this provider did not write; the import tests add them as
//	                                                           types, adding empty workflows                        the webhook would (addWebhookEmpties)
//	                                                           objects the configuration lacks
//	Promise validation           no webhooks: a pipeline with  the validating webhook builds    emulator mistake    the corpus test expects the webhook's rejection of
//	                             an invalid Job spec is        the Jobs and rejects the Promise                     workshop-app-promise in real mode (realWebhookRejections);
//	                             accepted                      (secretKeyRef without a key)                         the provider called the denial an RBAC refusal (provider
//	                                                                                                                bug, fixed: the error names the webhook and what it said)
//	state store / Destination    SecretNotFound (store),       ErrorInitialisingWriter (store), version difference  tests expect each mode's reason (byMode, stringByMode); the
//	  failure reasons            StateStoreNotFound and        StateStoreWriteFailed with the                       provider's advice reads the served Kratix's message (a
//	                             StateStoreNotReady (Destina-  client's error ("... not found")                     missing store or Secret), so it says the same in both modes
//	                             tion)                         (Destination)
//	Destination reason without   DestinationReady              ReconciledSuccessfully           version difference  expected by mode (stringByMode)
//	  test documents
//	an Event per Destination     recorded (as Kratix 2026)     only when the Ready condition     version difference  after an update the provider waits for the Event where Kratix
//	  reconcile                                                changes                                              serves PromiseRevisions, else for 2 s of quiet; TestAccDestina-
//	                                                                                                                tion_updateWaitsForItsReconcile skips against 2025-09
//	stores over SSH, GitHub App  Ready without contacting the  no SSH server here; no           local platform gap  the SSH step of the write-only credentials test skips in real
//	                             host                          githubApp in the CRD                                 mode; TestAccStateStore_credentialsNeverStored leaves the
//	                                                                                                                GitHub App store out
//	the manager's TMPDIR         n/a                           the git writer removes TMPDIR    Kratix bug          the platform runs the manager without capabilities, TMPDIR
//	                                                           itself after each write                              in a read-only directory (see platform.managerTmpDir)
//	workflow-control suspend     KRATIX_EMULATOR_SUSPEND       ignored (no workflow-control)    version difference  the pod runner still writes workflow-control.yaml
//	PromiseRevision,             created                       do not exist (added 2025-11)     version difference  no provider test depends on them
//	  ResourceBinding
//	pipeline Job backoffLimit    fails on the first failure    API default 6 (minutes of        configuration       real mode sets workflows.jobOptions.defaultBackoffLimit: 0
//	                                                           back-off)                                            in the kratix-platform-system/kratix ConfigMap
//	a request's WorksSucceeded   read from its Works in the    read in the request's namespace  Kratix bug          the provider's delivery check lists the Works where Kratix
//	  with a pipelineNamespace   pipelineNamespace, where      (DynamicResourceRequest-                             writes them; TestAccResourceRequest_unschedulableInPipeline-
//	                             Kratix writes them            Controller.getWorksStatus): no                       Namespace skips in real mode (RealWorksSucceededInRequest-
//	                                                           Works there, so True before they                     Namespace)
//	                                                           are scheduled (a later Kratix
//	                                                           too)
//	a placement's write to a     counted written once the      WorkPlacement WriteSucceeded=    not emulated        no provider test depends on it; scheduling itself agrees: any
//	  store that refuses it      Destination is Ready          False, Work Ready=False                              matching Destination, Ready or not, and the Promise's
//	                                                           (Failing), request WorksFailing                      selectors win over a pipeline's (scheduler_integration_test.go)
//	                                                           (WorkReconciler.updateWork-
//	                                                           Status)
//	admission webhooks during    always up (none)              cmd/main.go restarts its         not emulated        the provider retries a 500 from the API server; the tests'
//	  a manager restart                                        manager in-process two minutes                       own writes re-send a request refused for an unreachable
//	                                                           after a Promise's API changes;                       webhook (acctest.webhookRetryTransport); the emulator does
//	                                                           its webhook server on 9443 is                        not model the outage
//	                                                           down for a moment
package emulator
