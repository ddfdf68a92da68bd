package store_test

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forewarn/forewarn/connectors"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/store"
	"github.com/forewarn/forewarn/internal/tracker"
)

// backend is one isolated database for one contract test.
type backend struct {
	// persistent is false for driver none: nothing survives Close.
	persistent bool
	// cfg and env open the store; open calls store.Open with them.
	cfg store.Config
	env map[string]string
	// raw opens the database directly, for inspection (nil for none).
	raw func(t *testing.T) *sql.DB
	// created reports whether the state exists on disk or in the server
	// (nil for none).
	created func(t *testing.T) bool
}

// table is the name of table t in the backend's namespace.
func (b backend) table(t string) string { return store.Table(b.cfg.Namespace, t) }

// inNamespace is the backend with its store in namespace ns.
func (b backend) inNamespace(ns string) backend {
	b.cfg.Namespace = ns
	return b
}

func (b backend) open(t *testing.T) store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), b.cfg, func(k string) string { return b.env[k] })
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// runContract is the one contract suite every backend must pass. newBackend
// returns a fresh, empty database each time it is called.
func runContract(t *testing.T, newBackend func(t *testing.T) backend) {
	cases := []struct {
		name string
		fn   func(t *testing.T, b backend)
	}{
		{"rule state", testRuleState},
		{"ledger", testLedger},
		{"ledger: many entries in one write", testLedgerPutAll},
		{"forecasts", testForecasts},
		{"forecasts: many milestones in one read and one write", testForecastBatches},
		{"due dates seen: each date once, oldest first, many milestones in one read", testDueDates},
		{"the unread snapshots table is dropped (version 5)", testSnapshotsDropped},
		{"run log", testRunLog},
		{"http cache", testCache},
		{"http cache: large bodies kept compressed, older rows read as stored", testCacheCompressed},
		{"http cache: a batch stored at once", testCacheBatch},
		{"sync state", testSyncState},
		{"version 3's sync state moves out of the http cache", testSyncStateMigration},
		{"lock: second run times out with ErrLocked", testLockTimeout},
		{"lock: second run waits, then gets it", testLockWaits},
		{"lock: cancelled wait", testLockCancel},
		{"concurrent writers", testConcurrentWrites},
		{"concurrent readers and writers of one store, then Close", testConcurrentUse},
		{"a corrupt ledger reference or forecast record is an error", testCorruptRows},
		{"persistence across Close and Open", testPersistence},
		{"migrations applied twice are a no-op", testMigrationsTwice},
		{"a version-1 ledger's created records become complete", testLedgerStateMigration},
		{"concurrent first opens migrate once", testConcurrentOpen},
		{"read-only open for a plan", testReadOnly},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, newBackend(t)) })
	}
}

var ctx = context.Background()

// day0 has nanoseconds on purpose: the stores must keep full precision.
var day0 = time.Date(2026, 3, 2, 9, 30, 15, 123456789, time.UTC)

func testRuleState(t *testing.T, b backend) {
	s := b.open(t)
	got, err := s.RuleState(ctx)
	if err != nil || len(got) != 0 {
		t.Fatalf("empty store: RuleState = %q, %v; want empty, nil", got, err)
	}
	for _, blob := range [][]byte{[]byte(`{"pending":{"fw-1":"2026-03-01T00:00:00Z"}}`), []byte("second\x00binary\xff")} {
		if err := s.SaveRuleState(ctx, blob); err != nil {
			t.Fatalf("SaveRuleState: %v", err)
		}
		got, err := s.RuleState(ctx)
		if err != nil || string(got) != string(blob) {
			t.Fatalf("RuleState = %q, %v; want %q", got, err, blob)
		}
	}
}

func ledgerEntry(fp string) tracker.LedgerEntry {
	return tracker.LedgerEntry{
		Fingerprint: fp, MilestoneKey: "github:acme/web#12", Purpose: model.PurposeClientNotice,
		Target: "github", State: tracker.LedgerPending, FirstFired: day0,
	}
}

func testLedger(t *testing.T, b backend) {
	s := b.open(t)
	if _, ok, err := s.LedgerGet(ctx, "fw-missing"); ok || err != nil {
		t.Fatalf("missing entry: ok=%v err=%v; want false, nil", ok, err)
	}
	pending := ledgerEntry("fw-0001")
	if err := s.LedgerPut(ctx, pending); err != nil {
		t.Fatalf("LedgerPut pending: %v", err)
	}
	got, ok, err := s.LedgerGet(ctx, "fw-0001")
	if err != nil || !ok || !reflect.DeepEqual(got, pending) {
		t.Fatalf("LedgerGet after pending = %+v, %v, %v; want %+v", got, ok, err, pending)
	}
	created := pending
	created.State = tracker.LedgerComplete
	created.Ref = model.TicketRef{Fingerprint: "fw-0001", Target: "github", ID: "acme/web#40",
		URL: "https://github.example/acme/web/issues/40", Open: true, Digest: "abc123"}
	created.Digest, created.Created, created.Updated = "abc123", day0.Add(time.Minute), day0.Add(2*time.Minute)
	if err := s.LedgerPut(ctx, created); err != nil {
		t.Fatalf("LedgerPut created (upsert): %v", err)
	}
	got, ok, err = s.LedgerGet(ctx, "fw-0001")
	if err != nil || !ok || !reflect.DeepEqual(got, created) {
		t.Fatalf("LedgerGet after upsert =\n %+v, %v, %v\nwant\n %+v", got, ok, err, created)
	}
	closed := created
	closed.Ref.Open, closed.Ref.ClosedAt, closed.Ref.WontDo = false, day0.Add(time.Hour), true
	if err := s.LedgerPut(ctx, closed); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.LedgerGet(ctx, "fw-0001"); !reflect.DeepEqual(got, closed) {
		t.Fatalf("closed ref did not round-trip: %+v", got.Ref)
	}
	other := ledgerEntry("fw-0002")
	if err := s.LedgerPut(ctx, other); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.LedgerGet(ctx, "fw-0001"); got.State != tracker.LedgerComplete {
		t.Fatalf("writing fw-0002 changed fw-0001: %+v", got)
	}
	if err := s.LedgerPut(ctx, tracker.LedgerEntry{State: tracker.LedgerPending}); err == nil {
		t.Fatal("LedgerPut without a fingerprint succeeded; want an error")
	}
}

func testLedgerPutAll(t *testing.T, b backend) {
	s := b.open(t)
	old := ledgerEntry("fw-0001")
	if err := s.LedgerPut(ctx, old); err != nil {
		t.Fatal(err)
	}
	var batch []tracker.LedgerEntry
	for _, fp := range []string{"fw-0001", "fw-0002", "fw-0003"} {
		e := ledgerEntry(fp)
		e.FirstFired = day0.Add(time.Hour)
		batch = append(batch, e)
	}
	if err := s.LedgerPutAll(ctx, batch); err != nil {
		t.Fatalf("LedgerPutAll: %v", err)
	}
	for _, want := range batch {
		if got, ok, err := s.LedgerGet(ctx, want.Fingerprint); err != nil || !ok || !reflect.DeepEqual(got, want) {
			t.Fatalf("LedgerGet(%s) = %+v, %v, %v; want %+v", want.Fingerprint, got, ok, err, want)
		}
	}
	// All or none: a batch with a bad entry records nothing.
	bad := []tracker.LedgerEntry{ledgerEntry("fw-0004"), {State: tracker.LedgerPending}}
	if err := s.LedgerPutAll(ctx, bad); err == nil {
		t.Fatal("LedgerPutAll with an entry without a fingerprint succeeded; want an error")
	}
	if _, ok, err := s.LedgerGet(ctx, "fw-0004"); ok || err != nil {
		t.Fatalf("a failed batch recorded fw-0004 (%v, %v)", ok, err)
	}
	if err := s.LedgerPutAll(ctx, nil); err != nil {
		t.Fatalf("an empty batch: %v", err)
	}
}

func testForecasts(t *testing.T, b backend) {
	s := b.open(t)
	key := "jira:ACME/1.4"
	if got, err := s.Forecasts(ctx, key); err != nil || len(got) != 0 {
		t.Fatalf("empty: %v, %v", got, err)
	}
	rec := func(d int, p float64) model.ForecastRecord {
		at := day0.AddDate(0, 0, d)
		return model.ForecastRecord{AsOf: at, Status: model.ForecastOK, P50: dayOf(at.AddDate(0, 0, 10)),
			P85: dayOf(at.AddDate(0, 0, 14)), P95: dayOf(at.AddDate(0, 0, 20)), ProbOnTime: p, Scope: 40, Remaining: 40 - d}
	}
	// Appended out of order: read back in AsOf order.
	for _, r := range []model.ForecastRecord{rec(2, 0.5), rec(0, 0.9), rec(1, 0.7)} {
		if err := s.AppendForecast(ctx, key, r); err != nil {
			t.Fatalf("AppendForecast: %v", err)
		}
	}
	if err := s.AppendForecast(ctx, "other", rec(5, 0.1)); err != nil {
		t.Fatal(err)
	}
	// The same AsOf again replaces, it does not duplicate.
	again := rec(1, 0.65)
	if err := s.AppendForecast(ctx, key, again); err != nil {
		t.Fatal(err)
	}
	got, err := s.Forecasts(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	want := []model.ForecastRecord{rec(0, 0.9), again, rec(2, 0.5)}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Forecasts =\n %+v\nwant\n %+v", got, want)
	}
	// ForecastAt: the latest record at or before a moment, none before the first.
	for _, c := range []struct {
		name string
		at   time.Time
		want model.ForecastRecord
		ok   bool
	}{
		{"before the first", day0.Add(-time.Nanosecond), model.ForecastRecord{}, false},
		{"exactly the first", day0, rec(0, 0.9), true},
		{"between two", day0.AddDate(0, 0, 1).Add(-time.Hour), rec(0, 0.9), true},
		{"the replaced one", day0.AddDate(0, 0, 1).Add(time.Hour), again, true},
		{"after the last", day0.AddDate(1, 0, 0), rec(2, 0.5), true},
	} {
		r, ok, err := s.ForecastAt(ctx, key, c.at)
		if err != nil || ok != c.ok || !reflect.DeepEqual(r, c.want) {
			t.Errorf("ForecastAt(%s) = %+v, %v, %v; want %+v, %v", c.name, r, ok, err, c.want, c.ok)
		}
	}
	if _, ok, err := s.ForecastAt(ctx, "never-forecast", day0.AddDate(1, 0, 0)); ok || err != nil {
		t.Errorf("ForecastAt of an unknown milestone = %v, %v; want none", ok, err)
	}
}

func testDueDates(t *testing.T, b backend) {
	s := b.open(t)
	q := `v's key: 'quoted' "too"`
	if got, err := s.DuesSeen(ctx, []string{"a", q}); err != nil || len(got) != 0 {
		t.Fatalf("DuesSeen of an empty store = %v, %v", got, err)
	}
	due := func(d int) time.Time { return day0.AddDate(0, 0, d) }
	kd := func(key string, d int) tracker.KeyedDue { return tracker.KeyedDue{MilestoneKey: key, Due: due(d)} }
	must(t, s.NoteDues(ctx, day0, []tracker.KeyedDue{kd("a", 10), kd("b", 20), kd(q, 30)}))
	must(t, s.NoteDues(ctx, day0.AddDate(0, 0, 1), []tracker.KeyedDue{kd("a", 10), kd("b", 20), kd(q, 30)})) // unchanged: nothing new
	must(t, s.NoteDues(ctx, day0.AddDate(0, 0, 5), []tracker.KeyedDue{kd("a", 17), kd("b", 20), kd(q, 37)}))
	must(t, s.NoteDues(ctx, day0.AddDate(0, 0, 9), []tracker.KeyedDue{kd("a", 10), kd(q, 44)})) // a back to its first date: still first seen on day 0
	must(t, s.NoteDues(ctx, day0, nil))
	// More milestones than one query asks for, some twice, some unknown.
	keys := []string{q, "a", "never", "b", "a"}
	for i := range 1200 {
		keys = append(keys, fmt.Sprintf("unknown-%d", i))
	}
	got, err := s.DuesSeen(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	seen := func(d, at int) model.DueSeen { return model.DueSeen{Due: due(d), Seen: day0.AddDate(0, 0, at)} }
	want := map[string][]model.DueSeen{
		"a": {seen(10, 0), seen(17, 5)},
		"b": {seen(20, 0)},
		q:   {seen(30, 0), seen(37, 5), seen(44, 9)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("DuesSeen =\n %v\nwant\n %v", got, want)
	}
	if got, err := s.DuesSeen(ctx, nil); err != nil || len(got) != 0 {
		t.Fatalf("DuesSeen of no milestone = %v, %v", got, err)
	}
}

func testForecastBatches(t *testing.T, b backend) {
	s := b.open(t)
	rec := func(d int, remaining int) model.ForecastRecord {
		at := day0.AddDate(0, 0, d)
		return model.ForecastRecord{AsOf: at, Status: model.ForecastOK, P50: dayOf(at.AddDate(0, 0, 10)),
			P85: dayOf(at.AddDate(0, 0, 14)), P95: dayOf(at.AddDate(0, 0, 20)), ProbOnTime: 0.5, Scope: 40, Remaining: remaining}
	}
	if got, err := s.LatestForecastTimes(ctx, []string{"a", "b"}); err != nil || len(got) != 0 {
		t.Fatalf("LatestForecastTimes of an empty store = %v, %v", got, err)
	}
	must(t, s.AppendForecast(ctx, "a", rec(3, 30)))
	// Out of order, two milestones, and a's record of day 3 again: it
	// replaces the one recorded alone.
	kf := func(key string, r model.ForecastRecord) tracker.KeyedForecast {
		return tracker.KeyedForecast{MilestoneKey: key, Record: r}
	}
	batch := []tracker.KeyedForecast{kf("b", rec(2, 20)), kf("a", rec(1, 10)), kf("a", rec(3, 31)), kf("b", rec(0, 5)), kf(`c's key: 'quoted' "too"`, rec(4, 4))}
	must(t, s.AppendForecasts(ctx, batch))
	for key, want := range map[string][]model.ForecastRecord{
		"a":                         {rec(1, 10), rec(3, 31)},
		"b":                         {rec(0, 5), rec(2, 20)},
		"c's key: 'quoted' \"too\"": {rec(4, 4)},
	} {
		if got, err := s.Forecasts(ctx, key); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("Forecasts(%s) =\n %+v, %v\nwant\n %+v", key, got, err, want)
		}
	}
	must(t, s.AppendForecasts(ctx, nil))

	// The latest AsOf of each milestone asked for that has one, to the
	// nanosecond; more milestones than one query asks for.
	keys := []string{"never", "b", "a", "c's key: 'quoted' \"too\"", "a"}
	for i := range 1200 {
		keys = append(keys, fmt.Sprintf("unknown-%d", i))
	}
	keys = append(keys, "b")
	got, err := s.LatestForecastTimes(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Time{"a": day0.AddDate(0, 0, 3), "b": day0.AddDate(0, 0, 2), "c's key: 'quoted' \"too\"": day0.AddDate(0, 0, 4)}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("LatestForecastTimes = %v; want %v", got, want)
	}
	if got, err := s.LatestForecastTimes(ctx, nil); err != nil || len(got) != 0 {
		t.Fatalf("LatestForecastTimes of no milestone = %v, %v", got, err)
	}
}

func dayOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Version 5 drops the daily milestone snapshots, written every run and
// never read; a database migrated from version 4 loses the table and
// keeps everything else.
func testSnapshotsDropped(t *testing.T, b backend) {
	if b.raw == nil {
		t.Skip("driver none has no schema")
	}
	s := b.open(t)
	must(t, s.AppendForecast(ctx, "m", model.ForecastRecord{AsOf: day0, Status: model.ForecastOK, ProbOnTime: 0.4}))
	must(t, s.Close())
	db := b.raw(t)
	if _, err := db.Exec(`SELECT COUNT(*) FROM ` + b.table("snapshots")); err == nil {
		t.Fatal("a new database still has the snapshots table")
	}
	// Back to version 4, with a snapshot in its table.
	for _, q := range []string{
		`CREATE TABLE ` + b.table("snapshots") + ` (milestone_key TEXT NOT NULL, day_ns BIGINT NOT NULL, taken_ns BIGINT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (milestone_key, day_ns))`,
		`INSERT INTO ` + b.table("snapshots") + ` VALUES ('m', 1, 1, '{}')`,
		`DELETE FROM ` + b.table("schema_migrations") + ` WHERE version = 5`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	s2 := b.open(t)
	if _, err := db.Exec(`SELECT COUNT(*) FROM ` + b.table("snapshots")); err == nil {
		t.Fatal("migrating from version 4 left the snapshots table")
	}
	if fs, err := s2.Forecasts(ctx, "m"); err != nil || len(fs) != 1 {
		t.Fatalf("forecasts after the migration: %d, %v; want the 1 kept", len(fs), err)
	}
}

func testRunLog(t *testing.T, b backend) {
	s := b.open(t)
	if runs, err := s.Runs(ctx, 10); err != nil || len(runs) != 0 {
		t.Fatalf("empty run log: %v, %v", runs, err)
	}
	id1, err := s.StartRun(ctx, "run", "", day0)
	if err != nil {
		t.Fatalf("StartRun: %v", err)
	}
	// A second start while the first never finished: the first was abandoned.
	id2, err := s.StartRun(ctx, "plan", "", day0.Add(time.Hour))
	if err != nil || id2 == id1 {
		t.Fatalf("StartRun 2: id %d (first %d), %v", id2, id1, err)
	}
	res := store.RunResult{Ended: day0.Add(time.Hour + 90*time.Second), Outcome: store.OutcomePartial,
		Counts: map[string]int{"milestones": 4, "created": 1, "failed": 1}, Error: "jira: 1 milestone unreadable"}
	if err := s.FinishRun(ctx, id2, res); err != nil {
		t.Fatalf("FinishRun: %v", err)
	}
	id3, err := s.StartRun(ctx, "run", "", day0.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	runs, err := s.Runs(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Run{
		{ID: id3, Mode: "run", Started: day0.Add(2 * time.Hour), Outcome: store.OutcomeRunning},
		{ID: id2, Mode: "plan", Started: day0.Add(time.Hour), Ended: res.Ended, Outcome: store.OutcomePartial, Counts: res.Counts, Error: res.Error},
		{ID: id1, Mode: "run", Started: day0, Outcome: store.OutcomeAbandoned},
	}
	if !reflect.DeepEqual(runs, want) {
		t.Fatalf("Runs =\n %+v\nwant\n %+v", runs, want)
	}
	if runs, _ := s.Runs(ctx, 1); len(runs) != 1 || runs[0].ID != id3 {
		t.Fatalf("Runs(limit 1) = %+v; want only run %d", runs, id3)
	}
	if err := s.FinishRun(ctx, id3+100, res); err == nil {
		t.Fatal("finishing an unknown run succeeded")
	}
	if err := s.FinishRun(ctx, id3, store.RunResult{}); err == nil {
		t.Fatal("finishing a run without an outcome succeeded")
	}
}

func testCache(t *testing.T, b backend) {
	s := b.open(t)
	if _, ok := s.Get(ctx, "https://api.github.example/repos/acme/web/milestones"); ok {
		t.Fatal("empty cache hit")
	}
	e := connectors.CacheEntry{ETag: `W/"abc"`, LastModified: "Mon, 02 Mar 2026 09:00:00 GMT",
		Body: []byte(`[{"number":12}]`), Header: http.Header{"Link": {`<…?page=2>; rel="next"`}, "Content-Type": {"application/json"}}}
	s.Put(ctx, "k1", e)
	got, ok := s.Get(ctx, "k1")
	if !ok || !reflect.DeepEqual(got, e) {
		t.Fatalf("Get = %+v, %v; want %+v", got, ok, e)
	}
	e2 := connectors.CacheEntry{ETag: `"def"`, Body: []byte{}}
	s.Put(ctx, "k1", e2)
	if got, ok := s.Get(ctx, "k1"); !ok || !reflect.DeepEqual(got, e2) {
		t.Fatalf("after overwrite Get = %+v, %v; want %+v", got, ok, e2)
	}
	if _, ok := s.Get(ctx, "k2"); ok {
		t.Fatal("k2 hit")
	}
}

func testCacheBatch(t *testing.T, b backend) {
	s := b.open(t)
	s.Put(ctx, "old", connectors.CacheEntry{ETag: `"0"`, Body: []byte("before")})
	page := issuePage()
	batch := []connectors.KeyedEntry{
		{Key: "page-1", Entry: connectors.CacheEntry{ETag: `"p1"`, Body: page, Header: http.Header{"Link": {`<…?page=2>; rel="next"`}}}},
		{Key: "old", Entry: connectors.CacheEntry{ETag: `"1"`, Body: []byte("after")}},
		{Key: "empty", Entry: connectors.CacheEntry{ETag: `"e"`, Body: []byte{}}},
		{Key: "old", Entry: connectors.CacheEntry{ETag: `"2"`, Body: []byte("last")}}, // the later one wins
	}
	s.PutAll(ctx, batch)
	for key, want := range map[string]connectors.CacheEntry{"page-1": batch[0].Entry, "old": batch[3].Entry, "empty": batch[2].Entry} {
		if got, ok := s.Get(ctx, key); !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("%s after PutAll: ok %v, ETag %q, %d bytes; want ETag %q, %d bytes", key, ok, got.ETag, len(got.Body), want.ETag, len(want.Body))
		}
	}
	// One entry, or none, is a Put, or nothing.
	s.PutAll(ctx, []connectors.KeyedEntry{{Key: "one", Entry: connectors.CacheEntry{ETag: `"1"`, Body: []byte("x")}}})
	s.PutAll(ctx, nil)
	if got, ok := s.Get(ctx, "one"); !ok || string(got.Body) != "x" {
		t.Errorf("a batch of one: %q, %v", got.Body, ok)
	}
}

// issuePage is a page of 100 issues shaped like GitHub's (34 KB; the
// large scale scenario's pages average 57 KB, GitHub's own are larger).
func issuePage() []byte {
	var b strings.Builder
	b.WriteByte('[')
	for i := range 100 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"number":%d,"state":"open","title":"Issue %d of the checkout redesign","labels":[{"name":"size:%d"}],`+
			`"created_at":"2026-02-%02dT10:30:00Z","closed_at":null,"html_url":"https://github.example/acme/web/issues/%d",`+
			`"user":{"login":"dev%d","id":%d,"type":"User","site_admin":false},"milestone":{"number":3,"title":"Checkout redesign"}}`,
			1000000+i*7919, i+1, i+1, i%5+1, i%28+1, i+1, i%9, 5000+i%9)
	}
	b.WriteByte(']')
	return []byte(b.String())
}

func testCacheCompressed(t *testing.T, b backend) {
	s := b.open(t)
	page := issuePage()
	e := connectors.CacheEntry{ETag: `"p1"`, Body: page, Header: http.Header{"Content-Type": {"application/json"}}}
	s.Put(ctx, "page-1", e)
	if got, ok := s.Get(ctx, "page-1"); !ok || !reflect.DeepEqual(got, e) {
		t.Fatalf("page round trip: ok %v, body %d bytes (want %d), equal %v", ok, len(got.Body), len(page), string(got.Body) == string(page))
	}
	// Bodies that do not shrink, or are small, round-trip too.
	noise := make([]byte, 4096)
	for i := range noise {
		noise[i] = byte(i*7919>>3) ^ byte(i*31)
	}
	for key, body := range map[string][]byte{"noise": noise, "small": []byte(`[{"number":1}]`), "empty": {}} {
		s.Put(ctx, key, connectors.CacheEntry{ETag: `"` + key + `"`, Body: body})
		if got, ok := s.Get(ctx, key); !ok || string(got.Body) != string(body) || got.Body == nil {
			t.Fatalf("%s: Get = %q, %v; want %q", key, got.Body, ok, body)
		}
	}
	if b.raw == nil {
		return
	}
	db := b.raw(t)
	ph := func(q string) string { // the raw driver's placeholders
		if b.cfg.Driver == "postgres" {
			for i := 1; strings.Contains(q, "?"); i++ {
				q = strings.Replace(q, "?", fmt.Sprintf("$%d", i), 1)
			}
		}
		return q
	}
	var stored int
	var codec string
	if err := db.QueryRow(ph(`SELECT LENGTH(body), codec FROM `+b.table("http_cache")+` WHERE key = ?`), "page-1").Scan(&stored, &codec); err != nil {
		t.Fatal(err)
	}
	if codec != "s2" || stored*4 > len(page) {
		t.Fatalf("a %d-byte page is stored in %d bytes, codec %q; want s2, under a quarter", len(page), stored, codec)
	}
	// A row written before bodies were compressed (codec '') reads as stored.
	if _, err := db.Exec(ph(`INSERT INTO `+b.table("http_cache")+` (key, etag, last_modified, header, body, stored_ns) VALUES (?, ?, '', NULL, ?, 0)`),
		"old", `"old"`, page); err != nil {
		t.Fatal(err)
	}
	if got, ok := s.Get(ctx, "old"); !ok || string(got.Body) != string(page) || got.ETag != `"old"` {
		t.Fatalf("a row of version 5: ok %v, %d bytes; want the %d stored", ok, len(got.Body), len(page))
	}
	// A body its codec cannot read is a miss, never garbage.
	if _, err := db.Exec(ph(`UPDATE `+b.table("http_cache")+` SET body = ? WHERE key = ?`), []byte("not s2 at all"), "page-1"); err != nil {
		t.Fatal(err)
	}
	if got, ok := s.Get(ctx, "page-1"); ok {
		t.Fatalf("a corrupt compressed body read as a hit: %q", got.Body)
	}
	// One whose header claims a gigabyte is a miss without allocating it.
	if _, err := db.Exec(ph(`UPDATE `+b.table("http_cache")+` SET body = ? WHERE key = ?`), binary.AppendUvarint(nil, 1<<30), "page-1"); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, ok := s.Get(ctx, "page-1")
	runtime.ReadMemStats(&after)
	if ok {
		t.Fatal("a body claiming a gigabyte read as a hit")
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Fatalf("reading a body that claims a gigabyte allocated %d bytes", grew)
	}
}

func testSyncState(t *testing.T, b backend) {
	s := b.open(t)
	if v, ok, err := s.SyncState(ctx, "source:acme-gh", "cursor"); ok || err != nil || v != nil {
		t.Fatalf("empty store: SyncState = %q, %v, %v; want nil, false, nil", v, ok, err)
	}
	must(t, s.SaveSyncState(ctx, "source:acme-gh", "cursor", []byte("acme/web#3")))
	must(t, s.SaveSyncState(ctx, "source:other", "cursor", []byte("acme/api#1")))
	must(t, s.SaveSyncState(ctx, "source:acme-gh", "joined:v1", []byte("bin\x00\xff")))
	must(t, s.SaveSyncState(ctx, "target", "nolabel:acme/web", nil))
	// The cache is a different thing: an entry under the same name is not state.
	s.Put(ctx, "cursor", connectors.CacheEntry{ETag: `"1"`, Body: []byte("cached")})
	for _, c := range []struct{ ns, key, want string }{
		{"source:acme-gh", "cursor", "acme/web#3"},
		{"source:other", "cursor", "acme/api#1"},
		{"source:acme-gh", "joined:v1", "bin\x00\xff"},
		{"target", "nolabel:acme/web", ""},
	} {
		v, ok, err := s.SyncState(ctx, c.ns, c.key)
		if !ok || err != nil || string(v) != c.want || v == nil {
			t.Errorf("SyncState(%s, %s) = %q, %v, %v; want %q", c.ns, c.key, v, ok, err, c.want)
		}
	}
	must(t, s.SaveSyncState(ctx, "source:acme-gh", "cursor", []byte("")))
	if v, ok, err := s.SyncState(ctx, "source:acme-gh", "cursor"); !ok || err != nil || len(v) != 0 {
		t.Fatalf("after overwrite: %q, %v, %v; want empty, true, nil", v, ok, err)
	}
	if _, ok, _ := s.SyncState(ctx, "", "cursor"); ok {
		t.Fatal("the cache entry named cursor reads as sync state")
	}
	// A store that cannot answer says so; it never reads as "nothing saved".
	must(t, s.Close())
	if _, _, err := s.SyncState(ctx, "source:other", "cursor"); err == nil {
		t.Fatal("SyncState on a closed store returned no error")
	}
	if err := s.SaveSyncState(ctx, "source:other", "cursor", []byte("x")); err == nil {
		t.Fatal("SaveSyncState on a closed store returned no error")
	}
	r := b.open(t)
	v, ok, err := r.SyncState(ctx, "source:other", "cursor")
	must(t, err)
	if b.persistent != ok || (ok && string(v) != "acme/api#1") {
		t.Fatalf("after Close and Open: %q, %v; want kept=%v", v, ok, b.persistent)
	}
}

// Version 3 kept the connectors' sync state in the HTTP cache; version 4
// moves it to sync_state, so an upgrade keeps every cursor, snapshot and
// mark, and leaves the cached responses where they are.
func testSyncStateMigration(t *testing.T, b backend) {
	if b.raw == nil {
		t.Skip("driver none has no schema")
	}
	must(t, b.open(t).Close())
	db := b.raw(t)
	legacy := map[string]string{
		"github:cursor:acme-gh":                               "acme/web#3",
		"shard 1/3|github:cursor:agency":                      "acme/api#9",
		"github:joined:v1:acme-gh":                            `{"acme/web@1#5":{"u":"2026-03-01T00:00:00Z"}}`,
		"jira:snapshot:v1:127.0.0.1:8080/jira:acme-jira":      `{"synced":"2026-03-01T00:00:00Z","items":{}}`,
		"shard 2/3|jira:snapshot:v1:acme.atlassian.net:board": `{"items":{}}`,
		"github:nolabel:acme/web":                             "2026-03-01T00:00:00Z",
		"github:https://api.github.com/repos/acme/web":        "a cached response",
	}
	for _, q := range []string{
		`DROP TABLE ` + b.table("sync_state"),
		`DELETE FROM ` + b.table("schema_migrations") + ` WHERE version = 4`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range legacy {
		if _, err := db.Exec(rebind(b, `INSERT INTO `+b.table("http_cache")+` (key, etag, last_modified, body, stored_ns) VALUES (?, '', '', ?, 1)`), k, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	s := b.open(t)
	for _, c := range []struct{ ns, key, old string }{
		{"source:acme-gh", "cursor", "github:cursor:acme-gh"},
		{"shard 1/3|source:agency", "cursor", "shard 1/3|github:cursor:agency"},
		{"source:acme-gh", "joined:v1", "github:joined:v1:acme-gh"},
		{"source:acme-jira", "snapshot:v1:127.0.0.1:8080/jira", "jira:snapshot:v1:127.0.0.1:8080/jira:acme-jira"},
		{"shard 2/3|source:board", "snapshot:v1:acme.atlassian.net", "shard 2/3|jira:snapshot:v1:acme.atlassian.net:board"},
		{"target", "nolabel:acme/web", "github:nolabel:acme/web"},
	} {
		v, ok, err := s.SyncState(ctx, c.ns, c.key)
		if !ok || err != nil || string(v) != legacy[c.old] {
			t.Errorf("SyncState(%s, %s) after migrating = %q, %v, %v; want %q", c.ns, c.key, v, ok, err, legacy[c.old])
		}
		if _, cached := s.Get(ctx, c.old); cached {
			t.Errorf("%s is still in the HTTP cache", c.old)
		}
	}
	if e, ok := s.Get(ctx, "github:https://api.github.com/repos/acme/web"); !ok || string(e.Body) != "a cached response" {
		t.Errorf("the cached response was not left in place: %q, %v", e.Body, ok)
	}
}

// rebind turns ? placeholders into $n for PostgreSQL.
func rebind(b backend, q string) string {
	if b.cfg.Driver != "postgres" {
		return q
	}
	var out strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&out, "$%d", n)
			continue
		}
		out.WriteRune(r)
	}
	return out.String()
}

// otherRun is a second run contending for the lock: a second handle on the
// same state (for driver none, a second store in the same process).
func otherRun(t *testing.T, b backend) store.Store { return b.open(t) }

func testLockTimeout(t *testing.T, b backend) {
	s1, s2 := b.open(t), otherRun(t, b)
	unlock, err := lock(s1, ctx, 0)
	if err != nil {
		t.Fatalf("first Lock: %v", err)
	}
	defer unlock()
	const wait = 300 * time.Millisecond
	start := time.Now()
	u2, err := lock(s2, ctx, wait)
	took := time.Since(start)
	if err == nil {
		u2()
		t.Fatal("second run got the lock while the first held it")
	}
	var le *store.LockedError
	if !errors.Is(err, store.ErrLocked) || !errors.As(err, &le) {
		t.Fatalf("second Lock error = %v (%T); want ErrLocked / *LockedError", err, err)
	}
	if took < wait || le.Waited < wait {
		t.Fatalf("gave up after %v (reported %v); want at least %v", took, le.Waited, wait)
	}
	if !strings.Contains(err.Error(), "another forewarn run holds the lock") || !strings.Contains(err.Error(), "lock_wait") {
		t.Fatalf("message is not clear: %q", err)
	}
	// Zero wait: one try, immediate answer.
	if _, err := lock(s2, ctx, 0); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("Lock(0) while held = %v; want ErrLocked", err)
	}
	if err := unlock(); err != nil {
		t.Fatalf("unlock: %v", err)
	}
	if err := unlock(); err != nil {
		t.Fatalf("second unlock: %v", err)
	}
	u2, err = lock(s2, ctx, 0)
	if err != nil {
		t.Fatalf("Lock after release: %v", err)
	}
	u2()
}

func testLockWaits(t *testing.T, b backend) {
	s1, s2 := b.open(t), otherRun(t, b)
	unlock, err := lock(s1, ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		at  time.Time
		err error
	}
	got := make(chan result, 1)
	go func() {
		u, err := lock(s2, ctx, 20*time.Second)
		r := result{time.Now(), err}
		if err == nil {
			// Released before the answer is sent: released after it, the
			// next case could find the lock still held and fail at once
			// (it did, under load).
			u()
		}
		got <- r
	}()
	time.Sleep(300 * time.Millisecond)
	select {
	case r := <-got:
		t.Fatalf("waiter returned while the lock was held: %v", r.err)
	default:
	}
	released := time.Now()
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	r := <-got
	if r.err != nil {
		t.Fatalf("waiter: %v", r.err)
	}
	if r.at.Before(released) {
		t.Fatal("waiter got the lock before it was released")
	}
	if d := r.at.Sub(released); d > 5*time.Second {
		t.Fatalf("waiter took %v after the release", d)
	}
}

func testLockCancel(t *testing.T, b backend) {
	s1, s2 := b.open(t), otherRun(t, b)
	unlock, err := lock(s1, ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	c, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, err = lock(s2, c, time.Minute)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, store.ErrLocked) {
		t.Fatalf("cancelled wait = %v; want the context's error, not ErrLocked", err)
	}
}

func testConcurrentWrites(t *testing.T, b backend) {
	s1, s2 := b.open(t), b.open(t)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		s := s1
		if g%2 == 1 {
			s = s2
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				fp := fmt.Sprintf("fw-%d-%d", g, i)
				if err := s.LedgerPut(ctx, ledgerEntry(fp)); err != nil {
					errs <- err
					return
				}
				s.Put(ctx, fp, connectors.CacheEntry{ETag: fp, Body: []byte(fp)})
				if err := s.AppendForecast(ctx, "m", model.ForecastRecord{AsOf: day0.Add(time.Duration(g*100+i) * time.Second)}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent write: %v", err)
	}
	// Stores are separate for driver none; check each writer's own view.
	for g := 0; g < 8; g++ {
		s := s1
		if g%2 == 1 {
			s = s2
		}
		for i := 0; i < 10; i++ {
			fp := fmt.Sprintf("fw-%d-%d", g, i)
			if _, ok, err := s.LedgerGet(ctx, fp); !ok || err != nil {
				t.Fatalf("%s lost: %v", fp, err)
			}
			if e, ok := s.Get(ctx, fp); !ok || e.ETag != fp {
				t.Fatalf("cache %s lost", fp)
			}
		}
	}
	if b.persistent {
		if fs, _ := s1.Forecasts(ctx, "m"); len(fs) != 80 {
			t.Fatalf("forecasts: %d, want 80", len(fs))
		}
	}
}

// testConcurrentUse has goroutines share one store's reads and writes
// (the statements prepared once and reused by all of them), each checking
// what it reads back, then closes the store under them: every call after
// Close fails or misses, none hangs or panics.
func testConcurrentUse(t *testing.T, b backend) {
	s := b.open(t)
	page := issuePage()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Go(func() {
			for i := range 25 {
				fp := fmt.Sprintf("fw-%d-%d", g, i)
				key := fmt.Sprintf("m-%d", g)
				e := ledgerEntry(fp)
				if err := s.LedgerPut(ctx, e); err != nil {
					errs <- err
					return
				}
				if got, ok, err := s.LedgerGet(ctx, fp); err != nil || !ok || got.Fingerprint != fp || got.MilestoneKey != e.MilestoneKey {
					errs <- fmt.Errorf("LedgerGet(%s) = %+v, %v, %v", fp, got, ok, err)
					return
				}
				s.Put(ctx, fp, connectors.CacheEntry{ETag: fp, Body: page})
				if got, ok := s.Get(ctx, fp); !ok || got.ETag != fp || string(got.Body) != string(page) {
					errs <- fmt.Errorf("Get(%s): ok %v, etag %q, %d bytes", fp, ok, got.ETag, len(got.Body))
					return
				}
				if err := s.AppendForecast(ctx, key, model.ForecastRecord{AsOf: day0.Add(time.Duration(i) * time.Hour), Status: model.ForecastOK}); err != nil {
					errs <- err
					return
				}
				if b.persistent {
					if fs, err := s.Forecasts(ctx, key); err != nil || len(fs) != i+1 {
						errs <- fmt.Errorf("Forecasts(%s) = %d records, %v; want %d", key, len(fs), err, i+1)
						return
					}
				}
				if err := s.SaveSyncState(ctx, "source:"+key, "cursor", []byte(fp)); err != nil {
					errs <- err
					return
				}
				if v, ok, err := s.SyncState(ctx, "source:"+key, "cursor"); err != nil || !ok || string(v) != fp {
					errs <- fmt.Errorf("SyncState = %q, %v, %v; want %q", v, ok, err, fp)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	// Close while callers keep going.
	stop := make(chan struct{})
	var callers sync.WaitGroup
	for g := range 4 {
		callers.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				s.LedgerGet(ctx, fmt.Sprintf("fw-%d-%d", g, i%25))
				s.Get(ctx, fmt.Sprintf("fw-%d-%d", g, i%25))
				s.Forecasts(ctx, fmt.Sprintf("m-%d", g))
			}
		})
	}
	time.Sleep(20 * time.Millisecond)
	must(t, s.Close())
	close(stop)
	callers.Wait()
	if !b.persistent {
		return
	}
	if _, _, err := s.LedgerGet(ctx, "fw-0-0"); err == nil {
		t.Error("LedgerGet on a closed store returned no error")
	}
	if _, err := s.Forecasts(ctx, "m-0"); err == nil {
		t.Error("Forecasts on a closed store returned no error")
	}
	if err := s.LedgerPut(ctx, ledgerEntry("fw-late")); err == nil {
		t.Error("LedgerPut on a closed store returned no error")
	}
	if _, ok := s.Get(ctx, "fw-0-0"); ok {
		t.Error("Get on a closed store hit")
	}
	r := b.open(t)
	if got, ok, err := r.LedgerGet(ctx, "fw-7-24"); err != nil || !ok || got.Fingerprint != "fw-7-24" {
		t.Fatalf("after reopening: LedgerGet = %+v, %v, %v", got, ok, err)
	}
}

func testCorruptRows(t *testing.T, b backend) {
	if b.raw == nil {
		return
	}
	s := b.open(t)
	e := ledgerEntry("fw-corrupt")
	e.State, e.Ref = tracker.LedgerComplete, model.TicketRef{Fingerprint: "fw-corrupt", Target: "jira", ID: "ACME-9", Open: true}
	must(t, s.LedgerPut(ctx, e))
	must(t, s.AppendForecast(ctx, "m", model.ForecastRecord{AsOf: day0, Status: model.ForecastOK}))
	if got, ok, err := s.LedgerGet(ctx, "fw-corrupt"); err != nil || !ok || got.Ref != e.Ref {
		t.Fatalf("LedgerGet = %+v, %v, %v; want the reference %+v", got.Ref, ok, err, e.Ref)
	}
	db := b.raw(t)
	for _, q := range []string{
		`UPDATE ` + b.table("ledger") + ` SET ref = '{"id":"ACME-9","open":tru'`,
		`UPDATE ` + b.table("forecasts") + ` SET record = '{"as_of":"2026-03-0'`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.LedgerGet(ctx, "fw-corrupt"); err == nil || !strings.Contains(err.Error(), "corrupt ticket reference") {
		t.Errorf("LedgerGet of a corrupt reference: %v; want an error naming it", err)
	}
	if _, err := s.Forecasts(ctx, "m"); err == nil || !strings.Contains(err.Error(), "corrupt record") {
		t.Errorf("Forecasts with a corrupt record: %v; want an error naming it", err)
	}
	if _, _, err := s.ForecastAt(ctx, "m", day0); err == nil || !strings.Contains(err.Error(), "corrupt record") {
		t.Errorf("ForecastAt of a corrupt record: %v; want an error naming it", err)
	}
}

func testPersistence(t *testing.T, b backend) {
	s := b.open(t)
	entry := ledgerEntry("fw-persist")
	entry.State = tracker.LedgerComplete
	entry.Ref = model.TicketRef{Fingerprint: "fw-persist", Target: "jira", ID: "ACME-7", Open: true}
	must(t, s.SaveRuleState(ctx, []byte("rules-v1")))
	must(t, s.LedgerPut(ctx, entry))
	must(t, s.AppendForecast(ctx, "m", model.ForecastRecord{AsOf: day0, Status: model.ForecastOK, ProbOnTime: 0.4}))
	s.Put(ctx, "etag-key", connectors.CacheEntry{ETag: `"1"`, Body: []byte("body")})
	must(t, s.SaveSyncState(ctx, "source:x", "cursor", []byte("c")))
	id, err := s.StartRun(ctx, "run", "", day0)
	must(t, err)
	must(t, s.FinishRun(ctx, id, store.RunResult{Ended: day0.Add(time.Second), Outcome: store.OutcomeOK}))
	must(t, s.Close())
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	r := b.open(t)
	blob, err := r.RuleState(ctx)
	must(t, err)
	ledger, ok, err := r.LedgerGet(ctx, "fw-persist")
	must(t, err)
	fcs, err := r.Forecasts(ctx, "m")
	must(t, err)
	_, cached := r.Get(ctx, "etag-key")
	st, kept, err := r.SyncState(ctx, "source:x", "cursor")
	must(t, err)
	runs, err := r.Runs(ctx, 5)
	must(t, err)

	if !b.persistent {
		if len(blob) != 0 || ok || len(fcs) != 0 || cached || kept || len(runs) != 0 {
			t.Fatal("driver none kept state across Close and Open")
		}
		return
	}
	if string(blob) != "rules-v1" || !ok || !reflect.DeepEqual(ledger, entry) || len(fcs) != 1 || fcs[0].ProbOnTime != 0.4 ||
		!cached || string(st) != "c" || len(runs) != 1 || runs[0].Outcome != store.OutcomeOK {
		t.Fatalf("state lost across Close/Open: rules=%q ledger=%v/%+v forecasts=%d cached=%v sync=%q runs=%+v",
			blob, ok, ledger, len(fcs), cached, st, runs)
	}
}

// Version 1 called a ticket written in full "created"; version 2 calls it
// "complete" and keeps "created" for a ticket found but not yet completed.
// Reading a version-1 ledger as version 2 without the migration would
// rewrite every recorded ticket once (and overwrite reviewers' edits).
func testLedgerStateMigration(t *testing.T, b backend) {
	if b.raw == nil {
		t.Skip("driver none has no schema")
	}
	s := b.open(t)
	must(t, s.LedgerPut(ctx, ledgerEntry("fw-old")))
	pending := ledgerEntry("fw-pending")
	pending.State = tracker.LedgerPending
	must(t, s.LedgerPut(ctx, pending))
	must(t, s.Close())
	db := b.raw(t)
	// Back to what version 1 wrote.
	for _, q := range []string{
		`UPDATE ` + b.table("ledger") + ` SET state = 'created' WHERE fingerprint = 'fw-old'`,
		`DELETE FROM ` + b.table("schema_migrations") + ` WHERE version = 2`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	s2 := b.open(t)
	for fp, want := range map[string]tracker.LedgerState{"fw-old": tracker.LedgerComplete, "fw-pending": tracker.LedgerPending} {
		if e, ok, err := s2.LedgerGet(ctx, fp); err != nil || !ok || e.State != want {
			t.Errorf("%s after migrating: state %q, %v, %v; want %q", fp, e.State, ok, err, want)
		}
	}
}

func testMigrationsTwice(t *testing.T, b backend) {
	if b.raw == nil {
		t.Skip("driver none has no schema")
	}
	s := b.open(t)
	must(t, s.LedgerPut(ctx, ledgerEntry("fw-m")))
	must(t, s.Close())
	s2 := b.open(t) // migrates again: must change nothing
	if _, ok, err := s2.LedgerGet(ctx, "fw-m"); !ok || err != nil {
		t.Fatalf("data lost by the second migration: %v", err)
	}
	db := b.raw(t)
	var n, max int
	if err := db.QueryRow(`SELECT COUNT(*), MAX(version) FROM `+b.table("schema_migrations")).Scan(&n, &max); err != nil {
		t.Fatal(err)
	}
	if n != store.SchemaVersion() || max != store.SchemaVersion() {
		t.Fatalf("schema_migrations has %d rows up to %d; want %d", n, max, store.SchemaVersion())
	}
	// A database from a newer forewarn is refused, not damaged.
	if _, err := db.Exec(fmt.Sprintf(`INSERT INTO %s (version, name, applied_ns) VALUES (%d, 'future', 0)`, b.table("schema_migrations"), store.SchemaVersion()+1)); err != nil {
		t.Fatal(err)
	}
	must(t, s2.Close())
	_, err := store.Open(ctx, b.cfg, func(k string) string { return b.env[k] })
	if err == nil || !strings.Contains(err.Error(), "newer than this forewarn understands") {
		t.Fatalf("opening a newer schema: %v; want a clear refusal", err)
	}
}

func testConcurrentOpen(t *testing.T, b backend) {
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := store.Open(ctx, b.cfg, func(k string) string { return b.env[k] })
			if err == nil {
				err = s.SaveRuleState(ctx, []byte("x"))
				s.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("open %d: %v", i, err)
		}
	}
	if b.raw != nil {
		var n int
		if err := b.raw(t).QueryRow(`SELECT COUNT(*) FROM ` + b.table("schema_migrations")).Scan(&n); err != nil || n != store.SchemaVersion() {
			t.Fatalf("schema_migrations rows = %d, %v; want %d", n, err, store.SchemaVersion())
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func testReadOnly(t *testing.T, b backend) {
	getenv := func(k string) string { return b.env[k] }
	// No state yet: reads are empty and nothing is created.
	ro, err := store.OpenReadOnly(ctx, b.cfg, getenv)
	if err != nil {
		t.Fatalf("OpenReadOnly on no state: %v", err)
	}
	if blob, err := ro.RuleState(ctx); err != nil || len(blob) != 0 {
		t.Fatalf("RuleState = %q, %v", blob, err)
	}
	if _, ok, err := ro.LedgerGet(ctx, "fw-1"); ok || err != nil {
		t.Fatalf("LedgerGet = %v, %v", ok, err)
	}
	must(t, ro.Close())
	if b.created != nil && b.created(t) {
		t.Fatal("a read-only open created the state")
	}

	// With state: reads see it, writes are refused and change nothing.
	rw := b.open(t)
	must(t, rw.SaveRuleState(ctx, []byte("v1")))
	must(t, rw.LedgerPut(ctx, ledgerEntry("fw-1")))
	must(t, rw.AppendForecast(ctx, "m", model.ForecastRecord{AsOf: day0}))
	must(t, rw.NoteDues(ctx, day0, []tracker.KeyedDue{{MilestoneKey: "m", Due: day0}}))
	must(t, rw.NoteDues(ctx, day0.Add(time.Hour), []tracker.KeyedDue{{MilestoneKey: "m", Due: day0.AddDate(0, 0, 7)}}))
	rw.Put(ctx, "k", connectors.CacheEntry{ETag: `"1"`, Body: []byte("b")})
	must(t, rw.SaveSyncState(ctx, "source:x", "cursor", []byte("c1")))
	unlock, err := lock(rw, ctx, 0)
	must(t, err)
	defer unlock()

	ro, err = store.OpenReadOnly(ctx, b.cfg, getenv)
	if err != nil {
		t.Fatalf("OpenReadOnly: %v", err)
	}
	defer ro.Close()
	if b.persistent {
		blob, err := ro.RuleState(ctx)
		_, ok, err2 := ro.LedgerGet(ctx, "fw-1")
		fcs, err3 := ro.Forecasts(ctx, "m")
		if at, err := ro.LatestForecastTimes(ctx, []string{"m"}); err != nil || !at["m"].Equal(day0) {
			t.Fatalf("read-only LatestForecastTimes = %v, %v; want m at %v", at, err, day0)
		}
		if seen, err := ro.DuesSeen(ctx, []string{"m"}); err != nil || len(seen["m"]) != 2 {
			t.Fatalf("read-only DuesSeen = %v, %v; want m's two dates", seen, err)
		}
		_, cached := ro.Get(ctx, "k")
		st, _, err4 := ro.SyncState(ctx, "source:x", "cursor")
		if string(blob) != "v1" || !ok || len(fcs) != 1 || !cached || string(st) != "c1" || errors.Join(err, err2, err3, err4) != nil {
			t.Fatalf("read-only view: rules=%q ledger=%v forecasts=%d cached=%v sync=%q err=%v", blob, ok, len(fcs), cached, st, errors.Join(err, err2, err3, err4))
		}
	}
	writes := map[string]error{
		"SaveRuleState":   ro.SaveRuleState(ctx, []byte("v2")),
		"LedgerPut":       ro.LedgerPut(ctx, ledgerEntry("fw-2")),
		"AppendForecast":  ro.AppendForecast(ctx, "m", model.ForecastRecord{AsOf: day0.Add(time.Hour)}),
		"AppendForecasts": ro.AppendForecasts(ctx, []tracker.KeyedForecast{{MilestoneKey: "m", Record: model.ForecastRecord{AsOf: day0.Add(time.Hour)}}}),
		"FinishRun":       ro.FinishRun(ctx, 1, store.RunResult{Outcome: store.OutcomeOK}),
		"NoteDues":        ro.NoteDues(ctx, day0, []tracker.KeyedDue{{MilestoneKey: "n", Due: day0}}),
	}
	_, writes["StartRun"] = ro.StartRun(ctx, "plan", "", day0)
	for name, err := range writes {
		if !errors.Is(err, store.ErrReadOnly) {
			t.Errorf("%s on a read-only store = %v; want ErrReadOnly", name, err)
		}
	}
	ro.Put(ctx, "k", connectors.CacheEntry{ETag: `"2"`})
	if e, _ := rw.Get(ctx, "k"); e.ETag != `"1"` {
		t.Fatalf("a read-only Put changed the cache: %+v", e)
	}
	// A plan reads the connectors' state and leaves it as it was: the next
	// run resumes from the same place.
	if err := ro.SaveSyncState(ctx, "source:x", "cursor", []byte("c2")); err != nil {
		t.Errorf("SaveSyncState on a read-only store = %v; want nil (kept as it was)", err)
	}
	if st, _, _ := rw.SyncState(ctx, "source:x", "cursor"); string(st) != "c1" {
		t.Fatalf("a read-only SaveSyncState changed the state to %q", st)
	}
	if blob, _ := rw.RuleState(ctx); string(blob) != "v1" {
		t.Fatalf("rule state changed to %q", blob)
	}
	// A plan does not wait for the run that holds the lock.
	u, err := lock(ro, ctx, 0)
	if err != nil {
		t.Fatalf("read-only Lock while a run holds the lock: %v", err)
	}
	must(t, u())
}

// lock takes the whole installation's lock and returns its release.
func lock(s store.Store, c context.Context, wait time.Duration) (func() error, error) {
	l, err := s.Lock(c, wait)
	if err != nil {
		return nil, err
	}
	return l.Release, nil
}
