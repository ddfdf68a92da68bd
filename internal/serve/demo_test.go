package serve_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	pmodel "github.com/prometheus/common/model"
	"github.com/rs/zerolog"

	"github.com/forewarn/forewarn/internal/app"
	"github.com/forewarn/forewarn/internal/demotest"
	"github.com/forewarn/forewarn/internal/metrics"
	"github.com/forewarn/forewarn/internal/serve"
)

// TestServeDemo runs serve on the demo end to end: the app loaded with the
// metrics hooks, one run, /readyz, a /metrics scrape, SIGTERM.
func TestServeDemo(t *testing.T) {
	_, cfg := demotest.Copy(t)
	m := metrics.New()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := app.Load(ctx, app.Options{ConfigPath: cfg, Log: zerolog.Nop(), Observe: m.Observe, RateLimit: m.RateLimit})
	if err != nil {
		t.Fatalf("loading the demo: %v", err)
	}
	defer a.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	done := make(chan error, 1)
	go func() {
		done <- serve.Serve(ctx, a, serve.Options{Listener: ln, Rand: func() float64 { return 0 }}, m, zerolog.Nop())
	}()
	waitFor(t, "the demo run is recorded", func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	// The portfolio page of the run: the demo's four milestones.
	page, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if page.StatusCode != 200 || strings.Count(string(body), `<tr class="ms row-`) != 4 || !strings.Contains(string(body), "Checkout redesign") {
		t.Errorf("GET /: %d, %d milestone rows; want 200 and the demo's 4", page.StatusCode, strings.Count(string(body), `<tr class="ms row-`))
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(pmodel.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	prob := fams["forewarn_milestone_on_time_probability"]
	if prob == nil || len(prob.Metric) == 0 {
		t.Fatal("no due-date likelihood for any demo milestone")
	}
	for _, s := range prob.Metric {
		if v := s.GetGauge().GetValue(); v < 0 || v > 1 {
			t.Errorf("likelihood %v outside [0, 1]", v)
		}
	}
	created := 0.0
	if f := fams["forewarn_tickets_total"]; f != nil {
		for _, s := range f.Metric {
			created += s.GetCounter().GetValue()
		}
	}
	if created == 0 {
		t.Error("the demo run wrote no drafts according to forewarn_tickets_total")
	}
	outbox, _ := filepath.Glob(filepath.Join(filepath.Dir(cfg), "outbox", "*"))
	if len(outbox) == 0 {
		t.Error("no drafts in the demo outbox")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve after SIGTERM: %v", err)
	}
}
