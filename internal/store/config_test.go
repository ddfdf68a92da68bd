package store

import (
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/diag"
	"github.com/forewarn/forewarn/internal/duration"
	"github.com/forewarn/forewarn/internal/yamlx"
)

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want []string // substrings of the error; none means valid
	}{
		{"empty is sqlite", Config{}, nil},
		{"sqlite with path", Config{Driver: "sqlite", Path: "state.db"}, nil},
		{"postgres", Config{Driver: "postgres", DSNEnv: "FOREWARN_STATE_DSN"}, nil},
		{"none", Config{Driver: "none"}, nil},
		{"unknown driver", Config{Driver: "mysql"}, []string{`unknown driver "mysql"`}},
		{"postgres without dsn_env", Config{Driver: "postgres"}, []string{"needs dsn_env"}},
		{"DSN pasted into dsn_env", Config{Driver: "postgres", DSNEnv: "postgres://u:hunter2@db/x"}, []string{"not an environment variable name"}},
		{"postgres with path", Config{Driver: "postgres", DSNEnv: "X", Path: "a.db"}, []string{"path is only used"}},
		{"sqlite with dsn_env", Config{DSNEnv: "X"}, []string{"dsn_env is only used"}},
		{"none with path", Config{Driver: "none", Path: "x"}, []string{"keeps nothing"}},
		{"namespace", Config{Driver: "postgres", DSNEnv: "X", Namespace: "team_a1"}, nil},
		{"namespace upper case", Config{Namespace: "TeamA"}, []string{`namespace "TeamA" must be lower-case`}},
		{"namespace with the separator", Config{Namespace: "team__a"}, []string{"single underscores"}},
		{"namespace ending in _", Config{Namespace: "team_"}, []string{"not end with an underscore"}},
		{"namespace starting with a digit", Config{Namespace: "1team"}, []string{"start with a letter"}},
		{"namespace with SQL in it", Config{Namespace: "a; DROP TABLE x"}, []string{"must be lower-case"}},
		{"namespace too long", Config{Namespace: strings.Repeat("a", 33)}, []string{"at most 32"}},
		{"every problem reported", Config{Driver: "mysql", Namespace: "TeamA"}, []string{"unknown driver", "must be lower-case"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.cfg.Validate()
			if len(c.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v; want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil; want %q", c.want)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error echoes a pasted secret: %v", err)
			}
		})
	}
}

// The section decodes the way the app decodes it: strictly, with positions.
func TestConfigDecodesStrictly(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       Config
		wantErr    string
	}{
		{"defaults", "{}", Config{}, ""},
		{"postgres", "driver: postgres\ndsn_env: FOREWARN_STATE_DSN\nlock_wait: 90s\n",
			Config{Driver: "postgres", DSNEnv: "FOREWARN_STATE_DSN", LockWait: wait(90 * time.Second)}, ""},
		{"days", "lock_wait: 1d\n", Config{LockWait: wait(24 * time.Hour)}, ""},
		{"bad duration", "driver: sqlite\nlock_wait: soon\n", Config{}, `state.yaml:2:12: lock_wait: "soon" is not a duration`},
		{"negative duration", "lock_wait: -1s\n", Config{}, `state.yaml:1:12: lock_wait: "-1s" is not a duration`},
		{"unknown key", "driver: sqlite\ndsn: postgres://x\n", Config{}, `state.yaml:2:1: unknown key "dsn" (allowed: driver, dsn_env, lock_wait, namespace, path)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, err := yamlx.Parse("state.yaml", []byte(c.yaml))
			if err != nil {
				t.Fatal(err)
			}
			var got Config
			l := &diag.List{}
			yamlx.Decode("state.yaml", n, &got, "", l)
			if c.wantErr != "" {
				if l.Len() == 0 || !strings.Contains(l.Err().Error(), c.wantErr) {
					t.Fatalf("diagnostics %v; want %q", l.Err(), c.wantErr)
				}
				return
			}
			if l.Len() > 0 {
				t.Fatalf("diagnostics: %v", l.Err())
			}
			if got.Wait() != c.want.Wait() || (got.LockWait == nil) != (c.want.LockWait == nil) {
				t.Fatalf("lock wait %v; want %v", got.Wait(), c.want.Wait())
			}
			got.LockWait, c.want.LockWait = nil, nil
			if got != c.want {
				t.Fatalf("decoded %+v; want %+v", got, c.want)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	var c Config
	if c.driver() != DriverSQLite || c.path() != DefaultPath || c.Wait() != DefaultLockWait {
		t.Fatalf("defaults: %q %q %v", c.driver(), c.path(), c.Wait())
	}
	c.LockWait = wait(5 * time.Second)
	if c.Wait() != 5*time.Second {
		t.Fatalf("Wait() = %v", c.Wait())
	}
	c.LockWait = wait(0)
	if c.Wait() != DefaultLockWait {
		t.Fatalf("lock_wait: 0 gives Wait() = %v, want the default", c.Wait())
	}
}

func wait(d time.Duration) *duration.Duration {
	v := duration.Duration(d)
	return &v
}

func TestConfigResolve(t *testing.T) {
	cases := []struct {
		name string
		in   Config
		want Config
	}{
		{"default path beside the config", Config{}, Config{Path: "/etc/forewarn/.forewarn/state.db"}},
		{"relative path", Config{Driver: "sqlite", Path: "var/state.db"}, Config{Driver: "sqlite", Path: "/etc/forewarn/var/state.db"}},
		{"absolute path kept", Config{Path: "/var/lib/forewarn/state.db"}, Config{Path: "/var/lib/forewarn/state.db"}},
		{"postgres untouched", Config{Driver: "postgres", DSNEnv: "X"}, Config{Driver: "postgres", DSNEnv: "X"}},
		{"none untouched", Config{Driver: "none"}, Config{Driver: "none"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.in.Resolve("/etc/forewarn"); got != c.want {
				t.Fatalf("Resolve = %+v; want %+v", got, c.want)
			}
		})
	}
}
