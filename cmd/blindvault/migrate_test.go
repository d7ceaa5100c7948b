package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/blindvault/blindvault/internal/testenv"
	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/blob"
	"github.com/blindvault/blindvault/server/store/blob/s3blob"
	"github.com/blindvault/blindvault/server/store/bolt"
	"github.com/blindvault/blindvault/server/store/postgres"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// serveUntilStopped runs "blindvault serve" in-process and returns its URL
// and a function that stops it and waits for it to exit.
func serveUntilStopped(t *testing.T, args ...string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var errb syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"serve"}, args...), &bytes.Buffer{}, &errb) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d after shutdown: %s", code, errb.String())
		}
	}
	t.Cleanup(stop)
	re := regexp.MustCompile(`listening on (\S+)`)
	for {
		if m := re.FindStringSubmatch(errb.String()); m != nil {
			return m[1], stop
		}
		select {
		case code := <-done:
			stopped = true
			t.Fatalf("serve exited %d: %s", code, errb.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// freeAddr is a loopback address that was free a moment ago: the source and
// the target server take turns on it, so that both have the same origin.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestMigrate_ClientsSeeTheSame builds a bbolt deployment through a real
// server and the CLI (an admin, a clinician, a patient with a TOTP second
// factor, two records, one shared with the clinician and one with a care
// team of theirs), migrates it into PostgreSQL with bodies in S3, and checks
// that clients of a server on the copy see the same: the patient logs in on
// a new device with the passphrase and a TOTP code and reads a record, the
// clinician reads both shared ones, and the patient's log check accepts the
// new server's checkpoint as consistent with the old one's.
func TestMigrate_ClientsSeeTheSame(t *testing.T) {
	pg := testenv.SharedPostgres(t)
	s3 := testenv.StartS3(t)
	blobs := s3.URL(s3.NewBucket(t))
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	data, addr := p("data"), freeAddr(t)
	url, stop := serveUntilStopped(t, "--data", data, "--addr", addr, "--insecure-http")

	pass := "correct horse battery staple 42"
	for _, f := range []string{"pat.pass", "clin.pass", "admin.pass"} {
		if err := os.WriteFile(p(f), []byte(pass+" "+f+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	as := func(who string) []string { return []string{"--home", p(who), "--passphrase-file", p(who + ".pass")} }
	with := func(args []string, who string) []string { return append(args, as(who)...) }
	boot, err := os.ReadFile(filepath.Join(data, "bootstrap-invite"))
	if err != nil {
		t.Fatal(err)
	}
	mustCLI(t, with([]string{"register", "--server", url, "--name", "admin", "--role", "admin", "--invite", strings.TrimSpace(string(boot))}, "admin")...)
	invite := strings.TrimSpace(mustCLI(t, with([]string{"admin", "invite", "--role", "clinician"}, "admin")...))
	invite = invite[strings.LastIndex(invite, "\n")+1:]
	mustCLI(t, with([]string{"register", "--server", url, "--name", "dr-jones", "--role", "clinician", "--invite", invite}, "clin")...)
	mustCLI(t, with([]string{"register", "--server", url, "--name", "alice"}, "pat")...)

	obs := []byte(`{"resourceType":"Observation","status":"final","code":{"text":"HbA1c"}}`)
	letter := bytes.Repeat([]byte("discharge letter "), 20000)
	os.WriteFile(p("obs.json"), obs, 0o644)
	os.WriteFile(p("letter.txt"), letter, 0o644)
	lastLine := func(s string) string { s = strings.TrimSpace(s); return s[strings.LastIndex(s, "\n")+1:] }
	obsID := lastLine(mustCLI(t, with([]string{"put", p("obs.json"), "--type", "Observation", "--title", "HbA1c"}, "pat")...))
	letterID := lastLine(mustCLI(t, with([]string{"put", p("letter.txt"), "--title", "letter"}, "pat")...))
	mustCLI(t, with([]string{"share", obsID, "--with", "dr-jones"}, "pat")...)
	mustCLI(t, with([]string{"get", obsID}, "clin")...)
	// The letter is shared with a care team the clinician is in, only.
	var admin accountView
	if err := json.Unmarshal([]byte(mustCLI(t, with([]string{"whoami", "--json"}, "admin")...)), &admin); err != nil {
		t.Fatal(err)
	}
	org := strings.TrimPrefix(url, "http://")
	mustCLI(t, with([]string{"trust-org", org, "--admin", "admin", "--fingerprint", admin.Fingerprint}, "pat")...)
	mustCLI(t, with([]string{"admin", "attest", "dr-jones", "--role", "clinician"}, "admin")...)
	mustCLI(t, with([]string{"team", "create", "Cardiology", "--org", org}, "admin")...)
	mustCLI(t, with([]string{"team", "add", "Cardiology", "dr-jones"}, "admin")...)
	mustCLI(t, with([]string{"share", letterID, "--team", org + "/Cardiology"}, "pat")...)

	uri := lastLine(mustCLI(t, with([]string{"mfa", "enroll", "totp"}, "pat")...))
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		t.Fatalf("mfa enroll printed %q: %v", uri, err)
	}
	now := time.Now()
	first, _ := totp.GenerateCode(key.Secret(), now)
	mustCLI(t, with([]string{"mfa", "confirm", first}, "pat")...)
	if out := mustCLI(t, with([]string{"log", "verify"}, "pat")...); !strings.Contains(out, "OK") {
		t.Fatalf("log verify on the source: %s", out)
	}

	// Not while the source's server holds the file.
	db := pg.NewSchema(t)
	if code, _, errs := cli(t, "migrate", "--from", data, "--to", db, "--blobs", blobs); code != 1 || !strings.Contains(errs, "in use") {
		t.Fatalf("migrate while the source serves: exit %d, %q; want 1 and \"in use\"", code, errs)
	}
	stop()
	code, out, errs := cli(t, "migrate", "--from", data, "--to", db, "--blobs", blobs)
	if code != 0 || !strings.Contains(out, "migrated: 3 accounts, ") {
		t.Fatalf("migrate: exit %d\n%s%s", code, out, errs)
	}
	t.Logf("migrate: %s", out)
	// Not twice into one database.
	if code, _, errs := cli(t, "migrate", "--from", data, "--to", db, "--blobs", blobs); code != 1 || !strings.Contains(errs, "empty database") {
		t.Fatalf("migrate into a database that is not empty: exit %d, %q; want 1, naming an empty database", code, errs)
	}
	if code, out, errs := cli(t, "migrate", "--from", data, "--to", db, "--blobs", blobs, "--check"); code != 0 || !strings.Contains(out, "migrated: 3 accounts, ") {
		t.Fatalf("migrate --check of a good copy: exit %d\n%s%s", code, out, errs)
	}

	url2, _ := serveUntilStopped(t, "--data", p("data2"), "--addr", addr, "--insecure-http", "--store", db, "--blobs", blobs,
		"--master-key-file", data+".master-key", "--log-key-file", filepath.Join(data, "log-key"))
	if url2 != url {
		t.Fatalf("the target serves at %s, the source did at %s", url2, url)
	}
	next, _ := totp.GenerateCode(key.Secret(), now.Add(30*time.Second))
	laptop := []string{"--home", p("laptop"), "--passphrase-file", p("pat.pass")}
	if code, _, errs := cli(t, append([]string{"login", "--server", url, "--name", "alice", "--otp", next}, laptop...)...); code != 0 {
		t.Fatalf("login on a new device after the migration: exit %d, %s", code, errs)
	}
	if got := mustCLI(t, append([]string{"get", letterID}, laptop...)...); got != string(letter) {
		t.Fatalf("get on the new device: %d bytes, want the %d put", len(got), len(letter))
	}
	if got := mustCLI(t, with([]string{"get", obsID}, "clin")...); got != string(obs) {
		t.Fatalf("the clinician's get after the migration = %q", got)
	}
	if got := mustCLI(t, with([]string{"get", letterID}, "clin")...); got != string(letter) {
		t.Fatalf("the clinician's get through the care team after the migration: %d bytes, want %d", len(got), len(letter))
	}
	if out := mustCLI(t, with([]string{"log", "verify"}, "pat")...); !strings.Contains(out, "OK") {
		t.Fatalf("log verify after the migration: %s", out)
	}
}

// newMigrateSource is a bbolt store in a data directory, with an account
// and n records of a small body each, each with a log entry.
func newMigrateSource(t testing.TB, n int) (*bolt.Store, string) {
	t.Helper()
	dir := t.TempDir()
	src, err := bolt.Open(filepath.Join(dir, "blindvault.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	owner := newSourceAccount(t, src)
	for i := range n {
		putRecord(t, src, owner, fmt.Appendf(nil, "record %d %s", i, bytes.Repeat([]byte{'x'}, 200)), true)
	}
	return src, dir
}

// newSourceAccount creates an account with one device.
func newSourceAccount(t testing.TB, st store.Store) store.AccountID {
	t.Helper()
	a := store.NewAccount{
		ID: random32(), Handle: "alice", Role: store.RolePatient,
		KeyCard: store.KeyCard{Seq: 1, Signed: []byte("card"), Added: time.Now()},
		Device:  store.Device{ID: random32(), Cert: []byte("cert"), Added: time.Now()},
		Backup:  []byte("backup"), OPRFSetup: []byte("oprf"), Created: time.Now(),
	}
	if err := st.CreateAccount(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return a.ID
}

// putRecord stores a new record of owner's with body and, if logged, a log
// entry (its header).
func putRecord(t testing.TB, st store.Store, owner store.AccountID, body []byte, logged bool) {
	t.Helper()
	header := random32()
	w := store.VersionWrite{Record: random32(), Owner: owner, Author: owner, Version: 1,
		HeaderHash: sha256.Sum256(header[:]), Header: header[:], Leaves: make([]byte, 32),
		BodySize: int64(len(body)), Created: time.Now()}
	ctx := context.Background()
	if logged {
		ctx = store.WithLog(ctx, &store.LogBatch{Entries: [][]byte{header[:]}})
	}
	if err := st.PutVersion(ctx, w, bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}
}

// A body changed in the target after the copy fails the proof: migrate
// --check exits 1 naming the version.
func TestMigrate_ProofCatchesACorruptBody(t *testing.T) {
	ctx := context.Background()
	pg := testenv.SharedPostgres(t)
	src, dir := newMigrateSource(t, 3)
	src.Close()
	url := pg.NewSchema(t)
	if code, _, errs := cli(t, "migrate", "--from", dir, "--to", url); code != 0 {
		t.Fatalf("migrate: exit %d, %s", code, errs)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `UPDATE body_chunks SET data = overlay(data placing '\xff'::bytea from 5)
		WHERE body = (SELECT body FROM body_chunks LIMIT 1)`); err != nil {
		t.Fatal(err)
	}
	code, _, errs := cli(t, "migrate", "--from", dir, "--to", url, "--check")
	if code != 1 || !strings.Contains(errs, "proof failed") || !strings.Contains(errs, "version 1: the target's body hashes to") {
		t.Fatalf("migrate --check of a corrupt copy: exit %d, %q; want 1 and the version named", code, errs)
	}
}

// BenchmarkMigrate_1000Records copies 1,000 small records (and their 1,000
// log entries) from bbolt into PostgreSQL, bodies in the database or in S3
// (versitygw), and proves the copy, as migrate does; copy-ms/op is the copy
// alone.
func BenchmarkMigrate_1000Records(b *testing.B) {
	pg := testenv.SharedPostgres(b)
	src, _ := newMigrateSource(b, 1000)
	b.Run("postgres", func(b *testing.B) { benchMigrate(b, src, pg, nil) })
	b.Run("s3", func(b *testing.B) {
		s3 := testenv.StartS3(b)
		benchMigrate(b, src, pg, func() blob.Store {
			c, err := s3blob.ParseURL(s3.URL(s3.NewBucket(b)))
			if err != nil {
				b.Fatal(err)
			}
			bs, err := s3blob.New(c)
			if err != nil {
				b.Fatal(err)
			}
			return bs
		})
	})
}

func benchMigrate(b *testing.B, src *bolt.Store, pg *testenv.Postgres, blobs func() blob.Store) {
	ctx := context.Background()
	var copying time.Duration
	for b.Loop() {
		b.StopTimer()
		opts := &postgres.Options{}
		if blobs != nil {
			opts.Blobs = blobs()
		}
		dst, err := postgres.Open(ctx, pg.NewSchema(b), opts)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		l := &accountLister{src: src}
		start := time.Now()
		if _, err := dst.Import(ctx, l); err != nil {
			b.Fatal(err)
		}
		copying += time.Since(start)
		if _, err := proveSame(ctx, src, dst, l.ids); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		dst.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(copying.Milliseconds())/float64(b.N), "copy-ms/op")
}
