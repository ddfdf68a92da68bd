package app

import (
	"testing"

	"github.com/forewarn/forewarn/connectors"
	"github.com/forewarn/forewarn/connectors/file"
	"github.com/forewarn/forewarn/connectors/github"
	"github.com/forewarn/forewarn/internal/tracker"
)

// The app wraps every source (its progress line; in a run, its claims):
// a wrapped source streams exactly when the source it wraps does, so the
// worker judges a GitHub source's repositories as they are read and reads
// the others at once.
func TestWrappedSourcesStreamAsTheirSourceDoes(t *testing.T) {
	gh, err := github.NewSource("gh", github.SourceConfig{Repos: []string{"acme/web"}}, connectors.Env{})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := file.NewSource("export", file.SourceConfig{Path: "export.yaml"}, connectors.Env{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		src  tracker.Source
		want bool
	}{
		{progressSource{gh}, true},
		{claiming{progressSource{gh}, nil}, true},
		{progressSource{fs}, false},
		{claiming{progressSource{fs}, nil}, false},
	} {
		if got := tracker.Streams(c.src); got != c.want {
			t.Errorf("%T of %s streams: %v, want %v", c.src, c.src.Name(), got, c.want)
		}
	}
}
