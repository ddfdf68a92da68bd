package store_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/forewarn/forewarn/internal/store"
)

func TestSQLiteContract(t *testing.T) {
	runContract(t, sqliteBackend)
}

func TestNoneContract(t *testing.T) {
	runContract(t, func(t *testing.T) backend {
		return backend{cfg: store.Config{Driver: "none"}}
	})
}

func TestPostgresContract(t *testing.T) {
	dsn := pgDSN(t)
	runContract(t, func(t *testing.T) backend { return pgBackend(t, dsn) })
}

func sqliteBackend(t *testing.T) backend {
	path := filepath.Join(t.TempDir(), "sub", "state.db")
	return backend{
		persistent: true,
		cfg:        store.Config{Driver: "sqlite", Path: path},
		created: func(t *testing.T) bool {
			_, err := os.Stat(path)
			return err == nil
		},
		raw: func(t *testing.T) *sql.DB {
			db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		},
	}
}

// pgDSN returns the test server's DSN. Without one the PostgreSQL tests
// skip on a developer's machine and fail in CI, so CI proves them.
func pgDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("FOREWARN_TEST_PG_DSN")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("FOREWARN_TEST_PG_DSN is not set and CI=true: the PostgreSQL contract tests must run in CI (source .ci/postgres.sh first)")
		}
		t.Skip("FOREWARN_TEST_PG_DSN not set (run: source .ci/postgres.sh)")
	}
	return dsn
}

// pgBackend makes a fresh schema on the test server and a DSN that uses it
// (search_path), so each test starts empty.
func pgBackend(t testing.TB, dsn string) backend {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	schema := "fwtest_" + hex.EncodeToString(b[:])
	admin := pgOpen(t, dsn)
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("creating schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("dropping schema: %v", err)
		}
	})
	sdsn := withSearchPath(t, dsn, schema)
	return backend{
		persistent: true,
		cfg:        store.Config{Driver: "postgres", DSNEnv: "FOREWARN_STATE_DSN"},
		env:        map[string]string{"FOREWARN_STATE_DSN": sdsn},
		raw:        func(t *testing.T) *sql.DB { return pgOpen(t, sdsn) },
		created: func(t *testing.T) bool {
			var n int
			if err := admin.QueryRow(`SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = $1`, schema).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n > 0
		},
	}
}

func pgOpen(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatalf("parsing the test DSN: %v", err)
	}
	db := stdlib.OpenDB(*cfg)
	if err := db.PingContext(context.Background()); err != nil {
		t.Fatalf("connecting to the test server: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// withSearchPath adds search_path to a DSN in URL or key=value form.
func withSearchPath(t testing.TB, dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " search_path=" + schema
}
