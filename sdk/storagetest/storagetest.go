// Package storagetest is the conformance suite that every sdk.Storage must
// pass (the contract is in sdk.Storage's documentation). An implementation's
// tests call Run with a function that returns a new, empty storage.
package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"testing"

	"github.com/blindvault/blindvault/sdk"
)

// Run runs the suite; open must return a new, empty storage each time.
func Run(t *testing.T, open func(t *testing.T) sdk.Storage) {
	t.Run("Missing", func(t *testing.T) { testMissing(t, open(t)) })
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, open(t)) })
	t.Run("Overwrite", func(t *testing.T) { testOverwrite(t, open(t)) })
	t.Run("BadNames", func(t *testing.T) { testBadNames(t, open(t)) })
	t.Run("Large", func(t *testing.T) { testLarge(t, open(t)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, open(t)) })
	t.Run("Append", func(t *testing.T) { testAppend(t, open(t)) })
}

var ctx = context.Background()

func mustLoad(t *testing.T, s sdk.Storage, name string) []byte {
	t.Helper()
	b, err := s.Load(ctx, name)
	if err != nil {
		t.Fatalf("Load(%q) = %v", name, err)
	}
	return b
}

func mustSave(t *testing.T, s sdk.Storage, name string, data []byte) {
	t.Helper()
	if err := s.Save(ctx, name, data); err != nil {
		t.Fatalf("Save(%q, %d bytes) = %v", name, len(data), err)
	}
}

func testMissing(t *testing.T, s sdk.Storage) {
	for _, name := range []string{"profile.json", "keys"} {
		if b, err := s.Load(ctx, name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Load(%q) of a new storage = %q, %v; want fs.ErrNotExist", name, b, err)
		}
	}
	mustSave(t, s, "keys", []byte("k"))
	if _, err := s.Load(ctx, "profile.json"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(profile.json) after Save(keys) = %v; want fs.ErrNotExist", err)
	}
}

func testRoundTrip(t *testing.T, s sdk.Storage) {
	in := []byte(`{"version":1}`)
	mustSave(t, s, "profile.json", in)
	mustSave(t, s, "keys", []byte{0, 1, 2, 0xff})
	in[0] = 'X' // the storage must not keep the caller's slice
	if got := mustLoad(t, s, "profile.json"); string(got) != `{"version":1}` {
		t.Fatalf("Load(profile.json) = %q", got)
	}
	got := mustLoad(t, s, "keys")
	if !bytes.Equal(got, []byte{0, 1, 2, 0xff}) {
		t.Fatalf("Load(keys) = %x", got)
	}
	got[0] = 9 // nor share the slice it returns
	if again := mustLoad(t, s, "keys"); again[0] != 0 {
		t.Fatalf("changing a loaded value changed the stored one: %x", again)
	}
	mustSave(t, s, "empty", nil)
	if got := mustLoad(t, s, "empty"); len(got) != 0 {
		t.Fatalf("Load(empty) = %q, want no bytes", got)
	}
}

func testOverwrite(t *testing.T, s sdk.Storage) {
	mustSave(t, s, "profile.json", bytes.Repeat([]byte("a"), 5000))
	mustSave(t, s, "profile.json", []byte("short"))
	if got := mustLoad(t, s, "profile.json"); string(got) != "short" {
		t.Fatalf("after overwriting with a shorter value, Load = %d bytes %.20q", len(got), got)
	}
	// A refused Save leaves what was stored.
	if err := s.Save(ctx, "../profile.json", []byte("other")); err == nil {
		t.Fatal("Save(../profile.json) = nil")
	}
	if got := mustLoad(t, s, "profile.json"); string(got) != "short" {
		t.Fatalf("a refused Save changed the stored value: %q", got)
	}
}

func testBadNames(t *testing.T, s sdk.Storage) {
	mustSave(t, s, "keys", []byte("k"))
	for _, name := range []string{"", ".", "..", "../keys", "a/b", "/keys", `a\b`, "./keys", "keys/",
		".hidden", "a\x00b", "ké", string(bytes.Repeat([]byte("a"), 65))} {
		if err := s.Save(ctx, name, []byte("x")); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Save(%q) = %v, want fs.ErrInvalid", name, err)
		}
		if b, err := s.Load(ctx, name); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Load(%q) = %q, %v; want fs.ErrInvalid", name, b, err)
		}
	}
	for _, name := range []string{"profile.json", "keys", "a-b_c.d", string(bytes.Repeat([]byte("a"), 64))} {
		mustSave(t, s, name, []byte(name))
		if got := mustLoad(t, s, name); string(got) != name {
			t.Errorf("Load(%q) = %q", name, got)
		}
	}
}

func testLarge(t *testing.T, s sdk.Storage) {
	big := make([]byte, 16<<20)
	for i := range big {
		big[i] = byte(i * 7)
	}
	mustSave(t, s, "big", big)
	if got := mustLoad(t, s, "big"); !bytes.Equal(got, big) {
		t.Fatalf("Load(big) = %d bytes, not the 16 MiB saved", len(got))
	}
}

// testConcurrent saves from many goroutines, to distinct names and to one
// name, while others load: every load sees a whole value that was saved.
func testConcurrent(t *testing.T, s sdk.Storage) {
	const n = 8
	value := func(i int) []byte { return bytes.Repeat([]byte{byte('a' + i)}, 64<<10+i) }
	mustSave(t, s, "shared", value(0))
	var wg sync.WaitGroup
	errs := make(chan error, 4*n)
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range 4 {
				if err := s.Save(ctx, "shared", value(i)); err != nil {
					errs <- err
				}
			}
			if err := s.Save(ctx, fmt.Sprintf("own-%d", i), value(i)); err != nil {
				errs <- err
			}
		}()
		go func() {
			defer wg.Done()
			for range 4 {
				b, err := s.Load(ctx, "shared")
				if err != nil {
					errs <- err
					continue
				}
				if len(b) < 64<<10 || !bytes.Equal(b, value(len(b)-64<<10)) {
					errs <- fmt.Errorf("Load(shared) during saves = a torn value of %d bytes", len(b))
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	b := mustLoad(t, s, "shared")
	if len(b) < 64<<10 || !bytes.Equal(b, value(len(b)-64<<10)) {
		t.Fatalf("Load(shared) after saves = a torn value of %d bytes", len(b))
	}
	for i := range n {
		if got := mustLoad(t, s, fmt.Sprintf("own-%d", i)); !bytes.Equal(got, value(i)) {
			t.Errorf("Load(own-%d) = %d bytes, want %d", i, len(got), len(value(i)))
		}
	}
}

// testAppend checks Append, for a storage that has it (sdk.Appender): it
// creates a missing value, adds at the end, keeps what a Load returned
// before unchanged, refuses bad names, and a Save afterwards replaces the
// whole value.
func testAppend(t *testing.T, s sdk.Storage) {
	a, ok := s.(sdk.Appender)
	if !ok {
		t.Skip("no Append: the SDK loads and saves whole")
	}
	if err := a.Append(ctx, "profile.journal", []byte("one ")); err != nil {
		t.Fatalf("Append to a missing value = %v", err)
	}
	before := mustLoad(t, s, "profile.journal")
	if err := a.Append(ctx, "profile.journal", []byte("two")); err != nil {
		t.Fatalf("Append = %v", err)
	}
	if got := mustLoad(t, s, "profile.journal"); string(got) != "one two" {
		t.Fatalf("after two appends Load = %q, want %q", got, "one two")
	}
	if string(before) != "one " {
		t.Fatalf("a value loaded before an append changed to %q", before)
	}
	if err := a.Append(ctx, "profile.journal", nil); err != nil {
		t.Fatalf("Append of nothing = %v", err)
	}
	mustSave(t, s, "profile.journal", []byte("new"))
	if err := a.Append(ctx, "profile.journal", []byte("er")); err != nil {
		t.Fatal(err)
	}
	if got := mustLoad(t, s, "profile.journal"); string(got) != "newer" {
		t.Fatalf("Append after Save: Load = %q, want %q", got, "newer")
	}
	for _, name := range []string{"", "../x", ".hidden", "a/b"} {
		if err := a.Append(ctx, name, []byte("x")); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Append(%q) = %v, want fs.ErrInvalid", name, err)
		}
	}
}
