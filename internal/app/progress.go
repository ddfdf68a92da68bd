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
	return s.FetchStream(ctx, nil)
}

// FetchStream streams when the source it wraps does (tracker.Streams).
func (s progressSource) FetchStream(ctx context.Context, part func(tracker.FetchResult)) (tracker.FetchResult, error) {
	name := s.Name()
	ctx = logx.WithTask(ctx, name)
	res, err := tracker.FetchParts(ctx, s.Source, part)
	p := logx.ProgressFrom(ctx)
	p.Set(name, "milestones", len(res.Milestones)+len(res.Failed))
	p.Done(name)
	return res, err
}

func (s progressSource) Unwrap() tracker.Source { return s.Source }
