package storebench

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/blindvault/blindvault/server/store"
)

// PurgeAccount measures the purge of an account owning records records of
// bodySize bytes, each shared with another account: "purge-ms" is
// PurgeAccount alone, "compact-ms" the Compact after it. Setting up
// (records written one commit each) is not timed.
func PurgeAccount(b *testing.B, s store.Store, records int, bodySize int64) {
	ctx := context.Background()
	body := make([]byte, bodySize)
	rand.Read(body)
	header := make([]byte, 600)
	var purge, compact time.Duration
	for i := range b.N {
		b.StopTimer()
		owner, reader := account(b, s, fmt.Sprintf("purge-%d", i)), account(b, s, fmt.Sprintf("reader-%d", i))
		for r := range records {
			w := Write(owner, int64(i)<<32|int64(r), header, bodySize)
			w.Sharing = store.Sharing{ACL: &store.ACL{Seq: 1, Hash: store.Hash{1}, Signed: make([]byte, 300), Created: w.Created},
				Grants: []store.Grant{{Epoch: 1, Recipient: store.KeyID(reader), Account: reader, Signed: make([]byte, 1200), Created: w.Created}}}
			if err := s.PutVersion(ctx, w, bytes.NewReader(body)); err != nil {
				b.Fatal(err)
			}
		}
		now := time.Now()
		if err := s.ScheduleAccountDeletion(ctx, store.AccountDeletion{Account: owner, Requested: now, Due: now}, store.Hash{}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t := time.Now()
		st, err := s.PurgeAccount(ctx, store.AccountPurge{Account: owner, Purged: now})
		if err != nil || st.Records != records {
			b.Fatalf("PurgeAccount() = %+v, %v", st, err)
		}
		purge += time.Since(t)
		t = time.Now()
		if err := s.Compact(ctx); err != nil {
			b.Fatal(err)
		}
		compact += time.Since(t)
	}
	b.ReportMetric(float64(purge.Milliseconds())/float64(b.N), "purge-ms")
	b.ReportMetric(float64(compact.Milliseconds())/float64(b.N), "compact-ms")
}

func account(b *testing.B, s store.Store, handle string) store.AccountID {
	var id store.AccountID
	rand.Read(id[:])
	err := s.CreateAccount(context.Background(), store.NewAccount{
		ID: id, Handle: handle, Role: store.RolePatient,
		KeyCard: store.KeyCard{Seq: 1, Signed: []byte("card"), Added: time.Now()},
		Device:  store.Device{ID: store.DeviceID(id), Cert: []byte("cert"), Added: time.Now()},
		Backup:  []byte("backup"), OPRFSetup: []byte("oprf"), Created: time.Now(),
	})
	if err != nil {
		b.Fatal(err)
	}
	return id
}
