package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"testing/iotest"

	"github.com/blindvault/blindvault/server/store"
)

// bigBody is large enough to span several pieces of any chunking a backend is
// likely to use, and odd-sized so the last piece is short.
const bigBody = 5<<20 + 12345

func testBodies(t *testing.T, open opener) {
	t.Run("OpenBody_Ranges", func(t *testing.T) {
		s := open(t)
		a := newAccount(t, s, "alice")
		rec := random[store.RecordID]()
		body := randBytes(bigBody)
		put(t, s, version(rec, a.ID, 1, store.Hash{}, "x", body), body)
		size := int64(len(body))
		ranges := [][2]int64{
			{0, 0}, {0, 1}, {0, size}, {size - 1, 1}, {size, 0}, {1, size - 1},
			{1<<20 - 5, 10}, {1<<20 - 1, 2}, {1 << 20, 1 << 20}, {1<<20 + 1, 3 << 20},
			{4<<20 - 1, 1}, {size - 12346, 12346}, {123, 4567}, {64<<10 - 1, 64<<10 + 2},
		}
		for _, r := range ranges {
			want := body[r[0] : r[0]+r[1]]
			if got := readBody(t, s, rec, 1, r[0], r[1]); !bytes.Equal(got, want) {
				t.Fatalf("OpenBody(%d, %d) via Read differs (got %d bytes)", r[0], r[1], len(got))
			}
			rc, err := s.OpenBody(ctx, rec, 1, r[0], r[1])
			ok(t, "OpenBody()", err)
			var buf bytes.Buffer
			n, err := io.Copy(&buf, rc)
			rc.Close()
			if err != nil || n != r[1] || !bytes.Equal(buf.Bytes(), want) {
				t.Fatalf("OpenBody(%d, %d) via io.Copy = %d, %v", r[0], r[1], n, err)
			}
		}
		rc, err := s.OpenBody(ctx, rec, 1, 1<<20-100, 300)
		ok(t, "OpenBody()", err)
		if err := iotest.TestReader(rc, body[1<<20-100:1<<20+200]); err != nil {
			t.Fatalf("TestReader(body range) = %v", err)
		}
		rc.Close()
		for _, r := range [][2]int64{{-1, 1}, {0, -1}, {size, 1}, {size + 1, 0}, {size - 10, 11}, {0, size + 1}, {1 << 62, 1 << 62}} {
			_, err := s.OpenBody(ctx, rec, 1, r[0], r[1])
			isErr(t, fmt.Sprintf("OpenBody(%d, %d)", r[0], r[1]), err, store.ErrInvalid)
		}
		_, err = s.OpenBody(ctx, rec, 2, 0, 0)
		isErr(t, "OpenBody(no such version)", err, store.ErrNotFound)
	})
	t.Run("OpenBody_Empty", func(t *testing.T) {
		s := open(t)
		a := newAccount(t, s, "alice")
		rec := random[store.RecordID]()
		put(t, s, version(rec, a.ID, 1, store.Hash{}, "x", nil), nil)
		if got := readBody(t, s, rec, 1, 0, 0); len(got) != 0 {
			t.Fatalf("empty body read %d bytes", len(got))
		}
	})
	t.Run("PutVersion_BodyBoundaries", func(t *testing.T) {
		s := open(t)
		a := newAccount(t, s, "alice")
		for _, n := range []int{1, 4096, 64 << 10, 1<<20 - 1, 1 << 20, 1<<20 + 1, 2 << 20, 4<<20 + 1} {
			rec := random[store.RecordID]()
			body := randBytes(n)
			// A reader that returns short reads, to catch code that
			// assumes one Read fills a buffer.
			w := version(rec, a.ID, 1, store.Hash{}, "x", body)
			ok(t, fmt.Sprintf("PutVersion(%d bytes)", n), s.PutVersion(ctx, w, iotest.HalfReader(bytes.NewReader(body))))
			if got := readBody(t, s, rec, 1, 0, int64(n)); !bytes.Equal(got, body) {
				t.Fatalf("body of %d bytes differs", n)
			}
			w = version(random[store.RecordID](), a.ID, 1, store.Hash{}, "x", body)
			w.BodySize = int64(n - 1)
			isErr(t, fmt.Sprintf("PutVersion(%d bytes, declared one less)", n), s.PutVersion(ctx, w, bytes.NewReader(body)), store.ErrInvalid)
			w.BodySize = int64(n + 1)
			isErr(t, fmt.Sprintf("PutVersion(%d bytes, declared one more)", n), s.PutVersion(ctx, w, bytes.NewReader(body)), store.ErrInvalid)
			if _, err := s.Head(ctx, w.Record); !isNotFound(err) {
				t.Fatalf("Head() after a failed write = %v, want ErrNotFound", err)
			}
		}
		ok(t, "Check()", s.Check(ctx))
	})
	t.Run("PutVersion_AbandonedUpload", func(t *testing.T) {
		s := open(t)
		a := newAccount(t, s, "alice")
		mark := marker()
		body := bytes.Repeat(mark, bigBody/len(mark))
		boom := errors.New("connection reset")
		rec := random[store.RecordID]()
		w := version(rec, a.ID, 1, store.Hash{}, "x", body)
		r := io.MultiReader(bytes.NewReader(body[:len(body)-1000]), iotest.ErrReader(boom))
		isErr(t, "PutVersion(reader fails)", s.PutVersion(ctx, w, r), boom)

		c, cancel := context.WithCancel(ctx)
		r = io.MultiReader(bytes.NewReader(body[:len(body)-1000]), readerFunc(func([]byte) (int, error) {
			cancel()
			return 0, c.Err()
		}))
		isErr(t, "PutVersion(context canceled mid-body)", s.PutVersion(c, w, r), context.Canceled)

		if _, err := s.Head(ctx, rec); !isNotFound(err) {
			t.Fatalf("Head() after abandoned uploads = %v, want ErrNotFound", err)
		}
		ok(t, "Compact()", s.Compact(ctx))
		if n := bytes.Count(snapshot(t, s), mark); n != 0 {
			t.Fatalf("snapshot holds the abandoned body's marker %d times, want 0", n)
		}
		ok(t, "Check()", s.Check(ctx))
	})
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }
