package jira

import (
	"encoding/json"
	"testing"

	gojira "github.com/andygrunwald/go-jira"
)

// asGoJira is f as the go-jira IssueFields the target sent before it
// encoded createFields itself.
func asGoJira(f *createFields) *gojira.Issue {
	g := &gojira.IssueFields{
		Project:     gojira.Project{Key: f.Project.Key},
		Type:        gojira.IssueType{Name: f.Type.Name},
		Summary:     f.Summary,
		Description: f.Description,
		Labels:      f.Labels,
	}
	for _, c := range f.Components {
		g.Components = append(g.Components, &gojira.Component{Name: c.Name})
	}
	if f.Priority != nil {
		g.Priority = &gojira.Priority{Name: f.Priority.Name}
	}
	if f.Assignee != nil {
		g.Unknowns = map[string]any{"assignee": *f.Assignee}
	}
	for _, v := range f.FixVersions {
		g.FixVersions = append(g.FixVersions, &gojira.FixVersion{ID: v.ID})
	}
	return &gojira.Issue{Fields: g}
}

// TestCreateBodyAsGoJira pins the create's body to the JSON go-jira's
// IssueFields made of the same fields, byte for byte.
func TestCreateBodyAsGoJira(t *testing.T) {
	full := createFields{
		Project:     keyRef{Key: "REV"},
		Type:        nameRef{Name: "Task"},
		Summary:     `WEB 1.0 is at risk: "<late>" & more — é`,
		Description: "h2. Draft\n{color:#97a0af}forewarn:digest=0a1b content=2c3d{color}\n\t\\ \u2028",
		Labels:      []string{"client-comms", "forewarn", "fw-0123456789abcdef"},
		Components:  []nameRef{{Name: "Delivery"}, {Name: "Web & mobile"}},
		Priority:    &nameRef{Name: "High"},
		Assignee:    &userRef{AccountID: "5b10ac8d82e05b22cc7d4ef5"},
		FixVersions: []idRef{{ID: "10200"}},
	}
	cases := map[string]func(f *createFields){
		"every field":         func(*createFields) {},
		"data center":         func(f *createFields) { f.Assignee = &userRef{Name: "jsmith"} },
		"labels refused":      func(f *createFields) { f.Labels = nil },
		"no assignee":         func(f *createFields) { f.Assignee = nil },
		"web link":            func(f *createFields) { f.FixVersions = nil },
		"no components":       func(f *createFields) { f.Components = nil },
		"no priority":         func(f *createFields) { f.Priority = nil },
		"empty description":   func(f *createFields) { f.Description = "" },
		"minimal":             func(f *createFields) { *f = createFields{Project: f.Project, Type: f.Type, Summary: "s"} },
		"empty summary":       func(f *createFields) { f.Summary = "" },
		"unicode and escapes": func(f *createFields) { f.Summary, f.Description = "\x00\x1f\u00e9\U0001F600", "<script>\r\n" },
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			f := full
			f.Labels = append([]string(nil), full.Labels...)
			mod(&f)
			want, err := json.Marshal(asGoJira(&f))
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(createBody{&f})
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("create body\n got %s\nwant %s", got, want)
			}
		})
	}
}

// TestUpdateBodyAsGoJira pins an update's body to the JSON go-jira's
// IssueService.Update sent for the same fields, byte for byte.
func TestUpdateBodyAsGoJira(t *testing.T) {
	for name, f := range map[string]updateFields{
		"every field":    {Summary: `WEB 1.0 is at risk: "<late>" & more — é`, Description: "h2. Draft\n{color}\x00\u2028", Labels: []string{"forewarn", "fw-0123456789abcdef"}},
		"labels refused": {Summary: "s", Description: "d"},
		"empty":          {},
	} {
		t.Run(name, func(t *testing.T) {
			want, err := json.Marshal(&gojira.Issue{Key: "REV-12", Fields: &gojira.IssueFields{Summary: f.Summary, Description: f.Description, Labels: f.Labels}})
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(updateBody{Key: "REV-12", Fields: &f})
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("update body\n got %s\nwant %s", got, want)
			}
		})
	}
}
