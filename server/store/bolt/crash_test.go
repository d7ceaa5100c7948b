package bolt_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/bolt"
)

// The crash test runs writers in a child process (this test binary again),
// which prints a line for every write the store acknowledged, kills it with
// SIGKILL at a random moment, reopens the file and checks that every
// acknowledged write is there and intact and that the file is consistent.

const (
	crashChildEnv = "BLINDVAULT_CRASH_CHILD"
	soakEnv       = "BLINDVAULT_SOAK"
	crashRecords  = 4
	crashAccounts = 2
	crashWriters  = 8
)

// Small pieces so that the child's larger bodies are staged over several
// transactions, and a kill can land in the middle of an upload.
var crashOpts = &bolt.Options{PieceSize: 64 << 10, StageBytes: 128 << 10}

func crashAccount(i int) store.AccountID { return sha256.Sum256([]byte(fmt.Sprint("account ", i))) }
func crashRecord(i int) store.RecordID   { return sha256.Sum256([]byte(fmt.Sprint("record ", i))) }
func crashOwner(i int) store.AccountID   { return crashAccount(i % crashAccounts) }

// Every (record, version) has one deterministic content, so racing writers of
// the same version write the same bytes and the parent can recompute them.
func crashHeader(rec store.RecordID, v uint64) []byte {
	h := append([]byte("header "), rec[:]...)
	return binary.BigEndian.AppendUint64(append(h, bytes.Repeat([]byte{'h'}, 200)...), v)
}

func crashHash(rec store.RecordID, v uint64) store.Hash {
	if v == 0 {
		return store.Hash{}
	}
	return sha256.Sum256(crashHeader(rec, v))
}

func crashBody(rec store.RecordID, v uint64) []byte {
	n := 4096
	if v%4 == 0 {
		n = 300<<10 + 7 // staged in several transactions
	}
	seed := sha256.Sum256(crashHeader(rec, v))
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(seed).Read(b)
	return b
}

func crashEntry(rec store.RecordID, v uint64) []byte {
	return []byte(fmt.Sprintf("entry %x %d", rec[:4], v))
}

func TestStore_Crash(t *testing.T) {
	if path := os.Getenv(crashChildEnv); path != "" {
		crashChild(path)
		return
	}
	if testing.Short() {
		t.Skip("short")
	}
	iterations := 20
	if os.Getenv(soakEnv) != "" {
		iterations = 300
	}
	path := filepath.Join(t.TempDir(), "store.db")
	acks := &crashAcks{versions: map[[2]string]uint64{}, secrets: map[string]int{}}
	verified := 0
	for i := range iterations {
		crashOnce(t, path, i, acks)
		verified += crashVerify(t, path, acks)
		if t.Failed() {
			return
		}
	}
	if len(acks.versions) == 0 {
		t.Fatalf("no write was acknowledged in %d runs: the test proves nothing", iterations)
	}
	t.Logf("%d runs, %d acknowledged versions, %d checks of them", iterations, len(acks.versions), verified)
}

// crashAcks holds every acknowledgement seen so far, over all runs.
type crashAcks struct {
	versions map[[2]string]uint64 // (record hex, version) → chain seq
	fresh    map[[2]string]bool   // acknowledged in the last run
	secrets  map[string]int       // name → highest acknowledged value
}

// oldChecks is how many writes of earlier runs each run checks again, picked
// at random, so that the soak stays linear in the number of runs.
const oldChecks = 100

func crashOnce(t *testing.T, path string, i int, acks *crashAcks) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestStore_Crash$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acks.fresh = map[[2]string]bool{}
	ready := make(chan struct{})
	lines := make(chan []string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		var got []string
		for sc.Scan() {
			if sc.Text() == "ready" {
				close(ready)
				continue
			}
			got = append(got, sc.Text())
		}
		lines <- got
	}()
	// Some kills land while the child opens the file, most during writes.
	delay := time.Duration(rand.IntN(250)) * time.Millisecond
	if i%5 != 4 {
		select {
		case <-ready:
		case <-time.After(10 * time.Second):
			t.Errorf("run %d: child not ready: %s", i, stderr.String())
		}
	}
	time.Sleep(delay)
	_ = cmd.Process.Signal(syscall.SIGKILL)
	got := <-lines
	err = cmd.Wait()
	for _, line := range got {
		f := strings.Fields(line)
		switch {
		case len(f) == 4 && f[0] == "V":
			seq, _ := strconv.ParseUint(f[3], 10, 64)
			acks.versions[[2]string{f[1], f[2]}] = seq
			acks.fresh[[2]string{f[1], f[2]}] = true
		case len(f) == 3 && f[0] == "S":
			n, _ := strconv.Atoi(f[2])
			acks.secrets[f[1]] = max(acks.secrets[f[1]], n)
		case strings.HasPrefix(line, "ERR"):
			t.Fatalf("run %d: child: %s", i, line)
		}
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("run %d: child ended with %v, not by SIGKILL: %s", i, err, stderr.String())
	}
}

// crashVerify checks every write acknowledged by the last run and some of the
// earlier ones (map order is random), and returns how many it checked.
func crashVerify(t *testing.T, path string, acks *crashAcks) int {
	t.Helper()
	ctx := context.Background()
	s, err := bolt.Open(path, crashOpts)
	if err != nil {
		t.Fatalf("Open(after kill) = %v", err)
	}
	defer s.Close()
	checked, old := 0, 0
	for k, seq := range acks.versions {
		if !acks.fresh[k] {
			if old == oldChecks {
				continue
			}
			old++
		}
		checked++
		raw, _ := hex.DecodeString(k[0])
		rec := store.RecordID(raw)
		v, _ := strconv.ParseUint(k[1], 10, 64)
		ver, err := s.Version(ctx, rec, v)
		if err != nil {
			t.Fatalf("Version(%s, %d) = %v: an acknowledged write is lost", k[0][:8], v, err)
		}
		if !bytes.Equal(ver.Header, crashHeader(rec, v)) || ver.PrevHash != crashHash(rec, v-1) {
			t.Fatalf("Version(%s, %d) has another header", k[0][:8], v)
		}
		r, err := s.OpenBody(ctx, rec, v, 0, ver.BodySize)
		if err != nil {
			t.Fatalf("OpenBody(%s, %d) = %v", k[0][:8], v, err)
		}
		body, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(body, crashBody(rec, v)) {
			t.Fatalf("body of (%s, %d) differs (%d bytes, %v)", k[0][:8], v, len(body), err)
		}
		var owner store.AccountID
		for i := range crashRecords {
			if crashRecord(i) == rec {
				owner = crashOwner(i)
			}
		}
		es, err := s.Chain(ctx, owner, seq, 1)
		if err != nil || len(es) != 1 || !bytes.Equal(es[0].Entry, crashEntry(rec, v)) {
			t.Fatalf("chain entry %d of (%s, %d) is lost: %v", seq, k[0][:8], v, err)
		}
	}
	for name, n := range acks.secrets {
		v, err := s.Secret(ctx, name)
		got, _ := strconv.Atoi(string(v))
		if err != nil || got < n {
			t.Fatalf("Secret(%s) = %q, %v, want ≥ %d", name, v, err, n)
		}
	}
	if err := s.Check(ctx); err != nil {
		t.Fatalf("Check(after kill) = %v", err)
	}
	return checked
}

// crashChild writes until it is killed.
func crashChild(path string) {
	ctx := context.Background()
	var mu sync.Mutex
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(os.Stdout, format+"\n", args...)
	}
	s, err := bolt.Open(path, crashOpts)
	if err != nil {
		say("ERR open: %v", err)
		os.Exit(1)
	}
	for i := range crashAccounts {
		a := store.NewAccount{
			ID: crashAccount(i), Handle: fmt.Sprint("crash", i), Role: store.RolePatient,
			KeyCard: store.KeyCard{Seq: 1, Signed: []byte("card")}, Device: store.Device{ID: store.DeviceID(crashAccount(i)), Cert: []byte("cert")},
			Backup: []byte("backup"), OPRFSetup: []byte("oprf"), Created: time.Now(),
		}
		if err := s.CreateAccount(ctx, a); err != nil && !errors.Is(err, store.ErrExists) {
			say("ERR create account: %v", err)
			os.Exit(1)
		}
	}
	say("ready")
	var wg sync.WaitGroup
	for w := range crashWriters {
		wg.Go(func() {
			idx := w % crashRecords // two writers per record: they race
			rec, owner := crashRecord(idx), crashOwner(idx)
			for {
				h, err := s.Head(ctx, rec)
				var v uint64 = 1
				if err == nil {
					v = h.Version + 1
				} else if !errors.Is(err, store.ErrNotFound) {
					say("ERR head: %v", err)
					os.Exit(1)
				}
				acct, err := s.Account(ctx, owner)
				if err != nil {
					say("ERR account: %v", err)
					os.Exit(1)
				}
				body := crashBody(rec, v)
				vw := store.VersionWrite{
					Record: rec, Owner: owner, Author: owner, Version: v, PrevHash: crashHash(rec, v-1),
					HeaderHash: crashHash(rec, v), Header: crashHeader(rec, v), BodySize: int64(len(body)),
					Created: time.Now(), Chain: []store.ChainEntry{{Account: owner, Seq: acct.ChainSeq + 1, Entry: crashEntry(rec, v)}},
				}
				err = s.PutVersion(ctx, vw, bytes.NewReader(body))
				switch {
				case err == nil:
					say("V %x %d %d", rec[:], v, acct.ChainSeq+1)
				case !errors.Is(err, store.ErrConflict):
					say("ERR put version: %v", err)
					os.Exit(1)
				}
			}
		})
	}
	wg.Go(func() {
		name := "counter"
		cur, _ := s.Secret(ctx, name)
		n, _ := strconv.Atoi(string(cur))
		for {
			n++
			if err := s.PutSecret(ctx, name, []byte(strconv.Itoa(n))); err != nil {
				say("ERR put secret: %v", err)
				os.Exit(1)
			}
			say("S %s %d", name, n)
		}
	})
	wg.Wait()
}
