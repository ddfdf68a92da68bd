package store_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/forewarn/forewarn/connectors"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/store"
	"github.com/forewarn/forewarn/internal/tracker"
)

// Benchmarks of the calls a run makes per milestone and per HTTP request:
// go test -bench . -benchmem ./internal/store/
func benchStores(b *testing.B, fn func(b *testing.B, s store.Store)) {
	b.Run("sqlite", func(b *testing.B) {
		s, err := store.Open(ctx, store.Config{Path: b.TempDir() + "/state.db"}, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		fn(b, s)
	})
	if dsn := os.Getenv("FOREWARN_TEST_PG_DSN"); dsn != "" {
		b.Run("postgres", func(b *testing.B) {
			pb := pgBackend(b, dsn) // a fresh schema, dropped afterwards
			s, err := store.Open(ctx, pb.cfg, func(k string) string { return pb.env[k] })
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			fn(b, s)
		})
	}
	b.Run("none", func(b *testing.B) {
		s, _ := store.Open(ctx, store.Config{Driver: "none"}, nil)
		defer s.Close()
		fn(b, s)
	})
}

func BenchmarkLedgerPut(b *testing.B) {
	benchStores(b, func(b *testing.B, s store.Store) {
		e := ledgerEntry("fw-bench")
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			e.Fingerprint = fmt.Sprintf("fw-%d", i%1000)
			if err := s.LedgerPut(ctx, e); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkLedgerGet(b *testing.B) {
	benchStores(b, func(b *testing.B, s store.Store) {
		for i := 0; i < 1000; i++ {
			if err := s.LedgerPut(ctx, ledgerEntry(fmt.Sprintf("fw-%d", i))); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, ok, err := s.LedgerGet(ctx, fmt.Sprintf("fw-%d", i%1000)); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
}

func BenchmarkCacheGet(b *testing.B) {
	benchStores(b, func(b *testing.B, s store.Store) {
		body := issuePage() // 100 issues, 34 KB of JSON
		s.Put(ctx, "k", connectors.CacheEntry{ETag: `"x"`, Body: body})
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, ok := s.Get(ctx, "k"); !ok {
				b.Fatal("miss")
			}
		}
	})
}

func BenchmarkForecasts(b *testing.B) {
	benchStores(b, func(b *testing.B, s store.Store) {
		for d := 0; d < 365; d++ { // a year of daily forecasts
			if err := s.AppendForecast(ctx, "m", model.ForecastRecord{AsOf: day0.AddDate(0, 0, d), Status: model.ForecastOK, P85: day0}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		for b.Loop() {
			if fs, err := s.Forecasts(ctx, "m"); err != nil || len(fs) != 365 {
				b.Fatal(len(fs), err)
			}
		}
	})
}

// BenchmarkRememberForecasts is what a run does before drafting to record
// the day's forecast of each of the large scenario's 232 milestones, on a
// state holding a month of them: read each one's latest record and append
// today's, "one-by-one" (ForecastAt and AppendForecast for each) or
// "batched" (one LatestForecastTimes, one AppendForecasts).
func BenchmarkRememberForecasts(b *testing.B) {
	for _, batched := range []bool{false, true} {
		b.Run(map[bool]string{false: "one-by-one", true: "batched"}[batched], func(b *testing.B) {
			benchStores(b, func(b *testing.B, s store.Store) {
				keys := make([]string, 232)
				var month []tracker.KeyedForecast
				for i := range keys {
					keys[i] = fmt.Sprintf("jira:acme.example/WEB:version:%d", 10000+i)
					for d := range 30 {
						month = append(month, tracker.KeyedForecast{MilestoneKey: keys[i], Record: model.ForecastRecord{AsOf: day0.AddDate(0, 0, d), Status: model.ForecastOK, P85: day0}})
					}
				}
				if err := s.AppendForecasts(ctx, month); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for run := 0; b.Loop(); run++ {
					now := day0.AddDate(0, 0, 30+run)
					rec := model.ForecastRecord{AsOf: now, Status: model.ForecastOK, P85: day0, ProbOnTime: 0.4, Scope: 40, Remaining: 12}
					if !batched {
						for _, k := range keys {
							if last, ok, err := s.ForecastAt(ctx, k, now); err != nil || !ok || !last.AsOf.Before(now) {
								b.Fatal(ok, err)
							}
							if err := s.AppendForecast(ctx, k, rec); err != nil {
								b.Fatal(err)
							}
						}
						continue
					}
					latest, err := s.LatestForecastTimes(ctx, keys)
					if err != nil || len(latest) != len(keys) {
						b.Fatal(len(latest), err)
					}
					fs := make([]tracker.KeyedForecast, len(keys))
					for i, k := range keys {
						fs[i] = tracker.KeyedForecast{MilestoneKey: k, Record: rec}
					}
					if err := s.AppendForecasts(ctx, fs); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkRunWrites is the writes of a first sync of the large scenario
// (internal/e2e/scale) in the order a run makes them: an HTTP cache entry
// per page read (300 pages of 100 issues, 34 KB of JSON each), a forecast record per milestone (220),
// the create protocol's two ledger entries per ticket (215: pending, then
// complete once the ticket exists), then the rule state (runs wrote a
// snapshot per milestone too until migration 5). "pending-each" writes each pending entry on its own before
// its create, as runs did; "pending-batched" writes them all in one
// LedgerPutAll first, as the worker does with a store that can. On a disk
// that takes milliseconds to sync, syncs are the cost.
func BenchmarkRunWrites(b *testing.B) {
	for _, batched := range []bool{false, true} {
		b.Run(map[bool]string{false: "pending-each", true: "pending-batched"}[batched], func(b *testing.B) {
			benchStores(b, func(b *testing.B, s store.Store) { runWrites(b, s, batched) })
		})
	}
}

func runWrites(b *testing.B, s store.Store, batched bool) {
	body := issuePage()
	for run := 0; b.Loop(); run++ {
		now := day0.AddDate(0, 0, run)
		for i := range 300 {
			s.Put(ctx, fmt.Sprintf("page-%d", i), connectors.CacheEntry{ETag: fmt.Sprintf(`"%d-%d"`, run, i), Body: body})
		}
		for i := range 220 {
			if err := s.AppendForecast(ctx, fmt.Sprintf("m-%d", i), model.ForecastRecord{AsOf: now, Status: model.ForecastOK, P85: day0}); err != nil {
				b.Fatal(err)
			}
		}
		entries := make([]tracker.LedgerEntry, 215)
		for i := range entries {
			entries[i] = ledgerEntry(fmt.Sprintf("fw-%d-%d", run, i))
		}
		if batched {
			if err := s.LedgerPutAll(ctx, entries); err != nil {
				b.Fatal(err)
			}
		}
		for i, e := range entries {
			if !batched {
				if err := s.LedgerPut(ctx, e); err != nil {
					b.Fatal(err)
				}
			}
			e.State, e.Ref, e.Created, e.Updated = tracker.LedgerComplete, model.TicketRef{ID: fmt.Sprintf("REV-%d", i)}, now, now
			if err := s.LedgerPut(ctx, e); err != nil {
				b.Fatal(err)
			}
		}
		if err := s.SaveRuleState(ctx, []byte(`{}`)); err != nil {
			b.Fatal(err)
		}
	}
}
