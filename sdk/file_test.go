package sdk

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/blindvault/blindvault/internal/cobble"
	"github.com/blindvault/blindvault/internal/format"
)

func newID(t testing.TB, handle string) *Identity {
	t.Helper()
	id, err := NewIdentity(handle)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func encrypt(t testing.TB, author *Identity, plain []byte, to ...*Identity) []byte {
	t.Helper()
	var cards []*KeyCard
	for _, r := range to {
		cards = append(cards, r.Card())
	}
	var out bytes.Buffer
	if err := Encrypt(context.Background(), &out, bytes.NewReader(plain), author, cards,
		&EncryptOptions{Title: "t", Type: "Observation", Size: int64(len(plain))}); err != nil {
		t.Fatalf("Encrypt: %v", err)
	}
	return out.Bytes()
}

func TestEncrypt_Decrypt_RoundTrip(t *testing.T) {
	alice, bob := newID(t, "alice"), newID(t, "bob")
	for _, n := range []int{0, 1, 4095, 4096, 4097, cobble.ChunkSize, cobble.ChunkSize + 1, 200_000, 1<<20 + 7} {
		plain := randBytes(n)
		file := encrypt(t, alice, plain, bob)
		for _, reader := range []*Identity{alice, bob} {
			var got bytes.Buffer
			info, err := Decrypt(context.Background(), &got, bytes.NewReader(file), reader, &DecryptOptions{Signer: alice.Card()})
			if err != nil {
				t.Fatalf("Decrypt(len %d) as %s: %v", n, reader.Card().Handle(), err)
			}
			if !bytes.Equal(got.Bytes(), plain) {
				t.Fatalf("Decrypt(len %d) = %d bytes, want the %d-byte plaintext", n, got.Len(), n)
			}
			if !info.AuthorVerified || info.Length != uint64(n) || info.Title != "t" || info.Type != "Observation" {
				t.Fatalf("Decrypt(len %d) info = %+v, want verified, length %d, title t", n, info, n)
			}
		}
	}
}

func TestEncrypt_FileSpool(t *testing.T) {
	// Unknown size takes the temporary-file path.
	alice := newID(t, "alice")
	plain := randBytes(3*cobble.ChunkSize + 5)
	var out bytes.Buffer
	if err := Encrypt(context.Background(), &out, bytes.NewReader(plain), alice, nil, nil); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if _, err := Decrypt(context.Background(), &got, &out, alice, nil); err != nil || !bytes.Equal(got.Bytes(), plain) {
		t.Fatalf("Decrypt(file-spooled) = %v, equal %v", err, bytes.Equal(got.Bytes(), plain))
	}
}

func TestDecrypt_Unverified(t *testing.T) {
	alice, bob := newID(t, "alice"), newID(t, "bob")
	info, err := Decrypt(context.Background(), io.Discard, bytes.NewReader(encrypt(t, alice, []byte("x"), bob)), bob, nil)
	if err != nil {
		t.Fatal(err)
	}
	if info.AuthorVerified || info.Author.Fingerprint() != alice.Card().Fingerprint() {
		t.Fatalf("Decrypt without signer: verified=%v author=%s, want unverified alice", info.AuthorVerified, info.Author.Fingerprint())
	}
}

func TestDecrypt_NotRecipient(t *testing.T) {
	alice, bob, eve := newID(t, "alice"), newID(t, "bob"), newID(t, "eve")
	file := encrypt(t, alice, []byte("secret"), bob)
	var got bytes.Buffer
	if _, err := Decrypt(context.Background(), &got, bytes.NewReader(file), eve, nil); !errors.Is(err, ErrNotRecipient) {
		t.Fatalf("Decrypt(eve) error = %v, want ErrNotRecipient", err)
	}
	if got.Len() != 0 {
		t.Fatalf("Decrypt(eve) released %d bytes, want 0", got.Len())
	}
}

func TestDecrypt_SignerMismatch(t *testing.T) {
	alice, bob, eve := newID(t, "alice"), newID(t, "bob"), newID(t, "eve")
	// Eve writes a record to Bob under her own key; Bob expects Alice.
	file := encrypt(t, eve, []byte("forged lab result"), bob)
	_, err := Decrypt(context.Background(), io.Discard, bytes.NewReader(file), bob, &DecryptOptions{Signer: alice.Card()})
	if !errors.Is(err, CheckSignerMismatch) {
		t.Fatalf("Decrypt(signer alice, file by eve) error = %v, want CheckSignerMismatch", err)
	}
}

// regions returns byte offsets inside each part of a record file.
func regions(t *testing.T, file []byte) map[string]int {
	t.Helper()
	b, err := readBundle(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	bundleEnd := len(file) - int(b.header.ChunkCount)*32 - int(b.header.CiphertextLen)
	leavesEnd := bundleEnd + int(b.header.ChunkCount)*32
	return map[string]int{
		"magic":        1,
		"bundle-len":   9,
		"card":         20,
		"bundle-mid":   bundleEnd / 2,
		"header-tail":  bundleEnd - 70,
		"signature":    bundleEnd - 10,
		"leaves":       bundleEnd + 5,
		"salt":         leavesEnd + 3,
		"commitment":   leavesEnd + 30,
		"first-chunk":  leavesEnd + 60,
		"last-tag":     len(file) - 3,
		"middle-chunk": leavesEnd + 56 + 2*(cobble.ChunkSize+16) + 100,
	}
}

func TestDecrypt_TamperedAnywhere(t *testing.T) {
	alice, bob := newID(t, "alice"), newID(t, "bob")
	plain := randBytes(5 * cobble.ChunkSize)
	file := encrypt(t, alice, plain, bob)
	for name, off := range regions(t, file) {
		bad := bytes.Clone(file)
		bad[off] ^= 0x40
		var got bytes.Buffer
		_, err := Decrypt(context.Background(), &got, bytes.NewReader(bad), bob, &DecryptOptions{Signer: alice.Card()})
		if err == nil {
			t.Errorf("Decrypt(flip in %s at %d) = nil error, want an error", name, off)
			continue
		}
		// Whatever was released must be a prefix of whole, verified chunks.
		if got.Len()%cobble.ChunkSize != 0 || !bytes.Equal(got.Bytes(), plain[:got.Len()]) {
			t.Errorf("Decrypt(flip in %s) released %d bytes, want a verified whole-chunk prefix", name, got.Len())
		}
	}
}

func TestDecrypt_ReleasesOnlyVerifiedChunks(t *testing.T) {
	alice := newID(t, "alice")
	plain := randBytes(6 * cobble.ChunkSize)
	file := encrypt(t, alice, plain)
	r := regions(t, file)
	bad := bytes.Clone(file)
	bad[r["middle-chunk"]] ^= 1 // inside chunk 2
	var got bytes.Buffer
	_, err := Decrypt(context.Background(), &got, bytes.NewReader(bad), alice, nil)
	if !errors.Is(err, CheckLeafMismatch) {
		t.Fatalf("Decrypt(chunk 2 flipped) error = %v, want CheckLeafMismatch", err)
	}
	// Chunks 0 and 1 may be released (they verified); nothing of chunk 2 or later.
	if got.Len() > 2*cobble.ChunkSize || got.Len()%cobble.ChunkSize != 0 || !bytes.Equal(got.Bytes(), plain[:got.Len()]) {
		t.Fatalf("Decrypt(chunk 2 flipped) released %d bytes, want at most chunks 0 and 1 (%d)", got.Len(), 2*cobble.ChunkSize)
	}
}

func TestDecrypt_TruncatedAndTrailing(t *testing.T) {
	alice := newID(t, "alice")
	file := encrypt(t, alice, randBytes(40000))
	for _, n := range []int{0, 5, 11, 200, len(file) - 17, len(file) - 1} {
		if _, err := Decrypt(context.Background(), io.Discard, bytes.NewReader(file[:n]), alice, nil); err == nil {
			t.Errorf("Decrypt(first %d of %d bytes) = nil error, want an error", n, len(file))
		}
	}
	_, err := Decrypt(context.Background(), io.Discard, bytes.NewReader(append(bytes.Clone(file), 0)), alice, nil)
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("Decrypt(one byte appended) error = %v, want ErrInvalid", err)
	}
}

func TestDecrypt_BodyFromAnotherRecord(t *testing.T) {
	// A server that moves one record's body under another's header is caught.
	alice := newID(t, "alice")
	a := encrypt(t, alice, randBytes(9000))
	b := encrypt(t, alice, randBytes(9000))
	ba, _ := readBundle(bytes.NewReader(a))
	tail := int(ba.header.ChunkCount)*32 + int(ba.header.CiphertextLen)
	mixed := append(bytes.Clone(a[:len(a)-tail]), b[len(b)-tail:]...)
	if _, err := Decrypt(context.Background(), io.Discard, bytes.NewReader(mixed), alice, nil); !errors.Is(err, CheckLeafMismatch) {
		t.Fatalf("Decrypt(header of A, body of B) error = %v, want CheckLeafMismatch", err)
	}
}

func TestDecrypt_SizeLimit(t *testing.T) {
	alice := newID(t, "alice")
	file := encrypt(t, alice, randBytes(100_000))
	_, err := Decrypt(context.Background(), io.Discard, bytes.NewReader(file), alice, &DecryptOptions{MaxBody: 50_000})
	if !errors.Is(err, CheckLayout) {
		t.Fatalf("Decrypt(MaxBody below the body) error = %v, want CheckLayout", err)
	}
}

func TestInspect_NoSecrets(t *testing.T) {
	alice, bob := newID(t, "alice"), newID(t, "bob")
	var out bytes.Buffer
	err := Encrypt(context.Background(), &out, bytes.NewReader([]byte("PLAINTEXT-MARKER")), alice,
		[]*KeyCard{bob.Card()}, &EncryptOptions{Title: "TITLE-MARKER", Type: "Observation"})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"PLAINTEXT-MARKER", "TITLE-MARKER", "Observation"} {
		if bytes.Contains(out.Bytes(), []byte(m)) {
			t.Fatalf("record file contains %q in the clear", m)
		}
	}
	fi, err := Inspect(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(fi.Readers) != 2 || fi.Grants != 2 || fi.Body.CiphertextBytes != 56+4096+16 || fi.Author.Handle != "alice" {
		t.Fatalf("Inspect = %+v, want 2 readers, 2 grants, a 4168-byte body by alice", fi)
	}
}

// TestDecrypt_CompatibilityFixture opens a record file made by an earlier build:
// v1 files must keep opening.
func TestDecrypt_CompatibilityFixture(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	reader, err := ParseIdentity(read("record-v1.reader.key"), nil)
	if err != nil {
		t.Fatal(err)
	}
	author, err := ParseKeyCard(read("record-v1.author.card"))
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	info, err := Decrypt(context.Background(), &got, bytes.NewReader(read("record-v1.bv")), reader, &DecryptOptions{Signer: author})
	if err != nil {
		t.Fatalf("Decrypt(fixture) error = %v", err)
	}
	if !bytes.Equal(got.Bytes(), read("record-v1.txt")) || info.Title != "Fixture" || info.Type != "text/plain" {
		t.Fatalf("Decrypt(fixture) = %d bytes, title %q, type %q; want the fixture plaintext, Fixture, text/plain", got.Len(), info.Title, info.Type)
	}
}

func TestEncrypt_InPlaceToFile(t *testing.T) {
	alice, bob := newID(t, "alice"), newID(t, "bob")
	plain := randBytes(3*cobble.ChunkSize + 777)
	f, err := os.Create(filepath.Join(t.TempDir(), "out.bv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Write([]byte("prefix")) // the file need not start at offset 0
	err = Encrypt(context.Background(), f, bytes.NewReader(plain), alice, []*KeyCard{bob.Card()}, &EncryptOptions{Size: int64(len(plain))})
	if err != nil {
		t.Fatal(err)
	}
	f.Seek(6, io.SeekStart)
	var got bytes.Buffer
	if _, err := Decrypt(context.Background(), &got, f, bob, &DecryptOptions{Signer: alice.Card()}); err != nil || !bytes.Equal(got.Bytes(), plain) {
		t.Fatalf("Decrypt(in-place file) = %v, equal %v", err, bytes.Equal(got.Bytes(), plain))
	}
}

func TestEncrypt_InPlace_InputChanged(t *testing.T) {
	alice := newID(t, "alice")
	for _, n := range []int{100_000, 20_000} { // longer and shorter than declared
		f, err := os.Create(filepath.Join(t.TempDir(), "out.bv"))
		if err != nil {
			t.Fatal(err)
		}
		err = Encrypt(context.Background(), f, bytes.NewReader(randBytes(n)), alice, nil, &EncryptOptions{Size: 50_000})
		f.Close()
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("Encrypt(%d bytes, declared 50000) error = %v, want ErrInvalid", n, err)
		}
	}
}

// reassemble re-signs a record file's objects after mut changed them and
// returns the file with the original leaves and body.
func reassemble(t *testing.T, author *Identity, file []byte, mut func(b *bundle)) []byte {
	t.Helper()
	b, err := readBundle(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	tail := file[len(file)-int(b.header.ChunkCount)*32-int(b.header.CiphertextLen):]
	mut(b)
	if err := b.acl.Sign(author.sign); err != nil {
		t.Fatal(err)
	}
	b.header.ACLHash = b.acl.Hash()
	if err := b.header.Sign(author.sign); err != nil {
		t.Fatal(err)
	}
	prefix, err := bundlePrefix(author, b.acl, b.grants)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := writeHead(&out, prefix, b.header); err != nil {
		t.Fatal(err)
	}
	return append(out.Bytes(), tail...)
}

// A record file holds version 1 of a new record with one grant per ACL entry
// (format-v1 §6, §7 steps 2 to 5); a reader refuses anything else.
func TestDecrypt_FileFacts(t *testing.T) {
	alice, bob, carol := newID(t, "alice"), newID(t, "bob"), newID(t, "carol")
	file := encrypt(t, alice, randBytes(5000), bob, carol)
	if got := reassemble(t, alice, file, func(*bundle) {}); !bytes.Equal(got, file) {
		t.Fatal("reassemble changed an untouched file")
	}
	bobID := format.KeyID(bob.card.c.XWingPK)
	for _, tc := range []struct {
		name string
		mut  func(b *bundle)
		want error
	}{
		{"ACL seq 2", func(b *bundle) { b.acl.Seq, b.acl.PrevHash = 2, [32]byte{1} }, ErrInvalid},
		{"epoch 2", func(b *bundle) {
			b.acl.Epoch, b.header.Epoch = 2, 2
			for _, g := range b.grants {
				g.Epoch = 2
				if err := g.Sign(alice.sign); err != nil {
					t.Fatal(err)
				}
			}
		}, ErrInvalid},
		{"version 2", func(b *bundle) { b.header.Version, b.header.PrevHeaderHash = 2, [32]byte{1} }, ErrInvalid},
		{"duplicate grant", func(b *bundle) { b.grants = append(b.grants, b.grants[0]) }, CheckGrant},
		{"missing grant", func(b *bundle) {
			b.grants = slices.DeleteFunc(b.grants, func(g *format.Grant) bool { return g.Recipient == bobID })
		}, CheckGrant},
		{"grant that does not open", func(b *bundle) {
			for _, g := range b.grants {
				if g.Recipient == format.KeyID(carol.card.c.XWingPK) {
					g.CT[0] ^= 1
					if err := g.Sign(alice.sign); err != nil {
						t.Fatal(err)
					}
				}
			}
		}, CheckGrant},
	} {
		bad := reassemble(t, alice, file, tc.mut)
		if _, err := Decrypt(context.Background(), io.Discard, bytes.NewReader(bad), carol, nil); !errors.Is(err, tc.want) {
			t.Errorf("Decrypt(%s) error = %v, want %v", tc.name, err, tc.want)
		}
	}
}

// The bundle bound holds the largest file: an ACL of 1024 entries with a
// grant each, 64-byte handles and the largest metadata bucket. One reader more
// is refused by the writer.
func TestEncrypt_MostRecipients(t *testing.T) {
	if testing.Short() {
		t.Skip("1024 identities")
	}
	handle := func(i int) string { return fmt.Sprintf("%064d", i) }
	author := newID(t, handle(0))
	var cards []*KeyCard
	var last *Identity
	for i := 1; i < format.MaxACLEntries; i++ {
		last = newID(t, handle(i))
		cards = append(cards, last.Card())
	}
	opts := &EncryptOptions{Title: strings.Repeat("t", 1024), Type: strings.Repeat("T", 127)}
	for i := 0; i < 32; i++ {
		opts.Tags = append(opts.Tags, strings.Repeat("g", 64))
	}
	var out bytes.Buffer
	if err := Encrypt(context.Background(), &out, bytes.NewReader([]byte("x")), author, cards, opts); err != nil {
		t.Fatalf("Encrypt(%d recipients) error = %v", len(cards), err)
	}
	n := int(out.Bytes()[8])<<16 | int(out.Bytes()[9])<<8 | int(out.Bytes()[10])
	t.Logf("largest bundle: %d bytes", n)
	if n <= 1<<20 || n > maxBundle {
		t.Fatalf("bundle of %d bytes, want above 1 MiB (the old bound) and at most %d", n, maxBundle)
	}
	if _, err := Decrypt(context.Background(), io.Discard, bytes.NewReader(out.Bytes()), last, nil); err != nil {
		t.Fatalf("Decrypt(largest bundle) error = %v", err)
	}
	err := Encrypt(context.Background(), io.Discard, bytes.NewReader([]byte("x")), author, append(cards, newID(t, "one more").Card()), nil)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Encrypt(%d recipients) error = %v, want ErrTooLarge", len(cards)+1, err)
	}
}

// A declared size is exact: 0 means unknown, and anything else that the input
// does not match (or a negative size) is ErrInvalid, in place or spooled.
func TestEncrypt_SizeMeansOneThing(t *testing.T) {
	ctx := context.Background()
	author, err := NewIdentity("alice")
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("twelve bytes")
	for _, size := range []int64{0, int64(len(body))} {
		if err := Encrypt(ctx, io.Discard, bytes.NewReader(body), author, nil, &EncryptOptions{Size: size}); err != nil {
			t.Errorf("Encrypt with Size %d: %v", size, err)
		}
	}
	for _, size := range []int64{-1, 5, 13} {
		err := Encrypt(ctx, io.Discard, bytes.NewReader(body), author, nil, &EncryptOptions{Size: size})
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("Encrypt of 12 bytes with Size %d: %v, want ErrInvalid", size, err)
		}
		f, ferr := os.CreateTemp(t.TempDir(), "rec")
		if ferr != nil {
			t.Fatal(ferr)
		}
		if err := Encrypt(ctx, f, bytes.NewReader(body), author, nil, &EncryptOptions{Size: size}); !errors.Is(err, ErrInvalid) {
			t.Errorf("Encrypt in place of 12 bytes with Size %d: %v, want ErrInvalid", size, err)
		}
		f.Close()
	}
}
