package jira

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"testing"
)

// The custom fields' values were read by decoding them into []any and
// map[string]any. These are those readers, kept as the reference the
// allocation-light ones (pointsValue, sprintIDs, nonEmptyArray) must match.

func refPoints(raw []byte) (float64, bool) {
	var v any
	if raw == nil || json.Unmarshal(raw, &v) != nil {
		return 0, false
	}
	switch n := v.(type) {
	case float64:
		return n, true
	case string:
		if p, err := strconv.ParseFloat(n, 64); err == nil {
			return p, true
		}
	}
	return 0, false
}

func refSprints(raw []byte) []int64 {
	var list []any
	if raw == nil || json.Unmarshal(raw, &list) != nil {
		return nil
	}
	var ids []int64
	for _, e := range list {
		switch v := e.(type) {
		case map[string]any:
			if id, ok := v["id"].(float64); ok {
				ids = append(ids, int64(id))
			}
		case string:
			if m := sprintIDRe.FindStringSubmatch(v); m != nil {
				if id, err := strconv.ParseInt(m[1], 10, 64); err == nil {
					ids = append(ids, id)
				}
			}
		}
	}
	return ids
}

func refFlagged(raw []byte) bool {
	var v []any
	return raw != nil && json.Unmarshal(raw, &v) == nil && len(v) > 0
}

func sameCustomValues(t *testing.T, raw []byte) {
	t.Helper()
	p, ok := pointsValue(raw)
	rp, rok := refPoints(raw)
	if ok != rok || ok && p != rp && !(math.IsNaN(p) && math.IsNaN(rp)) {
		t.Errorf("pointsValue(%q) = %v, %v; the map reader gives %v, %v", raw, p, ok, rp, rok)
	}
	if got, want := sprintIDs(raw), refSprints(raw); !slices.Equal(got, want) {
		t.Errorf("sprintIDs(%q) = %v; the map reader gives %v", raw, got, want)
	}
	if got, want := nonEmptyArray(raw), refFlagged(raw); got != want {
		t.Errorf("nonEmptyArray(%q) = %v; the map reader gives %v", raw, got, want)
	}
}

var customValueSeeds = []string{
	``, `null`, `3`, ` 5.5 `, `-2`, `"8"`, `"3.5"`, `"NaN"`, `"x"`, `true`, `{}`, `[]`, `[ ]`, `[null]`, `1e400`,
	`[{"id":12,"name":"Sprint 4","state":"active","startDate":"2026-11-02T09:00:00.000Z","boardId":3,"goal":"ship"}]`,
	`[{"id":12},{"id":13.7},{"name":"no id"},{"id":"14"},{"id":null},{"ID":15},{"id":16,"id":17}]`,
	`["com.atlassian.greenhopper.service.sprint.Sprint@1e5[id=8,rapidViewId=3,state=CLOSED,name=S 8]", "x[id=9]"]`,
	`[{"id":1e400}]`, `[{"id":-3}]`, `[{"i\u0064":4}]`, `[{"id":5}`, `[[1],{"id":6}]`,
	`[{"value":"Impediment","id":"10019"}]`,
}

func TestCustomFieldValuesMatchTheMapReaders(t *testing.T) {
	for _, s := range customValueSeeds {
		sameCustomValues(t, []byte(s))
	}
	sameCustomValues(t, nil)
	// Hand-checked values, not only agreement.
	if p, ok := pointsValue([]byte(`"3.5"`)); !ok || p != 3.5 {
		t.Errorf(`pointsValue("3.5") = %v, %v`, p, ok)
	}
	if got := sprintIDs([]byte(customValueSeeds[16])); !slices.Equal(got, []int64{12, 13, 17}) {
		t.Errorf("sprintIDs = %v, want [12 13 17]", got)
	}
	if !nonEmptyArray([]byte(` [ {"value":"Impediment"} ] `)) || nonEmptyArray([]byte(`[ ]`)) || nonEmptyArray([]byte(`null`)) {
		t.Error("nonEmptyArray disagrees with the hand-checked lists")
	}
}

func FuzzCustomFieldValues(f *testing.F) {
	for _, s := range customValueSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) { sameCustomValues(t, raw) })
}

func BenchmarkCustomFieldValues(b *testing.B) {
	sprint := []byte(`[{"id":12,"self":"https://acme.atlassian.net/rest/agile/1.0/sprint/12","name":"Sprint 4","state":"active","startDate":"2026-11-02T09:00:00.000Z","endDate":"2026-11-16T09:00:00.000Z","boardId":3,"goal":"ship the checkout"}]`)
	points, flagged := []byte(`5`), []byte(`[]`)
	b.ReportAllocs()
	for b.Loop() {
		pointsValue(points)
		sprintIDs(sprint)
		nonEmptyArray(flagged)
	}
}
