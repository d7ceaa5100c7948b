package bolt_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/blindvault/blindvault/server/store"
	"github.com/blindvault/blindvault/server/store/bolt"
	"github.com/blindvault/blindvault/server/store/internal/storebench"
)

// Run with: go test -run '^$' -bench . -benchtime 2000x ./server/store/bolt/
// The raw commit rate is the baseline that group commit is measured against;
// all of them fsync on the same disk (t.TempDir).

// BenchmarkRawCommit is plain bbolt: one Update, so one fsync, per 4 KiB put.
func BenchmarkRawCommit(b *testing.B) {
	db, err := bbolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	value := make([]byte, 4096)
	b.ResetTimer()
	l := storebench.NewLatencies(b.N)
	for i := range b.N {
		t := time.Now()
		err := db.Update(func(tx *bbolt.Tx) error {
			bk, err := tx.CreateBucketIfNotExists([]byte("b"))
			if err != nil {
				return err
			}
			return bk.Put(binary.BigEndian.AppendUint64(nil, uint64(i)), value)
		})
		if err != nil {
			b.Fatal(err)
		}
		l.Add(time.Since(t))
	}
	l.Report(b)
}

// BenchmarkDiskPages measures what this disk charges for a commit's page
// writes, bbolt's way (the pages, an fdatasync, the meta page, another
// fdatasync): 4 KiB pages at random offsets in a 512 MiB file, as copy on
// write scatters a B-tree's dirty pages, or one after another. One op is one
// commit; the difference between 10 and 180 pages gives the cost of a page.
func BenchmarkDiskPages(b *testing.B) {
	const fileSize, page = 512 << 20, 4096
	for _, pattern := range []string{"random", "sequential"} {
		for _, pages := range []int{10, 180} {
			b.Run(fmt.Sprintf("%s/pages=%d", pattern, pages), func(b *testing.B) {
				f, err := os.OpenFile(filepath.Join(b.TempDir(), "pages"), os.O_RDWR|os.O_CREATE, 0o600)
				if err != nil {
					b.Fatal(err)
				}
				defer f.Close()
				if err := f.Truncate(fileSize); err != nil {
					b.Fatal(err)
				}
				buf := make([]byte, page)
				next := int64(page)
				flush := func() {
					if err := f.Sync(); err != nil {
						b.Fatal(err)
					}
				}
				flush()
				b.ResetTimer()
				for range b.N {
					for range pages {
						off := next
						if pattern == "random" {
							off = page * (1 + mrand.Int64N(fileSize/page-1))
						} else if next += page; next >= fileSize {
							next = page
						}
						if _, err := f.WriteAt(buf, off); err != nil {
							b.Fatal(err)
						}
					}
					flush()
					if _, err := f.WriteAt(buf[:page], 0); err != nil { // the meta page
						b.Fatal(err)
					}
					flush()
				}
			})
		}
	}
}

// BenchmarkPutVersionSmall writes new records with 4 KiB bodies from
// concurrent writers; group commit should make the rate grow with them.
func BenchmarkPutVersionSmall(b *testing.B) {
	for _, writers := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			s, owner := benchStore(b)
			body := make([]byte, 4096)
			rand.Read(body)
			header := make([]byte, 600)
			var next atomic.Int64
			b.ResetTimer()
			before := s.CommitStats()
			l := storebench.NewLatencies(b.N)
			var wg sync.WaitGroup
			for range writers {
				wg.Go(func() {
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						w := benchWrite(owner, i, header, int64(len(body)))
						t := time.Now()
						if err := s.PutVersion(context.Background(), w, bytes.NewReader(body)); err != nil {
							b.Error(err)
							return
						}
						l.Add(time.Since(t))
					}
				})
			}
			wg.Wait()
			l.Report(b)
			st := s.CommitStats()
			if c := st.Commits - before.Commits; c > 0 {
				b.ReportMetric(float64(st.Writes-before.Writes)/float64(c), "writes/commit")
			}
		})
	}
}

// BenchmarkBody writes and reads one large body per operation.
func BenchmarkBody(b *testing.B) {
	s, owner := benchStore(b)
	storebench.Body(b, s, owner, 256<<20)
}

func benchStore(b *testing.B) (*bolt.Store, store.AccountID) {
	b.Helper()
	s, err := bolt.Open(filepath.Join(b.TempDir(), "store.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	owner := store.AccountID{1}
	err = s.CreateAccount(context.Background(), store.NewAccount{
		ID: owner, Handle: "bench", Role: store.RoleService,
		KeyCard: store.KeyCard{Seq: 1, Signed: []byte("card")}, Device: store.Device{ID: store.DeviceID{1}, Cert: []byte("cert")},
		Backup: []byte("backup"), OPRFSetup: []byte("oprf"), Created: time.Now(),
	})
	if err != nil {
		b.Fatal(err)
	}
	return s, owner
}

var benchWrite = storebench.Write

// BenchmarkPurgeAccount purges an account of 1,000 shared records of 4 KiB
// and compacts the file (docs/benchmarks.md, account deletion).
func BenchmarkPurgeAccount(b *testing.B) {
	s, _ := benchStore(b)
	storebench.PurgeAccount(b, s, 1000, 4096)
}
