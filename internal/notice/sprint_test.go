package notice

import (
	"testing"

	"github.com/forewarn/forewarn/internal/model"
)

// A sprint is the team's plan, which many clients never see: its client
// notice and its post-mortem's letter ask the reviewer whether the client
// was promised the sprint's work, in both languages. A delivery promised
// to the client (a milestone, a fix version) says nothing of the kind.
func TestSprintDraftsAskWhetherTheClientFollowsTheSprint(t *testing.T) {
	r := newRenderer(t)
	want := map[string]map[model.Purpose]string{
		langEN: {
			model.PurposeClientNotice: "This is a sprint: the team's plan for the weeks it runs, which not every client follows. Send this only if the client was promised this sprint's work. What is not done usually moves to the next sprint",
			model.PurposePostMortem:   "This was a sprint: the team's plan for the weeks it ran, which not every client follows.",
		},
		langNL: {
			model.PurposeClientNotice: "Dit is een sprint: het plan van het team voor de weken dat die loopt, dat niet elke klant volgt. Verstuur dit alleen als de klant het werk van deze sprint is toegezegd.",
			model.PurposePostMortem:   "Dit was een sprint: het plan van het team voor de weken dat die liep, dat niet elke klant volgt.",
		},
	}
	for lang, byPurpose := range want {
		for purpose, note := range byPurpose {
			req := fixture(lang, purpose)
			req.Milestone.Kind = model.KindSprint
			mustContain(t, render(t, r, req, model.FormatMarkdown).Body, note)
			for _, kind := range []model.Kind{model.KindMilestone, model.KindFixVersion} {
				other := fixture(lang, purpose)
				other.Milestone.Kind = kind
				mustNotContain(t, render(t, r, other, model.FormatMarkdown).Body, note[:30])
			}
		}
	}
}
