package resilience

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/platform"
)

// The harness: a private PostgreSQL and Redis per test (never the shared
// servers on 5432/6379, which other packages use in parallel) and scrm
// processes started from the binary TestMain builds. Every child runs in
// its own process group with a parent-death signal, and every test removes
// what it started in t.Cleanup.

// binary is the scrm binary built once for the package.
var binary string

func TestMain(m *testing.M) {
	code := func() int {
		removeStale()
		dir, err := os.MkdirTemp("", "scrm-resilience-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		binary = filepath.Join(dir, "scrm")
		// nofrontend: the binary must not depend on a built web app.
		cmd := exec.Command("go", "build", "-tags", "nofrontend", "-o", binary, "github.com/scrmhq/scrm/cmd/scrm")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build scrm:", err)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

// removeStale deletes what a run killed by its timeout left in the temp
// dir (its cleanups never ran): directories of this package older than any
// run may last.
func removeStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "scrm-resilience-*"))
	for _, d := range dirs {
		if fi, err := os.Stat(d); err == nil && time.Since(fi.ModTime()) > 2*time.Hour {
			_ = os.RemoveAll(d)
		}
	}
}

// waitFor polls cond every 25ms until it is true or d passes; the failure
// says what was expected and what was seen last.
func waitFor(t testing.TB, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	end := time.Now().Add(d)
	last := ""
	for {
		ok, seen := cond()
		if ok {
			return
		}
		if seen != "" {
			last = seen
		}
		if time.Now().After(end) {
			t.Fatalf("timed out after %s waiting for %s (last seen: %s)", d, what, last)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// privateDir is a temporary directory removed when t ends, readable by the
// postgres user when the test runs as root (initdb refuses root).
func privateDir(t testing.TB, pattern string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// logBuf collects a child's output.
type logBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// tail is the last n lines.
func (l *logBuf) tail(n int) string {
	lines := strings.Split(strings.TrimRight(l.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// count counts the lines containing every one of subs.
func (l *logBuf) count(subs ...string) int {
	n := 0
	sc := bufio.NewScanner(strings.NewReader(l.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
next:
	for sc.Scan() {
		for _, s := range subs {
			if !strings.Contains(sc.Text(), s) {
				continue next
			}
		}
		n++
	}
	return n
}

// child is a started process of the harness.
type child struct {
	name string
	cmd  *exec.Cmd
	out  *logBuf
	done chan struct{}
	err  error
}

// startChild starts name args in its own process group, killed with the
// test process. asUser runs it as that user when the test runs as root.
func startChild(t testing.TB, name string, env []string, asUser string, bin string, args ...string) *child {
	t.Helper()
	c := &child{name: name, out: &logBuf{}, done: make(chan struct{})}
	c.cmd = exec.Command(bin, args...)
	c.cmd.Env = append(os.Environ(), env...)
	c.cmd.Stdout, c.cmd.Stderr = c.out, c.out
	attr := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if asUser != "" && os.Getuid() == 0 {
		u, err := user.Lookup(asUser)
		if err != nil {
			t.Fatalf("user %s: %v", asUser, err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		attr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	c.cmd.SysProcAttr = attr
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		c.err = c.cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() { c.kill() })
	return c
}

func (c *child) running() bool {
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// kill sends SIGKILL to the child's process group and waits for it.
func (c *child) kill() {
	if c.running() {
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		<-c.done
	}
}

// signal sends sig to the child and waits up to d for it to exit.
func (c *child) stop(t testing.TB, sig syscall.Signal, d time.Duration) {
	t.Helper()
	if !c.running() {
		return
	}
	_ = c.cmd.Process.Signal(sig)
	select {
	case <-c.done:
	case <-time.After(d):
		c.kill()
		t.Fatalf("%s did not exit within %s of %s\n%s", c.name, d, sig, c.out.tail(40))
	}
}

// ---- PostgreSQL ----

const pgBin = "/usr/lib/postgresql/15/bin"

// pgServer is a private PostgreSQL cluster.
type pgServer struct {
	t    testing.TB
	dir  string // data directory
	sock string // unix socket directory
	port int
	args []string
	proc *child
	// starts counts the server starts (for log names).
	starts int
}

// startPostgres initialises a cluster in a temp dir and starts it on a free
// port. extra are additional -c settings.
func startPostgres(t testing.TB, extra ...string) *pgServer {
	t.Helper()
	root := privateDir(t, "scrm-resilience-pg-")
	s := &pgServer{t: t, dir: filepath.Join(root, "data"), sock: root, port: freePort(t)}
	if err := os.Mkdir(s.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	chownToPostgres(t, root, s.dir)
	out := &logBuf{}
	cmd := exec.Command(filepath.Join(pgBin, "initdb"), "-D", s.dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "-N")
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = postgresAttr(t)
	if err := cmd.Run(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	s.args = append(s.baseArgs(), extra...)
	s.start()
	return s
}

func (s *pgServer) baseArgs() []string {
	return []string{"-D", s.dir, "-p", strconv.Itoa(s.port), "-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=" + s.sock, "-c", "fsync=off", "-c", "full_page_writes=off",
		"-c", "max_connections=400", "-c", "shared_buffers=64MB", "-c", "log_min_messages=warning"}
}

// startReplica clones primary with pg_basebackup (-R: a standby that
// streams from it) and starts it as a hot standby on its own port.
func startReplica(t testing.TB, primary *pgServer) *pgServer {
	t.Helper()
	root := privateDir(t, "scrm-resilience-replica-")
	chownToPostgres(t, root)
	s := &pgServer{t: t, dir: filepath.Join(root, "data"), sock: root, port: freePort(t)}
	out := &logBuf{}
	cmd := exec.Command(filepath.Join(pgBin, "pg_basebackup"), "-h", "127.0.0.1", "-p", strconv.Itoa(primary.port), "-U", "postgres",
		"-D", s.dir, "-R", "-X", "stream", "-c", "fast")
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = postgresAttr(t)
	if err := cmd.Run(); err != nil {
		t.Fatalf("pg_basebackup: %v\n%s", err, out)
	}
	s.args = append(s.baseArgs(), "-c", "hot_standby=on")
	s.start()
	return s
}

func postgresAttr(t testing.TB) *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if os.Getuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root needs the postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		attr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	return attr
}

func chownToPostgres(t testing.TB, paths ...string) {
	t.Helper()
	if os.Getuid() != 0 {
		return
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatalf("running as root needs the postgres user: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	for _, p := range paths {
		if err := os.Chown(p, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
}

// start runs the postmaster and waits until it accepts connections.
func (s *pgServer) start() {
	s.t.Helper()
	s.starts++
	proc := startChild(s.t, fmt.Sprintf("postgres#%d", s.starts), nil, "postgres", filepath.Join(pgBin, "postgres"), s.args...)
	s.proc = proc
	// Backends run in sessions of their own: an immediate shutdown ends
	// them with the postmaster (the group kill registered above follows).
	s.t.Cleanup(func() {
		if proc.running() {
			_ = proc.cmd.Process.Signal(syscall.SIGQUIT)
			select {
			case <-proc.done:
			case <-time.After(10 * time.Second):
			}
		}
	})
	waitFor(s.t, 30*time.Second, "postgres to accept connections", func() (bool, string) {
		if !s.proc.running() {
			s.t.Fatalf("postgres exited: %v\n%s", s.proc.err, s.proc.out)
		}
		db, err := sql.Open("postgres", s.url("postgres"))
		if err != nil {
			return false, err.Error()
		}
		defer db.Close()
		if err := db.Ping(); err != nil {
			return false, err.Error()
		}
		return true, ""
	})
}

// stop shuts the server down: "fast" (SIGINT: roll back, disconnect,
// checkpoint) or "immediate" (SIGQUIT: like a crash; recovery at start).
func (s *pgServer) stop(mode string) {
	s.t.Helper()
	sig := syscall.SIGINT
	if mode == "immediate" {
		sig = syscall.SIGQUIT
	}
	s.proc.stop(s.t, sig, 30*time.Second)
}

// restart stops and starts the server on the same port.
func (s *pgServer) restart(mode string) {
	s.t.Helper()
	s.stop(mode)
	s.start()
}

func (s *pgServer) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

// ---- Redis ----

// redisServer is a private redis-server.
type redisServer struct {
	t      testing.TB
	dir    string
	port   int
	args   []string
	proc   *child
	starts int
}

// startRedis starts redis-server on a free port. With persist, it keeps an
// append-only file fsynced at every write, as a production queue must:
// a restart then keeps the queued tasks.
func startRedis(t testing.TB, persist bool) *redisServer {
	t.Helper()
	s := &redisServer{t: t, dir: privateDir(t, "scrm-resilience-redis-"), port: freePort(t)}
	s.args = []string{"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--dir", s.dir, "--save", "", "--daemonize", "no"}
	if persist {
		s.args = append(s.args, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		s.args = append(s.args, "--appendonly", "no")
	}
	s.start()
	return s
}

func (s *redisServer) start() {
	s.t.Helper()
	s.starts++
	s.proc = startChild(s.t, fmt.Sprintf("redis#%d", s.starts), nil, "", "redis-server", s.args...)
	c := redis.NewClient(&redis.Options{Addr: s.addr()})
	defer c.Close()
	waitFor(s.t, 20*time.Second, "redis to answer PING", func() (bool, string) {
		if !s.proc.running() {
			s.t.Fatalf("redis exited: %v\n%s", s.proc.err, s.proc.out)
		}
		if err := c.Ping(context.Background()).Err(); err != nil {
			return false, err.Error()
		}
		return true, ""
	})
}

// stop shuts Redis down with SIGTERM (it writes its append-only file first).
func (s *redisServer) stop() { s.proc.stop(s.t, syscall.SIGTERM, 20*time.Second) }

func (s *redisServer) addr() string { return fmt.Sprintf("127.0.0.1:%d", s.port) }
func (s *redisServer) url() string  { return "redis://" + s.addr() + "/0" }

// ---- scrm processes ----

const serverSecret = "resilience-server-secret-0123"

// scrm is one `scrm serve` process.
type scrm struct {
	*child
	roles   string
	addr    string // api only
	env     []string
	started time.Time
}

// logCount counts the lines with all of subs in the logs of procs.
func logCount(procs []*scrm, subs ...string) int {
	n := 0
	for _, p := range procs {
		n += p.out.count(subs...)
	}
	return n
}

// cluster is a private Postgres and Redis with scrm processes on them.
type cluster struct {
	t      testing.TB
	pg     *pgServer
	redis  *redisServer
	dbName string
	db     *sql.DB
	client *ent.Client
	queue  *asynq.Client
	insp   *asynq.Inspector
	procs  []*scrm
}

// newCluster starts the servers and migrates a database on them (with
// `scrm migrate`, the way an operator would before rolling out processes).
func newCluster(t testing.TB, persistRedis bool, pgExtra ...string) *cluster {
	t.Helper()
	c := &cluster{t: t, pg: startPostgres(t, pgExtra...), redis: startRedis(t, persistRedis), dbName: "scrm"}
	out, err := c.run("migrate")
	if err != nil {
		t.Fatalf("scrm migrate: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c.db, err = platform.OpenDB(ctx, c.dbURL("test"))
	if err != nil {
		t.Fatal(err)
	}
	c.client = platform.NewEntClient(c.db)
	opt := asynq.RedisClientOpt{Addr: c.redis.addr()}
	c.queue = asynq.NewClient(opt)
	c.insp = asynq.NewInspector(opt)
	t.Cleanup(func() {
		_ = c.queue.Close()
		_ = c.insp.Close()
		_ = c.client.Close()
	})
	t.Cleanup(func() {
		if t.Failed() {
			for _, p := range c.procs {
				t.Logf("---- %s (%s) ----\n%s", p.name, p.roles, p.out.tail(60))
			}
		}
	})
	return c
}

// dbURL names the scrm database; app becomes application_name, so the
// sessions of each process can be told apart in pg_stat_activity.
func (c *cluster) dbURL(app string) string {
	return c.pg.url(c.dbName) + "&application_name=" + app
}

func (c *cluster) env(app string) []string {
	return []string{"DATABASE_URL=" + c.dbURL(app), "REDIS_URL=" + c.redis.url(), "SCRM_SECRET=" + serverSecret,
		"SCRM_LOG_FORMAT=text", "SCRM_LOG_LEVEL=info"}
}

// run runs a one-shot scrm command.
func (c *cluster) run(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), c.env("cli")...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// serve starts `scrm serve --roles roles` named name and, for an api, waits
// until /readyz answers 200. env adds to (and overrides) the environment.
func (c *cluster) serve(name, roles string, env ...string) *scrm {
	c.t.Helper()
	p := &scrm{roles: roles, env: append(c.env(name), env...)}
	args := []string{"serve", "--roles", roles, "--concurrency", "8"}
	if strings.Contains(roles, "api") {
		p.addr = fmt.Sprintf("127.0.0.1:%d", freePort(c.t))
		args = append(args, "--addr", p.addr)
	}
	p.child = startChild(c.t, name, p.env, "", binary, args...)
	p.started = time.Now()
	c.procs = append(c.procs, p)
	c.waitStarted(p)
	return p
}

// restartProc starts a process again with the same name, roles and address.
func (c *cluster) restartProc(p *scrm) {
	c.t.Helper()
	args := []string{"serve", "--roles", p.roles, "--concurrency", "8"}
	if p.addr != "" {
		args = append(args, "--addr", p.addr)
	}
	p.child = startChild(c.t, p.name, p.env, "", binary, args...)
	p.started = time.Now()
	c.waitStarted(p)
}

func (c *cluster) waitStarted(p *scrm) {
	c.t.Helper()
	want := map[string]string{"api": "api listening", "worker": "worker started", "scheduler": "scheduler started"}
	waitFor(c.t, 60*time.Second, p.name+" to start", func() (bool, string) {
		if !p.running() {
			c.t.Fatalf("%s exited: %v\n%s", p.name, p.err, p.out.tail(40))
		}
		for _, r := range strings.Split(p.roles, ",") {
			if !strings.Contains(p.out.String(), want[r]) {
				return false, "no " + want[r] + " yet"
			}
		}
		if p.addr != "" {
			st, body := p.ready()
			if st != http.StatusOK {
				return false, fmt.Sprintf("readyz %d %s", st, body)
			}
		}
		return true, ""
	})
}

// ready asks /readyz: status and body (0 when the request failed).
func (p *scrm) ready() (int, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.addr+"/readyz", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, strings.TrimSpace(string(b))
}

// readiness decodes /readyz.
func (p *scrm) readiness() (int, map[string]string) {
	st, body := p.ready()
	m := map[string]string{}
	_ = json.Unmarshal([]byte(body), &m)
	return st, m
}

// ---- HTTP API ----

// gqlError is one GraphQL error.
type gqlError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

// gql posts a GraphQL operation to an api process and decodes data into out.
func (p *scrm) gql(ctx context.Context, token, query string, vars map[string]any, out any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+p.addr+"/graphql", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []gqlError      `json:"errors"`
	}
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("HTTP %d: %s", res.StatusCode, raw)
	}
	if len(r.Errors) > 0 {
		return fmt.Errorf("graphql: %s (%v)", r.Errors[0].Message, r.Errors[0].Extensions["code"])
	}
	if out != nil {
		return json.Unmarshal(r.Data, out)
	}
	return nil
}

// post sends a JSON body to a REST endpoint of an api process.
func (p *scrm) post(ctx context.Context, token, path string, headers map[string]string, body any, out any) (int, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+p.addr+path, bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, err
	}
	if res.StatusCode != http.StatusOK {
		return res.StatusCode, fmt.Errorf("HTTP %d: %s", res.StatusCode, raw)
	}
	if out != nil {
		return res.StatusCode, json.Unmarshal(raw, out)
	}
	return res.StatusCode, nil
}

// login signs a user in through an api process.
func (p *scrm) login(t testing.TB, workspace, email, password string) string {
	t.Helper()
	var r struct {
		Login struct{ Token string } `json:"login"`
	}
	err := p.gql(context.Background(), "", `mutation($w:String!,$e:String!,$p:String!){ login(input:{workspace:$w,email:$e,password:$p}){ token } }`,
		map[string]any{"w": workspace, "e": email, "p": password}, &r)
	if err != nil || r.Login.Token == "" {
		t.Fatalf("login %s: %v", email, err)
	}
	return r.Login.Token
}

// queuesIdle reports whether no task is pending, active, scheduled or
// waiting for a retry in the queues.
func (c *cluster) queuesIdle(queues ...string) (bool, string) {
	known, err := c.insp.Queues()
	if err != nil {
		return false, err.Error()
	}
	for _, q := range queues {
		if !slices.Contains(known, q) {
			continue
		}
		info, err := c.insp.GetQueueInfo(q)
		if err != nil {
			return false, err.Error()
		}
		if n := info.Pending + info.Active + info.Scheduled + info.Retry; n > 0 {
			return false, fmt.Sprintf("queue %s: %d pending, %d active, %d scheduled, %d retry",
				q, info.Pending, info.Active, info.Scheduled, info.Retry)
		}
	}
	return true, ""
}

// scalar runs a query returning one integer.
func (c *cluster) scalar(t testing.TB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := c.db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func splitLines(s string) []string { return strings.Split(s, "\n") }

// contains reports whether line has every one of subs.
func contains(line string, subs ...string) bool {
	for _, s := range subs {
		if !strings.Contains(line, s) {
			return false
		}
	}
	return true
}

// logTime is the time= of a text log line (zero when it has none).
func logTime(line string) time.Time {
	const k = "time="
	i := strings.Index(line, k)
	if i < 0 {
		return time.Time{}
	}
	v := line[i+len(k):]
	if j := strings.IndexByte(v, ' '); j >= 0 {
		v = v[:j]
	}
	t, _ := time.Parse(time.RFC3339Nano, v)
	return t
}
