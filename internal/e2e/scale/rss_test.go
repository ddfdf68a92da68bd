package scale

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The peak RSS Linux reports for a child (wait4's ru_maxrss) is at least
// the high-water mark of the process that started it: Go starts children
// with vfork semantics, and exec carries the old address space's peak
// into the child's. Started from the benchmark, which holds the fakes and
// the scenario, forewarn would be charged for them (140 MB instead of
// 80 MB). So the benchmark re-executes this test binary as a small
// helper that starts forewarn and reports its ru_maxrss.
const (
	rssHelperEnv = "FOREWARN_SCALE_RSS_HELPER" // the command, \x1f-separated
	rssProbeEnv  = "FOREWARN_SCALE_RSS_PROBE"  // also sample /proc VmHWM (cross-check)
	// rssMemLimitEnv runs forewarn with GOMEMLIMIT set to its value (the
	// Go runtime's soft memory limit; docs/running.md).
	rssMemLimitEnv = "FOREWARN_SCALE_GOMEMLIMIT"
)

func TestMain(m *testing.M) {
	if argv := os.Getenv(rssHelperEnv); argv != "" {
		os.Exit(rssHelper(strings.Split(argv, "\x1f")))
	}
	os.Exit(m.Run())
}

// rssHelper runs argv with this process's environment (minus the helper's
// own variables), its output on stderr, and prints "maxrss_kib=N exit=N".
func rssHelper(argv []string) int {
	cmd := exec.Command(argv[0], argv[1:]...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, rssHelperEnv+"=") && !strings.HasPrefix(kv, rssProbeEnv+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "rss helper:", err)
		return 2
	}
	var hwm int64
	done := make(chan struct{})
	if os.Getenv(rssProbeEnv) != "" {
		go func() {
			for {
				select {
				case <-done:
					return
				case <-time.After(5 * time.Millisecond):
				}
				hwm = max(hwm, vmHWM(cmd.Process.Pid))
			}
		}()
	}
	err := cmd.Wait()
	close(done)
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		fmt.Fprintln(os.Stderr, "rss helper: no rusage on this platform")
		return 2
	}
	code := 0
	if err != nil {
		code = cmd.ProcessState.ExitCode()
	}
	fmt.Printf("maxrss_kib=%d exit=%d vmhwm_kib=%d\n", ru.Maxrss, code, hwm)
	return 0
}

// vmHWM reads a live process's peak resident set (KiB) from /proc.
func vmHWM(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			var n int64
			fmt.Sscanf(strings.TrimSpace(v), "%d", &n)
			return n
		}
	}
	return 0
}
