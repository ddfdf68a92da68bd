package app

import (
	"context"

	"github.com/forewarn/forewarn/internal/logx"
	"github.com/forewarn/forewarn/internal/tracker"
)

// progressSource gives a source its progress line (on a terminal): its
// requests count pages under its name (logx.WithTask), and the milestones
// read are shown when it is done.
type progressSource struct{ tracker.Source }

func (s progressSource) Fetch(ctx context.Context) (tracker.FetchResult, error) {
	name := s.Name()
	ctx = logx.WithTask(ctx, name)
	res, err := s.Source.Fetch(ctx)
	p := logx.ProgressFrom(ctx)
	p.Set(name, "milestones", len(res.Milestones)+len(res.Failed))
	p.Done(name)
	return res, err
}
