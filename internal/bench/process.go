package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Who the bench signs in to its hubs as. The hubs live in a temporary
// directory for one run and listen on loopback only.
const (
	adminEmail    = "bench@hubsync.local"
	adminPassword = "bench-password-only-for-this-run"
)

// clockTick is the unit of utime and stime in /proc/<pid>/stat: USER_HZ,
// 100 on every Linux hubsync runs on.
const clockTick = 10 * time.Millisecond

// hubProc is one `hubsync serve` child process with its data directory.
type hubProc struct {
	name string
	dir  string
	cmd  *exec.Cmd
	// URL is the base URL it serves at.
	URL string
	// admin calls the admin API with a personal admin token; crm calls the
	// CRM API with a private app token.
	admin, crm *client
	password   string
	exited     chan struct{}
	log        *os.File
}

// hubSpec says how to start a hub.
type hubSpec struct {
	name string
	// databaseURL makes the hub store its data in PostgreSQL.
	databaseURL string
	// flags are extra serve flags.
	flags []string
}

// startHub initialises a data directory with the bench's admin, starts
// serve on a free loopback port and signs in.
func startHub(ctx context.Context, bin, root string, spec hubSpec) (*hubProc, error) {
	dir := filepath.Join(root, spec.name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	common := []string{"--data-dir", dir}
	if spec.databaseURL != "" {
		common = append(common, "--database-url", spec.databaseURL)
	}
	initCmd := child(ctx, bin, append([]string{"init", "--admin-email", adminEmail, "--admin-password-stdin"}, common...)...)
	initCmd.Stdin = strings.NewReader(adminPassword + "\n")
	if out, err := initCmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("hubsync init of %s: %w: %s", spec.name, err, strings.TrimSpace(string(out)))
	}
	logFile, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		return nil, err
	}
	args := append([]string{"serve", "--listen", "127.0.0.1:0"}, common...)
	cmd := child(context.WithoutCancel(ctx), bin, append(args, spec.flags...)...)
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		logFile.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start serve for %s: %w", spec.name, err)
	}
	h := &hubProc{name: spec.name, dir: dir, cmd: cmd, log: logFile, exited: make(chan struct{}), password: adminPassword}
	go func() { cmd.Wait(); close(h.exited) }()
	if h.URL, err = listenURL(ctx, stdout, h.exited); err != nil {
		h.stop()
		return nil, fmt.Errorf("serve for %s: %w (its log: %s)", spec.name, err, logTail(h.log.Name()))
	}
	if err := h.signIn(ctx); err != nil {
		h.stop()
		return nil, fmt.Errorf("sign in to %s: %w", spec.name, err)
	}
	return h, nil
}

// child is a hubsync command with none of the HUBSYNC_ settings of the
// bench's own environment, which would point every hub at one database, and
// killed with the bench should the bench itself be killed.
func child(ctx context.Context, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HUBSYNC_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

// listenURL reads serve's standard output until it says where it listens,
// then keeps draining it so serve never blocks on a full pipe.
func listenURL(ctx context.Context, stdout io.Reader, exited <-chan struct{}) (string, error) {
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "hubsync listening on "); ok {
				select {
				case found <- strings.TrimSpace(rest):
				default:
				}
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case u := <-found:
		return u, nil
	case <-exited:
		return "", errors.New("exited before listening")
	case <-time.After(2 * time.Minute):
		return "", errors.New("not listening after 2 minutes")
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// signIn makes an admin token with the admin's password and a private app
// token for the CRM API.
func (h *hubProc) signIn(ctx context.Context) error {
	basic := newClient(h.URL, "")
	basic.user, basic.pass = adminEmail, h.password
	var tok struct {
		Token string `json:"token"`
	}
	if err := basic.json(ctx, "POST", "/api/v1/tokens", map[string]string{"name": "bench"}, &tok); err != nil {
		return err
	}
	h.admin = newClient(h.URL, tok.Token)
	var app struct {
		Token string `json:"token"`
	}
	if err := h.admin.json(ctx, "POST", "/api/v1/private-apps", map[string]any{"name": "bench", "scopes": crmScopes}, &app); err != nil {
		return err
	}
	h.crm = newClient(h.URL, app.Token)
	return nil
}

// stop asks serve to shut down and kills it if it has not within 10 s.
func (h *hubProc) stop() {
	if h.cmd.Process != nil {
		h.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-h.exited:
		case <-time.After(10 * time.Second):
			h.cmd.Process.Kill()
			<-h.exited
		}
	}
	h.log.Close()
}

// cpu is the CPU time the process has used so far (user and system).
func (h *hubProc) cpu() time.Duration {
	return procCPU(h.cmd.Process.Pid)
}

func procCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name in parentheses may hold spaces; fields follow it.
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * clockTick
}

// peakRSS is the process's resident set high-water mark (VmHWM), in bytes.
func (h *hubProc) peakRSS() int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", h.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// resetPeak starts a new high-water mark from the current RSS, so each
// scenario measures its own peak.
func (h *hubProc) resetPeak() {
	os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", h.cmd.Process.Pid), []byte("5"), 0)
}

// logTail is the end of a log file, for an error message.
func logTail(path string) string {
	data, _ := os.ReadFile(path)
	if len(data) > 600 {
		data = data[len(data)-600:]
	}
	return strings.TrimSpace(string(data))
}

// meter measures the CPU several processes use over a stretch of work.
type meter struct {
	procs []*hubProc
	start []time.Duration
	began time.Time
}

func startMeter(procs ...*hubProc) *meter {
	m := &meter{procs: procs, began: time.Now()}
	for _, p := range procs {
		p.resetPeak()
		m.start = append(m.start, p.cpu())
	}
	return m
}

// cpu is the CPU time all the processes used since the meter started.
func (m *meter) cpu() time.Duration {
	var total time.Duration
	for i, p := range m.procs {
		total += p.cpu() - m.start[i]
	}
	return total
}
