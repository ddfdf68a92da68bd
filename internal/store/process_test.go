package store_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/store"
	"github.com/forewarn/forewarn/internal/tracker"
)

// Two forewarn processes contending for the run lock. The helper below is
// this test binary re-executed; it opens the store from the environment.

const helperEnv = "FOREWARN_STORE_LOCK_HELPER"

func TestLockHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		t.Skip("helper process for the cross-process lock tests")
	}
	cfg := store.Config{Driver: os.Getenv("HELPER_DRIVER"), Path: os.Getenv("HELPER_PATH"), DSNEnv: os.Getenv("HELPER_DSN_ENV")}
	s, err := store.Open(context.Background(), cfg, os.Getenv)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	switch mode {
	case "hold": // take the lock, say so, hold it until killed
		if _, err := lock(s, context.Background(), 0); err != nil {
			fmt.Println("lock:", err)
			os.Exit(2)
		}
		fmt.Println("locked")
		io.Copy(io.Discard, os.Stdin) // blocks until the parent kills us
		os.Exit(0)
	case "hold-unit": // take a unit's lock and a claim, hold them until killed
		l, err := s.Lock(context.Background(), 0, "gh#1/3")
		if err != nil {
			fmt.Println("lock:", err)
			os.Exit(2)
		}
		if ok, err := l.Claim(context.Background(), "github:acme/web#7"); !ok || err != nil {
			fmt.Println("claim:", ok, err)
			os.Exit(2)
		}
		fmt.Println("locked")
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	case "write": // write ledger entries until killed, printing each one acknowledged
		for i := 0; ; i++ {
			e := ledgerEntry(fmt.Sprintf("fw-crash-%d", i))
			if err := s.LedgerPut(context.Background(), e); err != nil {
				fmt.Println("put:", err)
				os.Exit(2)
			}
			e.State, e.Ref = tracker.LedgerComplete, model.TicketRef{ID: fmt.Sprintf("ACME-%d", i), Target: "jira"}
			if err := s.LedgerPut(context.Background(), e); err != nil {
				fmt.Println("put:", err)
				os.Exit(2)
			}
			fmt.Println(e.Fingerprint)
		}
	case "try": // try for 300ms; exit 3 with the message when locked out
		_, err := lock(s, context.Background(), 300*time.Millisecond)
		if errors.Is(err, store.ErrLocked) {
			fmt.Println(err)
			os.Exit(3)
		}
		if err != nil {
			fmt.Println("lock:", err)
			os.Exit(2)
		}
		fmt.Println("got it")
		os.Exit(0)
	}
}

func helper(t *testing.T, mode string, b backend) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, "HELPER_DRIVER="+b.cfg.Driver,
		"HELPER_PATH="+b.cfg.Path, "HELPER_DSN_ENV="+b.cfg.DSNEnv)
	for k, v := range b.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

func testLockAcrossProcesses(t *testing.T, b backend) {
	// A separate process holds the lock.
	hold := helper(t, "hold", b)
	stdin, err := hold.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := hold.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := hold.Start(); err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	defer hold.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "locked" {
		t.Fatalf("helper did not take the lock: %q %v", line, err)
	}

	s := b.open(t)
	if _, err := lock(s, ctx, 300*time.Millisecond); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("Lock while another process holds it = %v; want ErrLocked", err)
	}

	// The holder crashes (SIGKILL: no unlock runs). The lock must not be
	// left behind: the kernel or the server drops it with the process.
	killed := time.Now()
	if err := hold.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	hold.Wait()
	unlock, err := lock(s, ctx, 10*time.Second)
	if err != nil {
		t.Fatalf("Lock after the holder died: %v", err)
	}
	if d := time.Since(killed); d > 5*time.Second {
		t.Fatalf("the dead holder's lock lingered for %v", d)
	}

	// Now we hold it: another process is turned away with a clear message.
	try := helper(t, "try", b)
	msg, err := try.Output()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("second process: %v, output %q; want exit 3 (locked out)", err, msg)
	}
	if !strings.Contains(string(msg), "another forewarn run holds the lock") {
		t.Fatalf("second process message: %q", msg)
	}
	must(t, unlock())
	try = helper(t, "try", b)
	if msg, err := try.Output(); err != nil || !strings.Contains(string(msg), "got it") {
		t.Fatalf("after unlock the other process: %v, %q", err, msg)
	}
}

func TestSQLiteLockAcrossProcesses(t *testing.T) {
	testLockAcrossProcesses(t, sqliteBackend(t))
}

func TestPostgresLockAcrossProcesses(t *testing.T) {
	testLockAcrossProcesses(t, pgBackend(t, pgDSN(t)))
}

// A worker killed while it holds a unit and a claim releases both with its
// session: another worker gets them at once.
func TestPostgresUnitDiesWithItsWorker(t *testing.T) {
	b := pgBackend(t, pgDSN(t))
	hold := helper(t, "hold-unit", b)
	stdin, err := hold.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := hold.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := hold.Start(); err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	defer hold.Process.Kill()
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || strings.TrimSpace(line) != "locked" {
		t.Fatalf("helper: %q %v", line, err)
	}
	s := b.open(t)
	if _, err := s.Lock(ctx, 0, "gh#1/3"); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("unit held by a live worker: %v; want ErrLocked", err)
	}
	other, err := s.Lock(ctx, 0, "gh#2/3")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Release()
	if ok, err := other.Claim(ctx, "github:acme/web#7"); ok || err != nil {
		t.Fatalf("claim held by a live worker: %v, %v; want false", ok, err)
	}
	must(t, hold.Process.Kill())
	hold.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ok, err := other.Claim(ctx, "github:acme/web#7")
		must(t, err)
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the dead worker's claim lingered for 5s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	l, err := s.Lock(ctx, 5*time.Second, "gh#1/3")
	if err != nil {
		t.Fatalf("the dead worker's unit: %v", err)
	}
	must(t, l.Release())
}

// A run killed in the middle of writing the ledger loses nothing it was
// told was written: every acknowledged "created" record is there after a
// reopen, and the one being written is either pending, created or absent.
func testLedgerSurvivesCrash(t *testing.T, b backend) {
	w := helper(t, "write", b)
	out, err := w.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Process.Kill()
	r := bufio.NewReader(out)
	var acked []string
	for len(acked) < 40 {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("writer stopped after %d entries: %v", len(acked), err)
		}
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "fw-crash-") {
			t.Fatalf("writer: %s", line)
		}
		acked = append(acked, line)
	}
	if err := w.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	w.Wait()
	// Drain what it printed before dying: those were acknowledged too.
	rest, _ := io.ReadAll(r)
	acked = append(acked, strings.Fields(string(rest))...)

	s := b.open(t)
	for _, fp := range acked {
		e, ok, err := s.LedgerGet(ctx, fp)
		if err != nil || !ok || e.State != tracker.LedgerComplete || e.Ref.ID == "" {
			t.Fatalf("acknowledged %s after the crash: %+v ok=%v err=%v", fp, e, ok, err)
		}
	}
	next := fmt.Sprintf("fw-crash-%d", len(acked))
	if e, ok, err := s.LedgerGet(ctx, next); err != nil || (ok && e.State != tracker.LedgerPending && e.State != tracker.LedgerCreated && e.State != tracker.LedgerComplete) {
		t.Fatalf("the entry in flight is damaged: %+v ok=%v err=%v", e, ok, err)
	}
	if b.raw != nil && b.cfg.Driver == "sqlite" {
		var res string
		if err := b.raw(t).QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil || res != "ok" {
			t.Fatalf("integrity_check = %q, %v", res, err)
		}
	}
}

func TestSQLiteLedgerSurvivesCrash(t *testing.T) {
	testLedgerSurvivesCrash(t, sqliteBackend(t))
}

func TestPostgresLedgerSurvivesCrash(t *testing.T) {
	testLedgerSurvivesCrash(t, pgBackend(t, pgDSN(t)))
}
