package sdk

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/blindvault/blindvault/internal/keyfile"
)

// The SDK's untrusted inputs, fuzzed: record files (Decrypt, Inspect),
// identity files (ParseIdentity), the profile's keys file and profile.json.
// Each target asserts that nothing panics and, where it means something, that
// what parses round-trips and that failures carry a typed error.

func readTestdata(t testing.TB, name string) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readerErrors are the errors Decrypt and Inspect document for a record file
// that fails a check.
var readerErrors = []error{ErrInvalid, ErrNotRecipient, CheckSignerMismatch, CheckGrant, ErrTooLarge,
	ErrUnsupported, ErrUnsupported, ErrUnsupported, ErrInvalid, ErrInvalid, CheckBadSignature,
	CheckSigner, CheckWriteAuthority, CheckWrongACL, CheckCommitment, CheckUnwrap, CheckLayout, CheckPadding, CheckMeta,
	CheckLeafMismatch, CheckChunkAuth, CheckTruncated}

func isOneOf(err error, errs []error) bool {
	return slices.ContainsFunc(errs, func(e error) bool { return errors.Is(err, e) })
}

// FuzzRecordFile feeds arbitrary bytes to Inspect and to Decrypt with the
// fixture's reader identity. Nothing panics; every failure is one of the
// reader's errors; a file that decrypts also inspects, as the same record.
func FuzzRecordFile(f *testing.F) {
	reader, err := ParseIdentity(readTestdata(f, "record-v1.reader.key"), nil)
	if err != nil {
		f.Fatal(err)
	}
	fixture := readTestdata(f, "record-v1.bv")
	f.Add(fixture)
	f.Add(fixture[:len(fixture)-1])
	f.Add(fixture[:2000])
	f.Add(append(bytes.Clone(fixture), 0))
	// Small files of this reader, so the fuzzer reaches the body quickly.
	author, err := NewIdentity("fuzz-author")
	if err != nil {
		f.Fatal(err)
	}
	for _, body := range []string{"", "x", strings.Repeat("body ", 100)} {
		var file bytes.Buffer
		if err := Encrypt(context.Background(), &file, strings.NewReader(body), author,
			[]*KeyCard{reader.Card()}, &EncryptOptions{Title: "t"}); err != nil {
			f.Fatal(err)
		}
		f.Add(file.Bytes())
	}
	f.Add(fileMagic)
	f.Add(append(bytes.Clone(fileMagic), 0xff, 0xff, 0xff))
	f.Fuzz(func(t *testing.T, in []byte) {
		fi, ierr := Inspect(bytes.NewReader(in))
		if ierr != nil && !isOneOf(ierr, readerErrors) {
			t.Fatalf("Inspect: untyped error %v", ierr)
		}
		info, err := Decrypt(context.Background(), io.Discard, bytes.NewReader(in), reader, &DecryptOptions{MaxBody: 1 << 24})
		if err != nil {
			if !isOneOf(err, readerErrors) {
				t.Fatalf("Decrypt: untyped error %v", err)
			}
			return
		}
		if ierr != nil {
			t.Fatalf("Decrypt succeeded but Inspect failed: %v", ierr)
		}
		if fi.RecordID != info.RecordID {
			t.Fatalf("Inspect record %s, Decrypt record %s", fi.RecordID, info.RecordID)
		}
	})
}

// FuzzParseIdentity: nothing panics (an encrypted file is refused before
// Argon2id, whose parameters the file chooses); an identity that parses
// writes out to text that parses to the same identity.
func FuzzParseIdentity(f *testing.F) {
	f.Add(readTestdata(f, "record-v1.reader.key"))
	id, err := NewIdentity("fuzz")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(id.MarshalText())
	f.Add(keyfile.EncodePlain(id.secret()[:40]))
	f.Add(keyfile.EncodePlain(append(id.secret(), 0)))
	noPass := func() ([]byte, error) { return nil, errors.New("no passphrase in the fuzzer") }
	f.Fuzz(func(t *testing.T, in []byte) {
		id, err := ParseIdentity(in, noPass)
		if err != nil {
			return
		}
		again, err := ParseIdentity(id.MarshalText(), nil)
		if err != nil {
			t.Fatalf("ParseIdentity(MarshalText()) = %v", err)
		}
		if again.Card().Fingerprint() != id.Card().Fingerprint() || !bytes.Equal(again.secret(), id.secret()) {
			t.Fatal("identity changed across MarshalText")
		}
	})
}

// FuzzParseKeysSecret is the decrypted content of the profile's keys file:
// nothing panics, and whatever parses encodes back to its input.
func FuzzParseKeysSecret(f *testing.F) {
	id, err := NewIdentity("fuzz")
	if err != nil {
		f.Fatal(err)
	}
	_, dev, err := ed25519.GenerateKey(nil)
	if err != nil {
		f.Fatal(err)
	}
	good := keysSecret(id, dev)
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add(append(bytes.Clone(good), 0))
	f.Add([]byte{keysVersion})
	f.Fuzz(func(t *testing.T, in []byte) {
		id, dev, err := parseKeysSecret(in)
		if err != nil {
			return
		}
		if out := keysSecret(id, dev); !bytes.Equal(out, in) {
			t.Fatalf("keysSecret(parseKeysSecret(%x)) = %x", in, out)
		}
	})
}

// FuzzLoadProfile: any bytes in profile.json load or fail with an error,
// never a panic; a profile that loads has no nil maps or entries and a log
// index whose frontier restores, and saves to a file that loads again.
func FuzzLoadProfile(f *testing.F) {
	p := newProfile()
	p.Server, p.Account, p.Handle, p.Role = "https://vault.example", strings.Repeat("ab", 32), "alice", "patient"
	p.Pins["01"] = &pin{Handle: "bob", Fingerprint: "ff", CardSeq: 2}
	p.Chains["01"] = &chainState{Seq: 3, Records: map[string]*chainRecord{"02": {Owner: "01", Version: 1}}}
	p.Shared["02"] = &sharedRecord{Owner: "01", Version: 1}
	p.Pending = map[string]*pendingReader{"03": {Account: "01", Name: "bob", Records: []string{"02", "zz"}}}
	p.LogIndex = &logIndex{Size: 3, Frontier: [][]byte{make([]byte, 32), make([]byte, 32)},
		Accounts: map[string]*accountLog{"01": {ChainSeq: 1, Cards: []loggedCard{{Seq: 1, Hash: "00"}}}}}
	good, err := json.Marshal(p)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`{"version":1,"pins":{"a":null},"chains":{"b":{"records":null}}}`))
	f.Add([]byte(`{"version":1,"log_index":{"size":3,"frontier":[]}}`))
	f.Add([]byte(`{"version":1,"pending":{"03":null}}`))
	f.Add([]byte(`{"version":1,"log_index":{"size":-1,"frontier":null,"accounts":{"x":null}}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, in []byte) {
		c := &Client{storage: &MemoryStorage{}}
		ctx := context.Background()
		if err := c.storage.Save(ctx, profileFile, in); err != nil {
			t.Fatal(err)
		}
		p, err := c.loadProfile(ctx)
		if err != nil {
			return
		}
		checkLoadedProfile(t, p)
		c.prof = p
		if err := c.saveProfile(ctx); err != nil {
			t.Fatalf("saveProfile: %v", err)
		}
		if _, err := c.loadProfile(ctx); err != nil {
			t.Fatalf("a saved profile does not load again: %v", err)
		}
	})
}

// checkLoadedProfile fails t if a profile that loaded has a nil map or a log
// index whose frontier does not restore.
func checkLoadedProfile(t *testing.T, p *profile) {
	t.Helper()
	if p.Pins == nil || p.Orgs == nil || p.Chains == nil || p.Shared == nil || p.Salts == nil {
		t.Fatal("the profile loaded with a nil map")
	}
	for _, st := range p.Chains {
		if st.Records == nil {
			t.Fatal("the profile loaded with a chain with nil records")
		}
	}
	if k, ok := firstNull(p.Pending); ok {
		t.Fatalf("the profile loaded with a null pending reader %q", k)
	}
	if p.LogIndex != nil {
		if _, err := p.LogIndex.frontier(); err != nil {
			t.Fatalf("the profile loaded with a log index whose frontier fails: %v", err)
		}
	}
}

// TestLoadProfile_BadFrontier: a log index frontier with the wrong number of
// hashes, or a hash of the wrong size, is ErrInvalid when the profile loads.
func TestLoadProfile_BadFrontier(t *testing.T) {
	for _, ix := range []string{
		`{"size":3,"frontier":["` + strings.Repeat("A", 43) + `="]}`,
		`{"size":1,"frontier":[]}`,
		`{"size":1,"frontier":["AAAA"]}`,
		`{"size":-2,"frontier":[]}`,
		`{"size":0,"frontier":[],"accounts":{"x":null}}`,
	} {
		c := &Client{storage: &MemoryStorage{}}
		_ = c.storage.Save(t.Context(), profileFile, []byte(`{"version":1,"log_index":`+ix+`}`))
		if _, err := c.loadProfile(t.Context()); !errors.Is(err, ErrInvalid) {
			t.Errorf("loadProfile(log_index %s) = %v, want ErrInvalid", ix, err)
		}
	}
}

// FuzzProfileJournal: any bytes in profile.journal beside a good base load
// or fail with ErrInvalid, never a panic; what loads has no nil maps, and the
// frames read re-encode to the bytes they were read from.
func FuzzProfileJournal(f *testing.F) {
	ctx := context.Background()
	p := newProfile()
	p.Server, p.Account, p.Handle, p.Role = "https://vault.example", strings.Repeat("ab", 32), "alice", "patient"
	p.Chains["01"] = &chainState{Seq: 1, Records: map[string]*chainRecord{"02": {Owner: "01", Version: 1}}}
	c := &Client{storage: &MemoryStorage{}, prof: p, profJournal: journal{name: profileJournalFile}}
	if err := c.writeProfile(ctx); err != nil { // the base
		f.Fatal(err)
	}
	base, _ := c.storage.Load(ctx, profileFile)
	header, _ := c.storage.Load(ctx, profileJournalFile)
	f.Add(header)
	st := p.Chains["01"]
	st.Seq, st.unsaved, st.unsavedRecords = 2, true, map[string]bool{"02": true, "03": true}
	st.Records["02"].Version = 2
	p.setSalt("02", make([]byte, 32))
	p.Shared["04"] = &sharedRecord{Owner: "05", Version: 3}
	p.sharedChanged("04")
	if err := c.writeProfile(ctx); err != nil {
		f.Fatal(err)
	}
	good, _ := c.storage.Load(ctx, profileJournalFile)
	f.Add(good)
	f.Add(good[:len(good)-3])
	f.Add(append(bytes.Clone(good), 0, 0, 0))
	f.Add(append(bytes.Clone(header), appendFrame(nil, []byte(`{"profile":null}`))...))
	f.Add(append(bytes.Clone(header), appendFrame(nil, []byte(`{"profile":{"version":1},"records":{"09":{"x":{}}}}`))...))
	f.Add(append(bytes.Clone(header), appendFrame(nil, []byte(`{"profile":{"version":1},"chains":{"01":null}}`))...))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		s := &MemoryStorage{}
		_ = s.Save(ctx, profileFile, base)
		_ = s.Save(ctx, profileJournalFile, in)
		if frames, end, err := readFrames(in); err == nil {
			var again []byte
			for _, fr := range frames {
				again = appendFrame(again, fr)
			}
			if !bytes.Equal(again, in[:end]) {
				t.Fatal("the frames read do not re-encode to the bytes they were read from")
			}
		}
		p, _, err := readProfile(ctx, s, &journal{name: profileJournalFile})
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("readProfile = %v, want ErrInvalid", err)
			}
			return
		}
		checkLoadedProfile(t, p)
	})
}
