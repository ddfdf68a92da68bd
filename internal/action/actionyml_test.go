package action_test

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/forewarn/forewarn/internal/action"
)

type actionYML struct {
	Inputs map[string]struct {
		Default string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Value string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string `yaml:"using"`
		Steps []struct {
			ID   string            `yaml:"id"`
			Env  map[string]string `yaml:"env"`
			Run  string            `yaml:"run"`
			If   string            `yaml:"if"`
			Uses string            `yaml:"uses"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"runs"`
}

// TestActionYML keeps action.yml and the Go entry point in step: every
// input reaches forewarn as INPUT_*, every output is one forewarn writes,
// and the binary is built the static way.
func TestActionYML(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a actionYML
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if a.Runs.Using != "composite" {
		t.Fatalf("runs.using = %q", a.Runs.Using)
	}
	var env map[string]string
	built := false
	for _, s := range a.Runs.Steps {
		if s.ID == "forewarn" {
			env = s.Env
			if !strings.Contains(s.Run, "forewarn\" action") {
				t.Errorf("the forewarn step does not run `forewarn action`: %q", s.Run)
			}
		}
		if strings.Contains(s.Run, "CGO_ENABLED=0 go build -trimpath") {
			built = true
		}
	}
	var uploaded, linked bool
	for _, s := range a.Runs.Steps {
		if s.ID == "portfolio" && strings.HasPrefix(s.Uses, "actions/upload-artifact@") && s.With["path"] == "${{ steps.forewarn.outputs.report-file }}" {
			uploaded = true
		}
		if strings.Contains(s.Run, "GITHUB_STEP_SUMMARY") && s.Env["ARTIFACT_URL"] == "${{ steps.portfolio.outputs.artifact-url }}" {
			linked = true
		}
	}
	if !uploaded || !linked {
		t.Errorf("the portfolio page is not uploaded (%v) or not linked from the job summary (%v)", uploaded, linked)
	}
	if !built {
		t.Error("no static build step (CGO_ENABLED=0 go build -trimpath)")
	}
	// A released binary first; the source build is the fallback; a
	// third-party action is pinned by commit.
	fetch, fallback := false, 0
	for _, s := range a.Runs.Steps {
		fetch = fetch || (s.ID == "release" && strings.Contains(s.Run, "gh release download"))
		if strings.Contains(s.If, "steps.release.outputs.found != 'true'") {
			fallback++
		}
		if s.Uses != "" && !regexp.MustCompile(`@[0-9a-f]{40}( |$)`).MatchString(s.Uses) {
			t.Errorf("step uses %q: pin third-party actions by commit SHA", s.Uses)
		}
	}
	if !fetch || fallback != 2 {
		t.Errorf("want a release download step and setup-go + build only when it found nothing (release %v, fallback steps %d)", fetch, fallback)
	}
	for name := range a.Inputs {
		if name == "go-version" || name == "version" {
			continue // used to get the binary (release or build) only
		}
		v := "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		if env[v] != "${{ inputs."+name+" }}" {
			t.Errorf("input %s does not reach forewarn as %s (env %q)", name, v, env[v])
		}
	}
	if a.Inputs["mode"].Default != "plan" {
		t.Errorf("mode defaults to %q; the safe default is plan", a.Inputs["mode"].Default)
	}
	s := &action.Summary{}
	written := s.Outputs()
	written["plan-file"], written["exit-code"], written["report-file"] = "", "", ""
	var want, got []string
	for k := range written {
		want = append(want, k)
	}
	for k, o := range a.Outputs {
		got = append(got, k)
		if o.Value != "${{ steps.forewarn.outputs."+k+" }}" {
			t.Errorf("output %s maps %q", k, o.Value)
		}
	}
	sort.Strings(want)
	sort.Strings(got)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("action.yml outputs %v; forewarn writes %v", got, want)
	}
}
