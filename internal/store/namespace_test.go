package store_test

import (
	"errors"
	"testing"

	"github.com/forewarn/forewarn/internal/store"
)

// The whole contract holds inside a namespace too.
func TestSQLiteContractNamespaced(t *testing.T) {
	runContract(t, func(t *testing.T) backend { return sqliteBackend(t).inNamespace("team_a") })
}

func TestNoneContractNamespaced(t *testing.T) {
	runContract(t, func(t *testing.T) backend {
		return backend{cfg: store.Config{Driver: "none", Namespace: "team_a"}}
	})
}

func TestPostgresContractNamespaced(t *testing.T) {
	dsn := pgDSN(t)
	runContract(t, func(t *testing.T) backend { return pgBackend(t, dsn).inNamespace("team_a") })
}

func TestSQLiteNamespaces(t *testing.T) { testNamespaces(t, sqliteBackend(t)) }

func TestPostgresNamespaces(t *testing.T) { testNamespaces(t, pgBackend(t, pgDSN(t))) }

// testNamespaces puts the default installation and two namespaces in one
// database: each sees only its own state, takes its own lock, migrates
// its own tables once, and the default keeps the historic table names.
func testNamespaces(t *testing.T, b backend) {
	def, a, bb := b, b.inNamespace("team_a"), b.inNamespace("team_b")
	sDef, sA, sB := def.open(t), a.open(t), bb.open(t)
	if sDef.Namespace() != "" || sA.Namespace() != "team_a" {
		t.Fatalf("Namespace() = %q, %q", sDef.Namespace(), sA.Namespace())
	}
	for i, s := range []store.Store{sDef, sA, sB} {
		must(t, s.SaveRuleState(ctx, []byte{'r', byte('0' + i)}))
		e := ledgerEntry("fw-shared")
		e.Target = string(rune('x' + i))
		must(t, s.LedgerPut(ctx, e))
	}
	must(t, sA.LedgerPut(ctx, ledgerEntry("fw-only-a")))
	for i, s := range []store.Store{sDef, sA, sB} {
		blob, err := s.RuleState(ctx)
		if err != nil || string(blob) != string([]byte{'r', byte('0' + i)}) {
			t.Errorf("store %d: RuleState = %q, %v; each namespace must keep its own", i, blob, err)
		}
		e, ok, err := s.LedgerGet(ctx, "fw-shared")
		if err != nil || !ok || e.Target != string(rune('x'+i)) {
			t.Errorf("store %d: ledger entry = %+v, %v, %v; each namespace must keep its own", i, e, ok, err)
		}
		_, ok, _ = s.LedgerGet(ctx, "fw-only-a")
		if ok != (i == 1) {
			t.Errorf("store %d sees team_a's entry: %v", i, ok)
		}
	}

	// Locks: one per namespace.
	unlock, err := lock(sDef, ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ua, err := lock(sA, ctx, 0)
	if err != nil {
		t.Fatalf("team_a's lock is taken by the default installation's run: %v", err)
	}
	defer ua()
	sA2 := a.open(t)
	if _, err := lock(sA2, ctx, 0); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("second team_a run: %v; want ErrLocked", err)
	}

	// Tables: the default keeps today's names; each namespace migrated
	// its own once.
	db := b.raw(t)
	for _, ns := range []string{"", "team_a", "team_b"} {
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM ` + store.Table(ns, "schema_migrations")).Scan(&n); err != nil || n != store.SchemaVersion() {
			t.Errorf("namespace %q: %d migrations recorded, %v; want %d", ns, n, err, store.SchemaVersion())
		}
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM team_a__ledger`).Scan(&n); err != nil || n != 2 {
		t.Errorf("team_a__ledger has %d rows, %v; want 2", n, err)
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM ledger`).Scan(&n); err != nil || n != 1 {
		t.Errorf("the default installation's ledger has %d rows, %v; want 1", n, err)
	}

	// A plan in a namespace with no schema yet reads empty, though the
	// database holds other namespaces.
	ro, err := store.OpenReadOnly(ctx, b.inNamespace("team_c").cfg, func(k string) string { return b.env[k] })
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, ok, err := ro.LedgerGet(ctx, "fw-shared"); ok || err != nil {
		t.Fatalf("an empty namespace reads %v, %v; want nothing", ok, err)
	}
}
