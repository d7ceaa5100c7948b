package testenv

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// postgresBins is where Debian keeps each installed PostgreSQL's initdb and
// pg_ctl; the newest is used unless $BLINDVAULT_PG_BIN names another.
const postgresBins = "/usr/lib/postgresql/*/bin"

// postgresBin returns the directory of initdb and pg_ctl.
func postgresBin() (string, error) {
	if bin := os.Getenv("BLINDVAULT_PG_BIN"); bin != "" {
		return bin, nil
	}
	dirs, _ := filepath.Glob(postgresBins)
	slices.SortFunc(dirs, func(a, b string) int { return versionOf(b) - versionOf(a) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("not installed: no %s/initdb (apt-get install postgresql; .ci/deps does)", postgresBins)
}

// versionOf is the major version in /usr/lib/postgresql/N/bin, or 0.
func versionOf(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// Postgres is a private PostgreSQL cluster: one data directory, one
// superuser ("postgres", trust authentication on loopback), one server
// listening on 127.0.0.1 and on a Unix socket in its own directory.
type Postgres struct {
	Port int
	dir  string // holds data/, the socket and the server log
	bin  string
	dbs  atomic.Int64
}

// PostgresOptions tune a cluster. The zero value is a durable cluster.
type PostgresOptions struct {
	// NoFsync turns fsync off: faster, and lost on a machine crash, which
	// tests that do not crash the machine never see.
	NoFsync bool
	// Statements loads pg_stat_statements (with planning tracked), for
	// a benchmark that reports what each statement costs (Query).
	Statements bool
}

// StartPostgres starts a cluster that t's cleanup stops and deletes. As
// root, it runs the server as the postgres user, as PostgreSQL requires.
func StartPostgres(t testing.TB, opts *PostgresOptions) *Postgres {
	t.Helper()
	p, err := startPostgres(opts)
	if p != nil {
		t.Cleanup(func() {
			if err := p.stop(t.Failed()); err != nil {
				t.Errorf("postgres: %v", err)
			}
		})
	}
	if err != nil {
		unavailable(t, "postgres: %v", err)
	}
	return p
}

var shared struct {
	sync.Mutex
	pg  *Postgres
	err error
}

// SharedPostgres returns the test binary's one fsync-less cluster, started on
// first use; the package's TestMain must run Main, which stops it. Tests
// that share it take a database each (NewDatabase).
func SharedPostgres(t testing.TB) *Postgres {
	t.Helper()
	shared.Lock()
	defer shared.Unlock()
	if shared.pg == nil && shared.err == nil {
		shared.pg, shared.err = startPostgres(&PostgresOptions{NoFsync: true})
	}
	if shared.err != nil {
		unavailable(t, "postgres: %v", shared.err)
	}
	return shared.pg
}

// Main runs the tests and then stops the shared cluster, if one started.
func Main(m *testing.M) int {
	code := m.Run()
	shared.Lock()
	defer shared.Unlock()
	if shared.pg != nil {
		if err := shared.pg.stop(code != 0); err != nil {
			fmt.Fprintf(os.Stderr, "postgres: %v\n", err)
			code = 1
		}
	}
	return code
}

// startPostgres starts a cluster; it returns the cluster even when it fails
// to start, so that its directory is removed.
func startPostgres(opts *PostgresOptions) (*Postgres, error) {
	if opts == nil {
		opts = &PostgresOptions{}
	}
	bin, err := postgresBin()
	if err != nil {
		return nil, err
	}
	// Not t.TempDir: its path is too long for a Unix socket and its mode
	// keeps the postgres user out.
	dir, err := os.MkdirTemp("", "bvpg")
	if err != nil {
		return nil, err
	}
	p := &Postgres{dir: dir, bin: bin}
	if err := p.init(opts); err != nil {
		return p, err
	}
	return p, p.start()
}

// run runs a PostgreSQL program, as the postgres user when we are root.
func (p *Postgres) run(name string, args ...string) error {
	cmd := exec.Command(filepath.Join(p.bin, name), args...)
	if os.Geteuid() == 0 {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(p.bin, name)}, args...)...)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(out.String()))
	}
	return nil
}

func (p *Postgres) dataDir() string { return filepath.Join(p.dir, "data") }

func (p *Postgres) init(opts *PostgresOptions) error {
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return err
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chmod(p.dir, 0o755); err != nil {
			return err
		}
		if err := os.Chown(p.dir, uid, gid); err != nil {
			return err
		}
	}
	if err := p.run("initdb", "-D", p.dataDir(), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"); err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	p.Port = port
	conf := fmt.Sprintf("listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\n"+
		"max_connections = 200\nshared_buffers = 128MB\nlogging_collector = off\n", port, p.dir)
	if opts.Statements {
		conf += "shared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track_planning = on\n"
	}
	if opts.NoFsync {
		conf += "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
	}
	f, err := os.OpenFile(filepath.Join(p.dataDir(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(conf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (p *Postgres) start() error {
	return p.run("pg_ctl", "start", "-w", "-t", "60", "-D", p.dataDir(), "-l", filepath.Join(p.dir, "server.log"))
}

// Restart stops the server at once (as a crash would) and starts it again
// on the same port.
func (p *Postgres) Restart(t testing.TB) {
	t.Helper()
	p.Stop(t)
	p.Start(t)
}

// Stop stops the server at once, as a crash would; Start starts it again.
func (p *Postgres) Stop(t testing.TB) {
	t.Helper()
	if err := p.run("pg_ctl", "stop", "-w", "-m", "immediate", "-D", p.dataDir()); err != nil {
		t.Fatalf("postgres stop: %v", err)
	}
}

// Start starts a server that Stop stopped, on the same port.
func (p *Postgres) Start(t testing.TB) {
	t.Helper()
	if err := p.start(); err != nil {
		t.Fatalf("postgres start: %v", err)
	}
}

// stop stops the server and deletes the cluster; failed prints the end of
// the server's log first.
func (p *Postgres) stop(failed bool) error {
	var err error
	if _, serr := os.Stat(filepath.Join(p.dataDir(), "postmaster.pid")); serr == nil {
		err = p.run("pg_ctl", "stop", "-w", "-m", "immediate", "-D", p.dataDir())
	}
	if failed {
		if log, rerr := os.ReadFile(filepath.Join(p.dir, "server.log")); rerr == nil && len(log) > 0 {
			fmt.Fprintf(os.Stderr, "postgres server log (last 4 KiB):\n%s\n", log[max(0, len(log)-4096):])
		}
	}
	os.RemoveAll(p.dir)
	return err
}

// URL returns the connection URL of a database of the cluster.
func (p *Postgres) URL(db string) string {
	u := url.URL{Scheme: "postgres", User: url.User("postgres"), Host: fmt.Sprintf("127.0.0.1:%d", p.Port), Path: "/" + db}
	u.RawQuery = "sslmode=disable"
	return u.String()
}

// NewDatabase creates an empty database and returns its URL.
func (p *Postgres) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t%d", p.dbs.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	return p.URL(name)
}

// NewSchema creates an empty schema in the postgres database and returns a
// URL whose connections use it (search_path): an empty store for a fraction
// of what a new database costs.
func (p *Postgres) NewSchema(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("s%d", p.dbs.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	return p.URL("postgres") + "&search_path=" + name
}

// Exec runs SQL in the postgres database through psql.
func (p *Postgres) Exec(ctx context.Context, sql string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(p.bin, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
		"-h", p.dir, "-p", strconv.Itoa(p.Port), "-U", "postgres", "-d", "postgres", "-c", sql)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("psql: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Query runs SQL in the postgres database through psql and returns what it
// printed, unaligned, columns separated by " | ".
func (p *Postgres) Query(ctx context.Context, sql string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(p.bin, "psql"), "-X", "-q", "-A", "-F", " | ", "-v", "ON_ERROR_STOP=1",
		"-h", p.dir, "-p", strconv.Itoa(p.Port), "-U", "postgres", "-d", "postgres", "-c", sql)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("psql: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// CPUByProcess returns the CPU time (user and system) each kind of the
// cluster's running processes has used so far, by the title PostgreSQL
// gives them ("walwriter", "checkpointer", …; "backend" for every client
// connection): which of them a benchmark's DB CPU went to. Processes that
// have exited are not counted.
func (p *Postgres) CPUByProcess() map[string]time.Duration {
	out := map[string]time.Duration{}
	pid, ok := p.postmasterPID()
	if !ok {
		return out
	}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range stats {
		fs, ok := procStat(f)
		if !ok || fs[1] != pid {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join(filepath.Dir(f), "cmdline"))
		title := strings.TrimPrefix(strings.TrimRight(string(cmd), "\x00"), "postgres: ")
		kind := strings.Fields(title + " ?")[0]
		if strings.Contains(title, "127.0.0.1(") || strings.Contains(title, "[local]") {
			kind = "backend"
		}
		out[kind] += procCPU(fs, 2)
	}
	return out
}

func (p *Postgres) postmasterPID() (string, bool) {
	pidFile, err := os.ReadFile(filepath.Join(p.dir, "data", "postmaster.pid"))
	if err != nil {
		return "", false
	}
	pid, _, _ := strings.Cut(string(pidFile), "\n")
	return pid, true
}

// procStat returns the fields of a /proc/PID/stat file after the command
// (which is in parentheses and may hold spaces): fs[1] is the parent's
// pid, fs[11:15] utime, stime, cutime, cstime.
func procStat(f string) ([]string, bool) {
	b, err := os.ReadFile(f)
	if err != nil {
		return nil, false
	}
	_, rest, ok := strings.Cut(string(b), ") ")
	if !ok {
		return nil, false
	}
	fs := strings.Fields(rest)
	return fs, len(fs) >= 15
}

// procCPU sums the first n of utime, stime, cutime, cstime.
func procCPU(fs []string, n int) time.Duration {
	const tick = 10 * time.Millisecond // USER_HZ is 100 on Linux
	var total time.Duration
	for _, v := range fs[11 : 11+n] {
		t, _ := strconv.ParseInt(v, 10, 64)
		total += time.Duration(t) * tick
	}
	return total
}

// CPUTime returns the CPU time (user and system) the cluster's processes
// have used so far: the postmaster's own and that of its children, those
// running now and those it has reaped. Benchmarks read it before and after
// to charge PostgreSQL's share of the work; 0 if /proc cannot tell.
func (p *Postgres) CPUTime() time.Duration {
	pid, ok := p.postmasterPID()
	if !ok {
		return 0
	}
	var total time.Duration
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range stats {
		fs, ok := procStat(f)
		if !ok {
			continue
		}
		self := filepath.Base(filepath.Dir(f)) == pid
		if !self && fs[1] != pid { // fs[1] is the parent's pid
			continue
		}
		n := 2 // utime, stime
		if self {
			n = 4 // and cutime, cstime: reaped children
		}
		total += procCPU(fs, n)
	}
	return total
}
