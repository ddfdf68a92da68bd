package validate_test

import (
	"bufio"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/forewarn/forewarn/deploy/validate"
)

const manifests = "../kubernetes"

// exampleSecret is the Secret kept outside the applied set.
const exampleSecret = "../secret.example.yaml"

func TestManifests(t *testing.T) {
	objs, err := validate.Load(manifests)
	if err != nil {
		t.Fatalf("decoding the manifests:\n%v", err)
	}
	// `kubectl apply -f deploy/kubernetes/` applies no Secret with values.
	if s := validate.AppliedSecrets(objs); len(s) > 0 {
		t.Fatalf("a Secret with values is in the applied set (it would overwrite the real one): %v", s)
	}
	data, err := os.ReadFile(exampleSecret)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := validate.Decode("secret.example.yaml", data)
	if err != nil || len(validate.AppliedSecrets(ex)) != 1 {
		t.Fatalf("the example Secret: %v (%d objects)", err, len(ex))
	}
	objs = append(objs, ex...)
	if err := validate.Check(objs); err != nil {
		t.Fatalf("checking the manifests:\n%v", err)
	}
	kinds := map[string]int{}
	for _, o := range objs {
		kinds[o.Obj.GetObjectKind().GroupVersionKind().Kind]++
	}
	t.Logf("validated %d objects: %v", len(objs), kinds)
	if len(objs) < 6 {
		t.Fatalf("only %d objects decoded; want ConfigMap, Secret, PVC, CronJob, Deployment, Service", len(objs))
	}
}

// The cases below show that each kind of mistake is caught.
const cronjob = `apiVersion: batch/v1
kind: CronJob
metadata: {name: forewarn}
spec:
  schedule: "*/30 * * * *"
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          securityContext: {runAsNonRoot: true}
          containers:
            - name: forewarn
              image: forewarn:v1.0.0
              securityContext: {allowPrivilegeEscalation: false}
              resources: {limits: {memory: 256Mi}}
              envFrom: [{secretRef: {name: forewarn-secrets}}]
`

const others = `apiVersion: v1
kind: Secret
metadata: {name: forewarn-secrets}
stringData: {GITHUB_TOKEN: x}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: forewarn-config}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: forewarn}
spec:
  replicas: 1
  strategy: {type: Recreate}
  selector: {matchLabels: {app: forewarn}}
  template:
    metadata: {labels: {app: forewarn}}
    spec:
      securityContext: {runAsNonRoot: true}
      containers:
        - name: forewarn
          image: forewarn:v1.0.0
          securityContext: {allowPrivilegeEscalation: false}
          resources: {limits: {memory: 256Mi}}
          livenessProbe: {httpGet: {path: /healthz, port: 9464}}
          readinessProbe: {httpGet: {path: /readyz, port: 9464}}
`

func TestMistakesAreCaught(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(string) string
		wantErr string
	}{
		{"valid", func(s string) string { return s }, ""},
		{"misspelt field", func(s string) string { return strings.Replace(s, "concurrencyPolicy", "concurencyPolicy", 1) }, `unknown field "spec.concurencyPolicy"`},
		{"wrong type", func(s string) string { return strings.Replace(s, "replicas: 1", `replicas: "one"`, 1) }, "replicas"},
		{"duplicate field", func(s string) string {
			return strings.Replace(s, "  schedule:", "  schedule: \"0 * * * *\"\n  schedule:", 1)
		}, `key "schedule" already set`},
		{"retired API version", func(s string) string { return strings.Replace(s, "batch/v1", "batch/v1beta1", 1) }, "no kind \"CronJob\" is registered for version \"batch/v1beta1\""},
		{"overlapping runs allowed", func(s string) string { return strings.Replace(s, "Forbid", "Allow", 1) }, "spec.concurrencyPolicy must be Forbid"},
		{"two replicas", func(s string) string { return strings.Replace(s, "replicas: 1", "replicas: 2", 1) }, "spec.replicas must be 1"},
		{"rolling update", func(s string) string { return strings.Replace(s, "Recreate", "RollingUpdate", 1) }, "must be Recreate"},
		{"secret missing", func(s string) string { return strings.Replace(s, "name: forewarn-secrets}", "name: other}", 1) }, `envFrom Secret "other" is not among`},
		{"root allowed", func(s string) string { return strings.Replace(s, "runAsNonRoot: true", "runAsNonRoot: false", 1) }, "runAsNonRoot must be true"},
		{"no readiness probe", func(s string) string { return strings.Replace(s, "/readyz", "/", 1) }, "readinessProbe must GET /readyz"},
		{"bad name", func(s string) string {
			return strings.Replace(s, "name: forewarn}\nspec:\n  schedule", "name: Forewarn_Job}\nspec:\n  schedule", 1)
		}, "metadata.name \"Forewarn_Job\""},
		{"latest image", func(s string) string { return strings.Replace(s, "forewarn:v1.0.0", "forewarn:latest", 1) }, `image "forewarn:latest" is not pinned`},
		{"untagged image", func(s string) string { return strings.Replace(s, "forewarn:v1.0.0", "ghcr.io/forewarn/forewarn", 1) }, "is not pinned"},
		{"read-only root without /tmp", func(s string) string {
			return strings.Replace(s, "{allowPrivilegeEscalation: false}", "{allowPrivilegeEscalation: false, readOnlyRootFilesystem: true}", 1)
		}, "no emptyDir is mounted at /tmp"},
		{"bad schedule", func(s string) string { return strings.Replace(s, `"*/30 * * * *"`, `"every 30 minutes"`, 1) }, "has 3 fields"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.edit(cronjob + "---\n" + others)
			objs, err := validate.Decode("test.yaml", []byte(src))
			if err == nil {
				err = validate.Check(objs)
			}
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.wantErr != "" && err == nil:
				t.Fatalf("no error, want one containing %q", tc.wantErr)
			case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
				t.Fatalf("error %q does not contain %q", err, tc.wantErr)
			}
		})
	}
}

// repoRoot is the forewarn module's directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("forewarn's go.mod not found at %s", root)
	}
	return root
}

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
	buildOut  []byte
)

// buildLine is the Dockerfile's build command (the one RUN line with go build).
func buildLine(t *testing.T) string {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); strings.HasPrefix(l, "RUN ") && strings.Contains(l, "go build") {
			lines = append(lines, strings.TrimPrefix(l, "RUN "))
		}
	}
	if len(lines) != 1 {
		t.Fatalf("want exactly one `RUN ... go build` line in the Dockerfile, found %d", len(lines))
	}
	return lines[0]
}

// staticBinary builds forewarn with the Dockerfile's own command line.
func staticBinary(t *testing.T) string {
	t.Helper()
	line := buildLine(t)
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-o /out/forewarn", "./cmd/forewarn"} {
		if !strings.Contains(line, want) {
			t.Fatalf("the Dockerfile's build line lacks %q: %s", want, line)
		}
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "forewarn-static")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "forewarn")
		cmd := exec.Command("sh", "-c", strings.Replace(line, "/out/forewarn", binary, 1))
		cmd.Dir = repoRoot(t)
		cmd.Env = append(os.Environ(), "VERSION=v0.0.0-statictest")
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("building as the Dockerfile does: %v\n%s", buildErr, buildOut)
	}
	return binary
}

func TestStaticBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the whole binary")
	}
	bin := staticBinary(t)
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("not an ELF binary: %v", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("the binary asks for a dynamic loader (PT_INTERP): it is not static")
		}
	}
	if libs, err := f.ImportedLibraries(); err == nil && len(libs) > 0 {
		t.Fatalf("the binary needs shared libraries: %v", libs)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "forewarn v0.0.0-statictest" {
		t.Fatalf("forewarn version = %q, %v; want the version stamped by the build line", out, err)
	}
	fi, _ := os.Stat(bin)
	t.Logf("static binary: %.1f MiB", float64(fi.Size())/(1<<20))
}

func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	froms := regexp.MustCompile(`(?m)^FROM (\S+)`).FindAllStringSubmatch(s, -1)
	if len(froms) < 2 {
		t.Fatalf("want a multi-stage build, found %d FROM lines", len(froms))
	}
	for _, f := range froms {
		checkBaseImage(t, f[1])
	}
	final := froms[len(froms)-1][1]
	if !strings.HasPrefix(final, "gcr.io/distroless/static") && final != "scratch" {
		t.Errorf("final image %s: want distroless static or scratch", final)
	}
	users := regexp.MustCompile(`(?m)^USER (\S+)`).FindAllStringSubmatch(s, -1)
	if len(users) == 0 || strings.HasPrefix(users[len(users)-1][1], "root") || strings.HasPrefix(users[len(users)-1][1], "0") {
		t.Errorf("the final image must run as a non-root user, got %v", users)
	}
}

// checkBaseImage: a base image is named in full (a registry host, then the
// repository) and pinned — the Go image to an exact release of the Go
// version go.mod asks for, distroless to its nonroot tag — and a digest,
// when there is one, is well formed.
func checkBaseImage(t *testing.T, image string) {
	t.Helper()
	ref, digest, hasDigest := strings.Cut(image, "@")
	if hasDigest && !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(digest) {
		t.Errorf("%s: malformed digest %q", image, digest)
	}
	host, _, _ := strings.Cut(ref, "/")
	if !strings.Contains(host, ".") && host != "localhost" {
		t.Errorf("%s: not fully qualified (want registry/repository:tag, e.g. docker.io/library/golang:…)", image)
	}
	repo, tag, ok := strings.Cut(ref[strings.LastIndex(ref, "/")+1:], ":")
	if !ok || tag == "" || tag == "latest" {
		t.Errorf("%s: no pinned tag", image)
		return
	}
	switch {
	case repo == "golang":
		m := regexp.MustCompile(`^(\d+)\.(\d+)\.(\d+)-`).FindStringSubmatch(tag)
		if m == nil {
			t.Errorf("%s: the Go image must be an exact release (1.26.8-bookworm), not %q", image, tag)
			return
		}
		mod, _ := os.ReadFile(filepath.Join(repoRoot(t), "go.mod"))
		want := regexp.MustCompile(`(?m)^go (\d+)\.(\d+)`).FindStringSubmatch(string(mod))
		if want == nil || m[1] != want[1] || m[2] != want[2] {
			t.Errorf("%s: Go %s.%s, but go.mod asks for %v", image, m[1], m[2], want)
		}
	case strings.HasPrefix(repo, "static-debian") || strings.HasPrefix(repo, "static"):
		if tag != "nonroot" {
			t.Errorf("%s: distroless must be its nonroot tag", image)
		}
	}
}

// TestImageBuilds builds the image and runs its version command when a
// builder with a running engine is at hand (docker or podman); where none
// is, it says so and passes: the names and pins are still checked above.
func TestImageBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the image")
	}
	var builder string
	var why []string
	for _, b := range []string{"docker", "podman"} {
		if _, err := exec.LookPath(b); err != nil {
			why = append(why, b+": not installed")
			continue
		}
		if out, err := exec.Command(b, "info").CombinedOutput(); err != nil {
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			why = append(why, b+": no engine ("+strings.TrimSpace(lines[len(lines)-1])+")")
			continue
		}
		builder = b
		break
	}
	if builder == "" {
		t.Logf("no image builder with a running engine here (%s): the image was not built", strings.Join(why, "; "))
		return
	}
	tag := "forewarn:validate-test"
	out, err := exec.Command(builder, "build", "-t", tag, "--build-arg", "VERSION=v0.0.0-imagetest", repoRoot(t)).CombinedOutput()
	if err != nil {
		t.Fatalf("%s build: %v\n%s", builder, err, out)
	}
	out, err = exec.Command(builder, "run", "--rm", tag, "version").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "forewarn v0.0.0-imagetest" {
		t.Fatalf("the image's version = %q, %v; want the stamped one", out, err)
	}
}

// TestConfigMapChecks runs `forewarn check` on the configuration and rules
// the ConfigMaps ship, with the static binary: the single form's, and the
// multi-worker form's with the --shard of each of its pods (the Indexed
// Job's and the StatefulSet's, their index variables filled in).
func TestConfigMapChecks(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the whole binary")
	}
	bin := staticBinary(t)
	check := func(t *testing.T, dir, configMap string, args []string, want ...string) {
		t.Helper()
		objs, err := validate.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		tmp := t.TempDir()
		found := false
		for _, o := range objs {
			if cm, ok := o.Obj.(*corev1.ConfigMap); ok && cm.Name == configMap {
				for name, text := range cm.Data {
					if err := os.WriteFile(filepath.Join(tmp, name), []byte(text), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				found = true
			}
		}
		if !found {
			t.Fatalf("no ConfigMap %s in %s", configMap, dir)
		}
		cmd := exec.Command(bin, append([]string{"check", "--config", filepath.Join(tmp, "forewarn.yaml")}, args...)...)
		cmd.Env = []string{"GITHUB_TOKEN=placeholder-not-used"}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("forewarn check %s on the ConfigMap's files: %v\n%s", strings.Join(args, " "), err, out)
		}
		for _, w := range want {
			if !strings.Contains(string(out), w) {
				t.Errorf("forewarn check %s printed no %q:\n%s", strings.Join(args, " "), w, out)
			}
		}
		t.Logf("%s", out)
	}
	t.Run("single", func(t *testing.T) { check(t, manifests, "forewarn-config", nil) })
	objs, err := validate.Load(workers)
	if err != nil {
		t.Fatal(err)
	}
	forms := 0
	for _, o := range objs {
		var spec corev1.PodSpec
		var index string
		switch v := o.Obj.(type) {
		case *batchv1.CronJob:
			spec, index = v.Spec.JobTemplate.Spec.Template.Spec, "$(JOB_COMPLETION_INDEX)"
		case *appsv1.StatefulSet:
			spec, index = v.Spec.Template.Spec, "$(POD_INDEX)"
		default:
			continue
		}
		forms++
		shard := ""
		for i, a := range spec.Containers[0].Args {
			if a == "--shard" && i+1 < len(spec.Containers[0].Args) {
				shard = strings.Replace(spec.Containers[0].Args[i+1], index, "1", 1)
			}
		}
		t.Run(o.File, func(t *testing.T) {
			check(t, workers, "forewarn-workers-config", []string{"--shard", shard}, "shard: "+shard, "namespace agency")
		})
	}
	if forms != 2 {
		t.Fatalf("%d multi-worker forms; want the Indexed CronJob and the StatefulSet", forms)
	}
}

const workers = "../kubernetes/multi-worker"

// TestMultiWorkerManifests validates the multi-worker form with the
// example Secret, and shows its own mistakes are caught.
func TestMultiWorkerManifests(t *testing.T) {
	objs, err := validate.Load(workers)
	if err != nil {
		t.Fatalf("decoding the manifests:\n%v", err)
	}
	if s := validate.AppliedSecrets(objs); len(s) > 0 {
		t.Fatalf("a Secret with values is in the applied set: %v", s)
	}
	data, err := os.ReadFile(exampleSecret)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := validate.Decode("secret.example.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.CheckWorkers(append(objs, ex...)); err != nil {
		t.Fatalf("checking the multi-worker manifests:\n%v", err)
	}
	kinds := map[string]int{}
	for _, o := range objs {
		kinds[fmt.Sprintf("%T", o.Obj)]++
	}
	if kinds["*v1.CronJob"] != 1 || kinds["*v1.StatefulSet"] != 1 || kinds["*v1.Service"] != 1 {
		t.Fatalf("the multi-worker form ships %v; want the Indexed CronJob, the StatefulSet and its Service", kinds)
	}
	raw, err := os.ReadFile(filepath.Join(workers, "cronjob.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cm, err := os.ReadFile(filepath.Join(workers, "configmap.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sts, err := os.ReadFile(filepath.Join(workers, "statefulset.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, file, old, new, cm, want string }{
		{"N of --shard differs from completions", "cronjob.yaml", `"$(JOB_COMPLETION_INDEX)/3"`, `"$(JOB_COMPLETION_INDEX)/4"`, "", "--shard $(JOB_COMPLETION_INDEX)/N"},
		{"not Indexed", "cronjob.yaml", "completionMode: Indexed", "completionMode: NonIndexed", "", "must be Indexed"},
		{"fewer pods at once than shards", "cronjob.yaml", "parallelism: 3", "parallelism: 1", "", "completions and parallelism must be equal"},
		{"SQLite state", "cronjob.yaml", "", "", "driver: sqlite", "driver: postgres"},
		{"N of --shard differs from replicas", "statefulset.yaml", "replicas: 3", "replicas: 4", "", "--shard $(POD_INDEX)/N with N = replicas"},
		{"ordinal not from the pod-index label", "statefulset.yaml", "metadata.labels['apps.kubernetes.io/pod-index']", "metadata.name", "", "POD_INDEX must come from"},
		{"shards started one after another", "statefulset.yaml", "podManagementPolicy: Parallel", "podManagementPolicy: OrderedReady", "", "must be Parallel"},
		{"governing Service not headless", "statefulset.yaml", "clusterIP: None", "type: ClusterIP", "", "must name a headless Service"},
		{"run instead of serve", "statefulset.yaml", `args: ["serve",`, `args: ["run",`, "", "must run serve"},
		{"no readiness probe", "statefulset.yaml", "path: /readyz", "path: /healthz", "", "readinessProbe must GET /readyz"},
	} {
		t.Run(c.name, func(t *testing.T) {
			job := map[string]string{"cronjob.yaml": string(raw), "statefulset.yaml": string(sts)}[c.file]
			if c.old != "" {
				if !strings.Contains(job, c.old) {
					t.Fatalf("%s holds no %q", c.file, c.old)
				}
				job = strings.Replace(job, c.old, c.new, 1)
			}
			conf := string(cm)
			if c.cm != "" {
				conf = strings.Replace(conf, "driver: postgres", c.cm, 1)
			}
			a, err := validate.Decode(c.file, []byte(job))
			if err != nil {
				t.Fatal(err)
			}
			b, err := validate.Decode("configmap.yaml", []byte(conf))
			if err != nil {
				t.Fatal(err)
			}
			err = validate.CheckWorkers(append(append(a, b...), ex...))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("CheckWorkers = %v; want %q", err, c.want)
			}
		})
	}
}
