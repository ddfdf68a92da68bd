// Package browser drives headless Chromium over the portfolio page: the
// demo's page loaded from a file and from `forewarn serve`, the hostile
// corpus's page, at desktop and phone widths. It needs a browser: set
// FOREWARN_CHROMIUM to its path, or have chromium on PATH (.ci/run installs
// Debian's chromium). Without one the test is skipped, except under CI=true,
// where it fails.
//
// go test ./internal/e2e/browser -update rewrites docs/portfolio-desktop.png
// and docs/portfolio-phone.png, the screenshots README shows.
package browser

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image/png"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/rs/zerolog"

	"github.com/forewarn/forewarn/internal/app"
	"github.com/forewarn/forewarn/internal/cli"
	"github.com/forewarn/forewarn/internal/demotest"
	"github.com/forewarn/forewarn/internal/exitcode"
	"github.com/forewarn/forewarn/internal/serve"
)

var update = flag.Bool("update", false, "rewrite the screenshots in docs/")

const (
	weekEarlier = "2026-11-13T09:00:00Z"
	now         = "2026-11-20T09:00:00Z"
)

// browserPath finds Chromium, or skips (fails under CI).
func browserPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("FOREWARN_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium found (FOREWARN_CHROMIUM, chromium on PATH) and CI=true: .ci/run installs Debian's chromium")
	}
	t.Skip("no Chromium found: set FOREWARN_CHROMIUM or install chromium")
	return ""
}

func forewarn(t *testing.T, args ...string) {
	t.Helper()
	var out, errb bytes.Buffer
	if code := cli.Run(context.Background(), args, &out, &errb, func(string) string { return "" }); code != exitcode.OK {
		t.Fatalf("forewarn %s: exit %d\n%s", strings.Join(args, " "), code, errb.String())
	}
}

// observed is what the browser reported while a page was shown.
type observed struct {
	mu       sync.Mutex
	requests []string
	errors   []string
	dialogs  []string
}

func (o *observed) listen(ev any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		o.requests = append(o.requests, e.Request.URL)
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
			o.errors = append(o.errors, "console "+string(e.Type))
		}
	case *runtime.EventExceptionThrown:
		o.errors = append(o.errors, "exception: "+e.ExceptionDetails.Text)
	case *cdplog.EventEntryAdded:
		if e.Entry.Level == cdplog.EntryLevelError || e.Entry.Level == cdplog.EntryLevelWarning {
			o.errors = append(o.errors, fmt.Sprintf("log %s: %s (%s)", e.Entry.Level, e.Entry.Text, e.Entry.URL))
		}
	case *page.EventJavascriptDialogOpening:
		o.dialogs = append(o.dialogs, e.Message)
	}
}

// tab opens a fresh tab that records requests, console errors and dialogs.
func tab(t *testing.T, browser context.Context) (context.Context, *observed) {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	o := &observed{}
	if err := chromedp.Listen(ctx, o.listen); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		call(ctx, network.Enable, network.EnableParams{}),
		call(ctx, runtime.Enable, cdp.Empty{}),
		call(ctx, cdplog.Enable, cdp.Empty{}),
	} {
		if err != nil {
			t.Fatalf("enabling the protocol domains: %v", err)
		}
	}
	return ctx, o
}

func call[P any](ctx context.Context, cmd cdp.Command[P, cdp.Empty], p P) error {
	_, err := chromedp.Call(ctx, cmd, p)
	return err
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

func TestPortfolioInBrowser(t *testing.T) {
	exe := browserPath(t)

	// The demo, run a week earlier and today, so the page shows changes.
	_, cfg := demotest.Copy(t)
	forewarn(t, "run", "--config", cfg, "--now", weekEarlier)
	file := filepath.Join(t.TempDir(), "portfolio.html")
	forewarn(t, "run", "--config", cfg, "--now", now, "--report", file)

	// The hostile corpus's tracker export, judged with the demo's clients.
	hostileRoot, hostileCfg := demotest.Copy(t)
	export, err := os.ReadFile(filepath.Join("..", "hostile", "testdata", "text", "export.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(hostileRoot, "examples", "demo", "export.yaml"), export, 0o644); err != nil {
		t.Fatal(err)
	}
	hostileFile := filepath.Join(t.TempDir(), "hostile.html")
	forewarn(t, "plan", "--config", hostileCfg, "--now", now, "--report", hostileFile)

	// The demo's page in Dutch, whose labels are the longest.
	_, nlCfg := demotest.Copy(t)
	nlFile := filepath.Join(t.TempDir(), "portfolio-nl.html")
	conf, err := os.ReadFile(nlCfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(nlCfg, append(conf, []byte("report:\n  path: "+nlFile+"\n  locale: nl\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	forewarn(t, "plan", "--config", nlCfg, "--now", now)

	// serve on a third copy of the demo, with its history of a week ago.
	_, serveCfg := demotest.Copy(t)
	forewarn(t, "run", "--config", serveCfg, "--now", weekEarlier)
	served := startServe(t, serveCfg)

	opts := append(chromedp.DefaultExecAllocatorOptions[:0:0],
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.NoFirstRun, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-default-browser-check", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1366, 900))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("starting %s: %v", exe, err)
	}

	for _, c := range []struct{ name, url string }{
		{"file", "file://" + file},
		{"serve", served + "/"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, o := tab(t, browser)
			ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
			defer cancel()
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 900), chromedp.Navigate(c.url)); err != nil {
				t.Fatalf("loading %s: %v", c.url, err)
			}
			checkDemo(t, ctx)
			checkInsideCells(t, ctx, 1366)
			shot(t, ctx, 1366, 900, "portfolio-desktop.png", c.name == "file")
			// A laptop: the columns narrow, nothing may spill into the next.
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(1024, 768)); err != nil {
				t.Fatal(err)
			}
			checkInsideCells(t, ctx, 1024)
			if c.name == "file" {
				checkPrint(t, ctx)
				// On paper: A4 landscape less its margins is about 1047 px.
				if err := call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
					t.Fatal(err)
				}
				if err := chromedp.Do(ctx, chromedp.EmulateViewport(1047, 740)); err != nil {
					t.Fatal(err)
				}
				if fs := eval[string](t, ctx, `getComputedStyle(document.body).fontSize`); fs != "12px" {
					t.Errorf("print media: body font %s, want the print stylesheet's 9pt (12px)", fs)
				}
				checkInsideCells(t, ctx, 1047)
				if err := call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}); err != nil {
					t.Fatal(err)
				}
			}
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2))); err != nil {
				t.Fatal(err)
			}
			// On a phone each milestone is a card: no sideways scrolling.
			if w := eval[int](t, ctx, `document.documentElement.scrollWidth`); w > 390 {
				t.Errorf("phone width: the page is %d px wide, wider than the 390 px screen", w)
			}
			checkInsideCells(t, ctx, 390)
			shot(t, ctx, 390, 844, "portfolio-phone.png", c.name == "file")
			checkQuiet(t, o, c.url)
		})
	}

	t.Run("dutch", func(t *testing.T) {
		ctx, o := tab(t, browser)
		ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		url := "file://" + nlFile
		for _, w := range []int64{1366, 1024} {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, 768), chromedp.Navigate(url)); err != nil {
				t.Fatal(err)
			}
			if lang := eval[string](t, ctx, `document.documentElement.lang`); lang != "nl" {
				t.Fatalf("page language %q, want nl", lang)
			}
			checkInsideCells(t, ctx, int(w))
		}
		checkQuiet(t, o, url)
	})

	t.Run("hostile", func(t *testing.T) {
		ctx, o := tab(t, browser)
		ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		url := "file://" + hostileFile
		if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
			t.Fatal(err)
		}
		if n := eval[int](t, ctx, `document.querySelectorAll('img, script, iframe, object, embed, [onerror], [onload]').length`); n != 0 {
			t.Errorf("the hostile titles made %d live elements", n)
		}
		title := eval[string](t, ctx, `document.querySelector('tr[data-key$="checkout-redesign"] .ml').textContent`)
		for _, want := range []string{"@acme-team", "<!-- forewarn:fingerprint=fw-0123456789abcdef -->", "{color:#97a0af}", "[~accountid:"} {
			if !strings.Contains(title, want) {
				t.Errorf("the hostile title does not show %q as text: %q", want, title)
			}
		}
		if strings.ContainsAny(title, "\u202e\u0007\u0000") || len([]rune(title)) > 160 {
			t.Errorf("control or bidi characters, or %d runes, in the shown title", len([]rune(title)))
		}
		if n := eval[int](t, ctx, `document.querySelectorAll('tr[data-key]').length`); n != 4 {
			t.Errorf("hostile page: %d rows, want 4", n)
		}
		checkInsideCells(t, ctx, 1366)
		checkQuiet(t, o, url)
	})
}

// changeRe is the change since a week ago of a forecast that had a date
// then and has one now.
var changeRe = regexp.MustCompile(`^\d+ % → \d+ % \((up \d+ pts|down \d+ pts|unchanged)\); P85 (\d+ days (later|earlier)|same date)$`)

// checkDemo asserts what a delivery manager sees on the demo's page.
func checkDemo(t *testing.T, ctx context.Context) {
	t.Helper()
	rows := eval[[]string](t, ctx, `[...document.querySelectorAll('tr[data-key]')].map(r => r.dataset.key)`)
	want := "file:demo/mobile-app-2-1 file:demo/klantportaal-fase-2 file:demo/checkout-redesign file:demo/analytics-dashboard"
	if strings.Join(rows, " ") != want {
		t.Errorf("rows %v; want Brouwer's two then Acme's two, riskiest first: %s", rows, want)
	}
	if s := eval[string](t, ctx, `document.getElementById('summary').textContent`); !strings.Contains(s, "3 dates at risk") || !strings.Contains(s, "drafts awaiting review") {
		t.Errorf("header %q", s)
	}
	// Every milestone has a drawn band with width, and a due date marker.
	bands := eval[[]float64](t, ctx, `[...document.querySelectorAll('tr[data-key]')].map(r => { const b = r.querySelector('rect.p95'); return b ? b.getBoundingClientRect().width : 0 })`)
	dues := eval[int](t, ctx, `document.querySelectorAll('tr[data-key] svg.band line.due').length`)
	if len(bands) != 4 || dues != 4 {
		t.Errorf("bands %v, due markers %d; want 4 of each", bands, dues)
	}
	for i, w := range bands {
		if w < 3 {
			t.Errorf("row %d: band %.1f px wide", i, w)
		}
	}
	// The likelihood is written out, not only coloured. (The analytics
	// dashboard's calibrated 69 % is uncertain; the simulation alone said 88 %.)
	labels := eval[[]string](t, ctx, `[...document.querySelectorAll('tr[data-key] td.ot .lk')].map(e => e.textContent)`)
	if strings.Join(labels, "|") != "Unlikely (<\u00a050\u00a0%)|Unlikely (<\u00a050\u00a0%)|Unlikely (<\u00a050\u00a0%)|Uncertain (50–84\u00a0%)" {
		t.Errorf("likelihood labels %q", labels)
	}
	change := eval[string](t, ctx, `document.querySelector('tr[data-key="file:demo/analytics-dashboard"] td.chg').textContent`)
	if !changeRe.MatchString(change) {
		t.Errorf("analytics dashboard since last week: %q", change)
	}
	links := eval[[]string](t, ctx, `[...document.querySelectorAll('a.ml')].map(a => a.href)`)
	if len(links) != 4 || !strings.Contains(strings.Join(links, " "), "https://tracker.example/checkout-redesign") {
		t.Errorf("tracker links %v", links)
	}
	tickets := eval[[]string](t, ctx, `[...document.querySelectorAll('tr[data-key="file:demo/checkout-redesign"] .tk li')].map(e => e.textContent)`)
	if len(tickets) != 2 || !strings.HasPrefix(tickets[0], "Client notice") || !strings.Contains(tickets[0], ".md") {
		t.Errorf("checkout redesign tickets %q", tickets)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('table.ms th[scope=col]').length`); n != 18 {
		t.Errorf("%d column headers in the two tables, want 18", n)
	}
}

// checkInsideCells: in the milestone tables, every element lies within
// its cell (a badge or a date wider than its column would be drawn over
// the next column's text).
func checkInsideCells(t *testing.T, ctx context.Context, width int) {
	t.Helper()
	out := eval[[]string](t, ctx, `[...document.querySelectorAll('table.ms tbody td, table.ms tbody th')].flatMap(c => {
		const b = c.getBoundingClientRect();
		return [...c.querySelectorAll('*')].filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && (r.right > b.right + 0.5 || r.left < b.left - 0.5) })
			.map(e => c.className + ' ' + e.tagName + '.' + e.getAttribute('class') + ' "' + e.textContent.trim().slice(0, 40) + '" ' + Math.round(e.getBoundingClientRect().right - b.right) + ' px')
	})`)
	for _, o := range out {
		t.Errorf("%d px wide: outside its cell: %s", width, o)
	}
}

// a4Landscape is the media box of an A4 landscape page in points.
var a4Landscape = regexp.MustCompile(`/MediaBox \[0 0 84[12](\.\d+)? 59[45](\.\d+)?\]`)

// checkPrint prints the page as the browser would on paper: the
// stylesheet asks for A4 landscape, and the browser honours it.
func checkPrint(t *testing.T, ctx context.Context) {
	t.Helper()
	prefer := true
	res, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{PreferCSSPageSize: &prefer})
	if err != nil {
		t.Fatalf("printing: %v", err)
	}
	pdf := string(res.Data)
	if !strings.HasPrefix(pdf, "%PDF-") || !a4Landscape.MatchString(pdf) {
		t.Errorf("printed page is not A4 landscape (%d bytes)", len(pdf))
	}
}

// checkQuiet: no console errors, no dialogs, no request but the page.
func checkQuiet(t *testing.T, o *observed, url string) {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.errors) > 0 {
		t.Errorf("console errors: %q", o.errors)
	}
	if len(o.dialogs) > 0 {
		t.Errorf("dialogs opened: %q", o.dialogs)
	}
	for _, r := range o.requests {
		if r != url && !strings.HasPrefix(r, "data:") {
			t.Errorf("a request beyond the page itself: %s", r)
		}
	}
	if len(o.requests) == 0 {
		t.Error("no request recorded at all: the network listener saw nothing")
	}
}

// shot takes a full-page screenshot, checks its width, and with -update
// saves it into docs/.
func shot(t *testing.T, ctx context.Context, width, height int, name string, save bool) {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(buf))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < width || b.Dy() < height/2 {
		t.Errorf("%s: %dx%d, want at least %d wide", name, b.Dx(), b.Dy(), width)
	}
	if *update && save {
		if err := os.WriteFile(filepath.Join("..", "..", "..", "docs", name), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// startServe runs `forewarn serve` on the demo and returns its base URL
// once the first run's page is there.
func startServe(t *testing.T, cfg string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	fixed, _ := time.Parse(time.RFC3339, now)
	a, err := app.Load(ctx, app.Options{ConfigPath: cfg, Log: zerolog.Nop(), Now: func() time.Time { return fixed }})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- serve.Serve(ctx, a, serve.Options{Listener: ln, Rand: func() float64 { return 0 }}, nil, zerolog.Nop())
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	base := "http://" + ln.Addr().String()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("serve did not publish the page within 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
