package notice

import (
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/model"
)

// The line on the team's record, in both languages, for every shape of
// record (and none).
func TestRecordLine(t *testing.T) {
	rec := func(n, k int) *model.TeamRecord { return &model.TeamRecord{Milestones: n, OnTime: k} }
	ordered := func(onTime ...bool) *model.TeamRecord {
		r := &model.TeamRecord{Milestones: len(onTime), OnTimeByClose: onTime}
		for _, ok := range onTime {
			if ok {
				r.OnTime++
			}
		}
		return r
	}
	for _, tc := range []struct {
		lang string
		kind model.Kind
		r    *model.TeamRecord
		want string
	}{
		{"en", model.KindSprint, nil, "No earlier deliveries of this team on record: the forecast rests on this delivery's own data."},
		{"nl", model.KindSprint, nil, "Geen eerdere opleveringen van dit team bekend: de prognose steunt alleen op de gegevens van deze oplevering."},
		{"en", model.KindSprint, rec(8, 5), "Based on the team's last 8 sprints: 5 delivered on time."},
		{"nl", model.KindSprint, rec(8, 5), "Op basis van de laatste 8 sprints van het team: 5 op tijd opgeleverd."},
		{"en", model.KindFixVersion, rec(3, 0), "Based on the team's last 3 versions: none delivered on time."},
		{"nl", model.KindFixVersion, rec(3, 0), "Op basis van de laatste 3 versies van het team: geen op tijd opgeleverd."},
		{"en", model.KindMilestone, rec(1, 1), "Based on the team's last milestone: delivered on time."},
		{"nl", model.KindMilestone, rec(1, 0), "Op basis van de laatste mijlpaal van het team: niet op tijd opgeleverd."},
		{"en", model.KindMilestone, rec(1, 0), "Based on the team's last milestone: not delivered on time."},
		{"nl", model.KindMilestone, rec(10, 10), "Op basis van de laatste 10 mijlpalen van het team: 10 op tijd opgeleverd."},
		// With the order known, how the last three went (they weigh most).
		{"en", model.KindSprint, ordered(true, true, true, true, false, true), "Based on the team's last 6 sprints: 5 delivered on time (2 of the last 3)."},
		{"nl", model.KindSprint, ordered(true, false, true, false, false, false), "Op basis van de laatste 6 sprints van het team: 2 op tijd opgeleverd (0 van de laatste 3)."},
		{"en", model.KindSprint, ordered(false, true, true), "Based on the team's last 3 sprints: 2 delivered on time."},
		{"en", model.KindSprint, ordered(true, true, true, true), "Based on the team's last 4 sprints: 4 delivered on time."},
	} {
		if got := newLocale(tc.lang, time.UTC).record(tc.kind, tc.r); got != tc.want {
			t.Errorf("%s %s %+v: got %q, want %q", tc.lang, tc.kind, tc.r, got, tc.want)
		}
	}
}
