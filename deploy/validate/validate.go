// Package validate checks forewarn's Kubernetes manifests offline: every
// document is decoded strictly into the k8s.io/api types (unknown or
// duplicate fields, wrong types and unknown kinds are errors — the checks
// the API server's strict field validation makes), then checked for what
// the deployment relies on. It is a module of its own so the Kubernetes
// libraries stay out of forewarn's go.mod.
package validate

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/validation"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// Object is one decoded manifest document.
type Object struct {
	File string
	Doc  int // 1-based index of the document in the file
	Obj  runtime.Object
}

func (o Object) where() string { return fmt.Sprintf("%s (document %d)", o.File, o.Doc) }

var decoder = func() runtime.Decoder {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return serializer.NewCodecFactory(s, serializer.EnableStrict).UniversalDeserializer()
}()

// Load decodes every document of every *.yaml file in dir.
func Load(dir string) ([]Object, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var objs []Object
	var errs []error
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		os, err := Decode(filepath.Base(f), data)
		errs = append(errs, err)
		objs = append(objs, os...)
	}
	return objs, errors.Join(errs...)
}

// Decode strictly decodes the documents of one file.
func Decode(name string, data []byte) ([]Object, error) {
	r := utilyaml.NewYAMLReader(bufioReader(data))
	var objs []Object
	var errs []error
	for doc := 1; ; doc++ {
		raw, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return objs, fmt.Errorf("%s: %w", name, err)
		}
		if len(bytes.TrimSpace(stripComments(raw))) == 0 {
			doc--
			continue
		}
		obj, _, err := decoder.Decode(raw, nil, nil)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s (document %d): %w", name, doc, err))
			continue
		}
		objs = append(objs, Object{File: name, Doc: doc, Obj: obj})
	}
	return objs, errors.Join(errs...)
}

func stripComments(b []byte) []byte {
	var out [][]byte
	for _, l := range bytes.Split(b, []byte("\n")) {
		if t := bytes.TrimSpace(l); len(t) > 0 && t[0] != '#' {
			out = append(out, l)
		}
	}
	return bytes.Join(out, []byte("\n"))
}

// Check verifies what forewarn's deployment relies on: valid names, a
// CronJob that forbids overlapping runs, a single-replica Deployment that
// never runs two pods at once, probes on the serve endpoints, non-root
// containers, and references to ConfigMaps, Secrets, claims and volumes
// that exist.
func Check(objs []Object) error {
	var errs []error
	fail := func(o Object, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", o.where(), fmt.Sprintf(format, args...)))
	}
	names := map[string]map[string]bool{"ConfigMap": {}, "Secret": {}, "PersistentVolumeClaim": {}}
	kinds := map[string]int{}
	for _, o := range objs {
		kind := fmt.Sprintf("%T", o.Obj)
		kind = kind[strings.LastIndex(kind, ".")+1:]
		kinds[kind]++
		meta := o.Obj.(interface{ GetName() string })
		for _, msg := range validation.IsDNS1123Subdomain(meta.GetName()) {
			fail(o, "metadata.name %q: %s", meta.GetName(), msg)
		}
		if names[kind] != nil {
			names[kind][meta.GetName()] = true
		}
	}
	for _, want := range []string{"CronJob", "Deployment", "Secret", "ConfigMap"} {
		if kinds[want] == 0 {
			errs = append(errs, fmt.Errorf("no %s among the manifests", want))
		}
	}
	for _, o := range objs {
		switch v := o.Obj.(type) {
		case *batchv1.CronJob:
			if v.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent {
				fail(o, "CronJob %s: spec.concurrencyPolicy must be Forbid (got %q): two runs must never act at once", v.Name, v.Spec.ConcurrencyPolicy)
			}
			if f := len(strings.Fields(v.Spec.Schedule)); f != 5 {
				fail(o, "CronJob %s: spec.schedule %q has %d fields, want 5", v.Name, v.Spec.Schedule, f)
			}
			checkPod(o, "spec.jobTemplate.spec.template.spec", v.Spec.JobTemplate.Spec.Template.Spec, names, fail)
		case *appsv1.Deployment:
			if v.Spec.Replicas == nil || *v.Spec.Replicas != 1 {
				fail(o, "Deployment %s: spec.replicas must be 1 (one writer of the state)", v.Name)
			}
			if v.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
				fail(o, "Deployment %s: spec.strategy.type must be Recreate so old and new pods never run together", v.Name)
			}
			if v.Spec.Selector == nil || !subset(v.Spec.Selector.MatchLabels, v.Spec.Template.Labels) {
				fail(o, "Deployment %s: spec.selector does not match the template's labels", v.Name)
			}
			spec := v.Spec.Template.Spec
			checkPod(o, "spec.template.spec", spec, names, fail)
			for _, c := range spec.Containers {
				if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
					fail(o, "container %s: livenessProbe must GET /healthz", c.Name)
				}
				if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
					fail(o, "container %s: readinessProbe must GET /readyz", c.Name)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// CheckWorkers checks the multi-worker forms (deploy/kubernetes/multi-worker):
// every pod check of Check; for each CronJob an Indexed Job whose
// completions, parallelism and the N of every container's --shard i/N are
// one number, with i from JOB_COMPLETION_INDEX; for each StatefulSet
// `serve --shard $(POD_INDEX)/N` with N = replicas, POD_INDEX from the
// pod's apps.kubernetes.io/pod-index label, every pod started at once
// (Parallel), probes on the serve endpoints and a headless governing
// Service among the manifests; and a configuration whose state is
// PostgreSQL (several processes share it).
func CheckWorkers(objs []Object) error {
	var errs []error
	fail := func(o Object, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", o.where(), fmt.Sprintf(format, args...)))
	}
	names := map[string]map[string]bool{"ConfigMap": {}, "Secret": {}, "PersistentVolumeClaim": {}}
	forms, postgres := 0, false
	headless := map[string]map[string]string{}
	for _, o := range objs {
		switch v := o.Obj.(type) {
		case *corev1.ConfigMap:
			names["ConfigMap"][v.Name] = true
			postgres = postgres || strings.Contains(v.Data["forewarn.yaml"], "driver: postgres")
		case *corev1.Secret:
			names["Secret"][v.Name] = true
		case *corev1.Service:
			if v.Spec.ClusterIP == corev1.ClusterIPNone {
				headless[v.Name] = v.Spec.Selector
			}
		}
	}
	if !postgres {
		errs = append(errs, errors.New("no ConfigMap's forewarn.yaml uses driver: postgres; several workers need a shared PostgreSQL state"))
	}
	for _, o := range objs {
		cj, ok := o.Obj.(*batchv1.CronJob)
		if !ok {
			continue
		}
		forms++
		js := cj.Spec.JobTemplate.Spec
		if cj.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent {
			fail(o, "CronJob %s: spec.concurrencyPolicy must be Forbid", cj.Name)
		}
		if js.CompletionMode == nil || *js.CompletionMode != batchv1.IndexedCompletion {
			fail(o, "CronJob %s: the job must be Indexed (completionMode: Indexed) so each pod gets its shard", cj.Name)
		}
		if js.Completions == nil || js.Parallelism == nil || *js.Completions != *js.Parallelism || *js.Completions < 2 {
			fail(o, "CronJob %s: completions and parallelism must be equal and at least 2 (every shard at once)", cj.Name)
		}
		spec := js.Template.Spec
		checkPod(o, "spec.jobTemplate.spec.template.spec", spec, names, fail)
		for _, c := range spec.Containers {
			shard := shardArg(c.Args)
			idx, n, _ := strings.Cut(shard, "/")
			if idx != "$(JOB_COMPLETION_INDEX)" || js.Completions == nil || n != fmt.Sprint(*js.Completions) {
				fail(o, "container %s: args must hold --shard $(JOB_COMPLETION_INDEX)/N with N = completions (got %q)", c.Name, shard)
			}
		}
	}
	for _, o := range objs {
		ss, ok := o.Obj.(*appsv1.StatefulSet)
		if !ok {
			continue
		}
		forms++
		if ss.Spec.Replicas == nil || *ss.Spec.Replicas < 2 {
			fail(o, "StatefulSet %s: spec.replicas must be set and at least 2 (one pod per shard)", ss.Name)
		}
		if ss.Spec.PodManagementPolicy != appsv1.ParallelPodManagement {
			fail(o, "StatefulSet %s: spec.podManagementPolicy must be Parallel: /readyz waits for a pod's first good run, so OrderedReady starts the shards one run after another", ss.Name)
		}
		if ss.Spec.Selector == nil || !subset(ss.Spec.Selector.MatchLabels, ss.Spec.Template.Labels) {
			fail(o, "StatefulSet %s: spec.selector does not match the template's labels", ss.Name)
		}
		if sel, ok := headless[ss.Spec.ServiceName]; !ok || !subset(sel, ss.Spec.Template.Labels) {
			fail(o, "StatefulSet %s: spec.serviceName %q must name a headless Service (clusterIP: None) among the manifests that selects its pods", ss.Name, ss.Spec.ServiceName)
		}
		spec := ss.Spec.Template.Spec
		checkPod(o, "spec.template.spec", spec, names, fail)
		for _, c := range spec.Containers {
			if len(c.Args) == 0 || c.Args[0] != "serve" {
				fail(o, "container %s: args must run serve (got %q)", c.Name, c.Args)
			}
			shard := shardArg(c.Args)
			idx, n, _ := strings.Cut(shard, "/")
			if idx != "$(POD_INDEX)" || ss.Spec.Replicas == nil || n != fmt.Sprint(*ss.Spec.Replicas) {
				fail(o, "container %s: args must hold --shard $(POD_INDEX)/N with N = replicas (got %q)", c.Name, shard)
			}
			fromLabel := false
			for _, e := range c.Env {
				if e.Name == "POD_INDEX" {
					fromLabel = e.ValueFrom != nil && e.ValueFrom.FieldRef != nil &&
						e.ValueFrom.FieldRef.FieldPath == "metadata.labels['apps.kubernetes.io/pod-index']"
				}
			}
			if !fromLabel {
				fail(o, "container %s: env POD_INDEX must come from fieldRef metadata.labels['apps.kubernetes.io/pod-index'] (the pod's ordinal)", c.Name)
			}
			if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
				fail(o, "container %s: livenessProbe must GET /healthz", c.Name)
			}
			if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
				fail(o, "container %s: readinessProbe must GET /readyz", c.Name)
			}
		}
	}
	if forms == 0 {
		errs = append(errs, errors.New("no CronJob or StatefulSet among the multi-worker manifests"))
	}
	return errors.Join(errs...)
}

// shardArg is the value of --shard among a container's args, or "".
func shardArg(args []string) string {
	for i, a := range args {
		if a == "--shard" && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, "--shard="); ok {
			return v
		}
	}
	return ""
}

// pinnedImage: a digest, or a tag other than latest.
func pinnedImage(image string) bool {
	if strings.Contains(image, "@sha256:") {
		return true
	}
	name := image[strings.LastIndex(image, "/")+1:]
	_, tag, ok := strings.Cut(name, ":")
	return ok && tag != "" && tag != "latest"
}

// AppliedSecrets returns the Secrets among objs that carry values:
// `kubectl apply -f deploy/kubernetes/` must apply none, or it would
// overwrite the real credentials with placeholders.
func AppliedSecrets(objs []Object) []string {
	var out []string
	for _, o := range objs {
		if s, ok := o.Obj.(*corev1.Secret); ok && (len(s.Data) > 0 || len(s.StringData) > 0) {
			out = append(out, o.where()+": Secret "+s.Name)
		}
	}
	return out
}

func subset(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func checkPod(o Object, path string, spec corev1.PodSpec, names map[string]map[string]bool, fail func(Object, string, ...any)) {
	sc := spec.SecurityContext
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		fail(o, "%s.securityContext.runAsNonRoot must be true", path)
	}
	if len(spec.Containers) == 0 {
		fail(o, "%s.containers: none", path)
	}
	vols := map[string]bool{}
	for _, v := range spec.Volumes {
		vols[v.Name] = true
		switch {
		case v.ConfigMap != nil && !names["ConfigMap"][v.ConfigMap.Name]:
			fail(o, "volume %s: ConfigMap %q is not among the manifests", v.Name, v.ConfigMap.Name)
		case v.Secret != nil && !names["Secret"][v.Secret.SecretName]:
			fail(o, "volume %s: Secret %q is not among the manifests", v.Name, v.Secret.SecretName)
		case v.PersistentVolumeClaim != nil && !names["PersistentVolumeClaim"][v.PersistentVolumeClaim.ClaimName]:
			fail(o, "volume %s: PersistentVolumeClaim %q is not among the manifests", v.Name, v.PersistentVolumeClaim.ClaimName)
		}
	}
	emptyDirs := map[string]bool{}
	for _, v := range spec.Volumes {
		if v.EmptyDir != nil {
			emptyDirs[v.Name] = true
		}
	}
	for _, c := range spec.Containers {
		if c.Image == "" {
			fail(o, "container %s: no image", c.Name)
		} else if !pinnedImage(c.Image) {
			fail(o, "container %s: image %q is not pinned: give a release tag (not latest) or a digest", c.Name, c.Image)
		}
		if sc := c.SecurityContext; sc != nil && sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem {
			tmp := false
			for _, m := range c.VolumeMounts {
				tmp = tmp || (m.MountPath == "/tmp" && emptyDirs[m.Name])
			}
			if !tmp {
				fail(o, "container %s: the root filesystem is read-only but no emptyDir is mounted at /tmp", c.Name)
			}
		}
		if c.SecurityContext == nil || c.SecurityContext.AllowPrivilegeEscalation == nil || *c.SecurityContext.AllowPrivilegeEscalation {
			fail(o, "container %s: securityContext.allowPrivilegeEscalation must be false", c.Name)
		}
		if c.Resources.Limits.Memory().IsZero() {
			fail(o, "container %s: no memory limit", c.Name)
		}
		for _, m := range c.VolumeMounts {
			if !vols[m.Name] {
				fail(o, "container %s: volumeMount %s names no volume", c.Name, m.Name)
			}
		}
		for _, e := range c.EnvFrom {
			if e.SecretRef != nil && !names["Secret"][e.SecretRef.Name] {
				fail(o, "container %s: envFrom Secret %q is not among the manifests", c.Name, e.SecretRef.Name)
			}
			if e.ConfigMapRef != nil && !names["ConfigMap"][e.ConfigMapRef.Name] {
				fail(o, "container %s: envFrom ConfigMap %q is not among the manifests", c.Name, e.ConfigMapRef.Name)
			}
		}
	}
}
