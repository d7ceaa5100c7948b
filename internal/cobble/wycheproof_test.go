package cobble

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"testing"

	"github.com/blindvault/blindvault/internal/merkle"
	"github.com/c2sp/wycheproof"
)

// Wycheproof vectors for Cobblestone-256, applied as described in the
// module's doc/c2sp_chunked_encryption.md.
const wycheproofFile = "c2sp_chunked_encryption_aes_256_gcm_test.json"

type wpFile struct {
	Algorithm     string    `json:"algorithm"`
	NumberOfTests int       `json:"numberOfTests"`
	TestGroups    []wpGroup `json:"testGroups"`
}

type wpGroup struct {
	AEAD  string   `json:"aead"`
	SHA   string   `json:"sha"`
	Tests []wpTest `json:"tests"`
}

type wpTest struct {
	TcID      int      `json:"tcId"`
	Comment   string   `json:"comment"`
	Flags     []string `json:"flags"`
	Key       string   `json:"key"`
	Ctx       string   `json:"ctx"`
	CT        string   `json:"ct"`
	AEADKey   string   `json:"aeadKey"`
	BaseNonce string   `json:"baseNonce"`
	MsgLength *int     `json:"msgLength"`
	MsgSHA512 string   `json:"msgSha512"`
	Result    string   `json:"result"`
}

// wpCase is a decoded vector.
type wpCase struct {
	wpTest
	key, ctx, ct, aeadKey, baseNonce, msgSHA []byte
}

func (c *wpCase) has(flag string) bool { return slices.Contains(c.Flags, flag) }

func (c *wpCase) name() string { return fmt.Sprintf("tc%d", c.TcID) }

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("hex.DecodeString(%q) error: %v", s, err)
	}
	return b
}

func loadWycheproof(t testing.TB) []*wpCase {
	t.Helper()
	data, err := fs.ReadFile(wycheproof.TestVectors, wycheproofFile)
	if err != nil {
		t.Fatalf("reading %s: %v", wycheproofFile, err)
	}
	var f wpFile
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("parsing %s: %v", wycheproofFile, err)
	}
	if f.Algorithm != "Cobblestone-256" {
		t.Fatalf("algorithm = %q, want Cobblestone-256", f.Algorithm)
	}
	var cases []*wpCase
	for _, g := range f.TestGroups {
		if g.AEAD != "AEAD_AES_256_GCM" || g.SHA != "SHA-512" {
			t.Fatalf("group aead, sha = %q, %q, want AEAD_AES_256_GCM, SHA-512", g.AEAD, g.SHA)
		}
		for _, tc := range g.Tests {
			c := &wpCase{wpTest: tc}
			c.key = mustHex(t, tc.Key)
			c.ctx = mustHex(t, tc.Ctx)
			c.aeadKey = mustHex(t, tc.AEADKey)
			c.baseNonce = mustHex(t, tc.BaseNonce)
			c.msgSHA = mustHex(t, tc.MsgSHA512)
			zr, err := zlib.NewReader(bytes.NewReader(mustHex(t, tc.CT)))
			if err != nil {
				t.Fatalf("tc %d: zlib.NewReader error: %v", tc.TcID, err)
			}
			// The largest vectors are a few MiB; bound the read anyway.
			c.ct, err = io.ReadAll(io.LimitReader(zr, 64<<20))
			if err != nil {
				t.Fatalf("tc %d: decompressing ct: %v", tc.TcID, err)
			}
			cases = append(cases, c)
		}
	}
	if len(cases) != f.NumberOfTests {
		t.Fatalf("loaded %d vectors, want numberOfTests = %d", len(cases), f.NumberOfTests)
	}
	return cases
}

// checkMessage checks msg against the vector's msgLength and msgSha512.
func checkMessage(t *testing.T, c *wpCase, what string, msg []byte) {
	t.Helper()
	if c.MsgLength == nil {
		t.Fatalf("%s: vector has no msgLength", what)
	}
	if len(msg) != *c.MsgLength {
		t.Fatalf("%s: len(plaintext) = %d, want %d", what, len(msg), *c.MsgLength)
	}
	if sum := sha512.Sum512(msg); !bytes.Equal(sum[:], c.msgSHA) {
		t.Fatalf("%s: SHA-512(plaintext) = %x, want %x", what, sum, c.msgSHA)
	}
}

// isOurError reports whether err wraps one of the package's sentinels.
func isOurError(err error) bool {
	for _, s := range []error{ErrInvalidKeySize, ErrCommitment, ErrTruncated, ErrTrailingData,
		ErrChunkAuth, ErrLeafMismatch, ErrTooManyChunks, ErrInvalidSummary} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

func TestOpen_Wycheproof(t *testing.T) {
	for _, c := range loadWycheproof(t) {
		for _, opts := range []*OpenOptions{nil, {Workers: 1}, {Workers: 4}} {
			workers := 0
			if opts != nil {
				workers = opts.Workers
			}
			t.Run(fmt.Sprintf("%s/workers=%d", c.name(), workers), func(t *testing.T) {
				var out bytes.Buffer
				n, err := Open(context.Background(), &out, bytes.NewReader(c.ct), c.key, c.ctx, opts)
				if n != int64(out.Len()) {
					t.Errorf("Open() = %d, wrote %d bytes", n, out.Len())
				}
				if c.Result == "valid" {
					if err != nil {
						t.Fatalf("Open(%s) error: %v", c.Comment, err)
					}
					checkMessage(t, c, "Open", out.Bytes())
					return
				}
				if err == nil {
					t.Fatalf("Open(%s) = nil error, want an error", c.Comment)
				}
				if !isOurError(err) {
					t.Errorf("Open(%s) error = %v, want a cobble sentinel", c.Comment, err)
				}
				switch {
				case c.has("InvalidKeySize"):
					if !errors.Is(err, ErrInvalidKeySize) {
						t.Errorf("Open(%s) error = %v, want ErrInvalidKeySize", c.Comment, err)
					}
				case c.has("WrongKey"), c.has("WrongContext"):
					if !errors.Is(err, ErrCommitment) {
						t.Errorf("Open(%s) error = %v, want ErrCommitment", c.Comment, err)
					}
				case c.has("HeaderFailure"):
					if !errors.Is(err, ErrCommitment) && !errors.Is(err, ErrTruncated) {
						t.Errorf("Open(%s) error = %v, want ErrCommitment or ErrTruncated", c.Comment, err)
					}
				}
				if c.has("PartialPlaintext") {
					// The spec allows up to the valid prefix; we release
					// exactly the chunks that passed, so it is all of it.
					checkMessage(t, c, "Open partial plaintext", out.Bytes())
				} else if out.Len() != 0 {
					t.Fatalf("Open(%s) wrote %d bytes of an invalid message, want 0", c.Comment, out.Len())
				}
			})
		}
	}
}

// TestOpen_Wycheproof_KeepsFailing checks that a failed Open leaves nothing
// half-done: opening the same bytes again fails the same way.
func TestOpen_Wycheproof_KeepsFailing(t *testing.T) {
	for _, c := range loadWycheproof(t) {
		if c.Result == "valid" {
			continue
		}
		src := bytes.NewReader(c.ct)
		_, err1 := Open(context.Background(), io.Discard, src, c.key, c.ctx, nil)
		// Continuing to read the same source must not look like success.
		_, err2 := Open(context.Background(), io.Discard, src, c.key, c.ctx, nil)
		if err1 == nil || err2 == nil {
			t.Fatalf("tc %d: Open() errors = %v, %v, want both non-nil", c.TcID, err1, err2)
		}
	}
}

// TestKeys_Derive_Wycheproof checks the derived AEAD key and base nonce of
// every vector that lists them.
func TestKeys_Derive_Wycheproof(t *testing.T) {
	for _, c := range loadWycheproof(t) {
		if len(c.aeadKey) == 0 {
			continue
		}
		okm, err := expand(c.key, c.ct[:SaltSize], c.ctx)
		if err != nil {
			t.Fatalf("tc %d: expand error: %v", c.TcID, err)
		}
		if !bytes.Equal(okm[:KeySize], c.aeadKey) {
			t.Errorf("tc %d: derived key = %x, want %x", c.TcID, okm[:KeySize], c.aeadKey)
		}
		if !bytes.Equal(okm[KeySize:KeySize+NonceSize], c.baseNonce) {
			t.Errorf("tc %d: derived base nonce = %x, want %x", c.TcID, okm[KeySize:KeySize+NonceSize], c.baseNonce)
		}
	}
}

// openRandomAccess decrypts a whole ciphertext through the random-access
// API: commitment check, chunk boundaries from the length, OpenChunk.
func openRandomAccess(key, ctx, ct []byte) ([]byte, error) {
	if len(key) != KeySize {
		return nil, ErrInvalidKeySize
	}
	if len(ct) < HeaderSize {
		return nil, ErrTruncated
	}
	keys, err := Derive(key, ct[:SaltSize], ctx)
	if err != nil {
		return nil, err
	}
	if err := CheckCommitment(key, ct[:SaltSize], ctx, [CommitmentSize]byte(ct[SaltSize:HeaderSize])); err != nil {
		return nil, err
	}
	return openChunks(keys, ct)
}

func openChunks(keys *Keys, ct []byte) ([]byte, error) {
	_, chunks, err := PlaintextSize(int64(len(ct)))
	if err != nil {
		return nil, err
	}
	var out []byte
	// Decrypt in reverse, as a seeking reader might, to show each chunk
	// stands alone.
	parts := make([][]byte, chunks)
	for i := chunks - 1; i >= 0; i-- {
		lo := ChunkOffset(uint64(i))
		hi := min(lo+EncryptedChunkSize, int64(len(ct)))
		parts[i], err = keys.OpenChunk(nil, uint64(i), ct[lo:hi])
		if err != nil {
			return nil, err
		}
	}
	for _, p := range parts {
		out = append(out, p...)
	}
	return out, nil
}

// authenticateLength decrypts only the final chunk, as a reader seeking from
// the end of the message must.
func authenticateLength(key, ctx, ct []byte) error {
	if len(key) != KeySize {
		return ErrInvalidKeySize
	}
	if len(ct) < HeaderSize {
		return ErrTruncated
	}
	if err := CheckCommitment(key, ct[:SaltSize], ctx, [CommitmentSize]byte(ct[SaltSize:HeaderSize])); err != nil {
		return err
	}
	keys, err := Derive(key, ct[:SaltSize], ctx)
	if err != nil {
		return err
	}
	_, chunks, err := PlaintextSize(int64(len(ct)))
	if err != nil {
		return err
	}
	last := uint64(chunks - 1)
	_, err = keys.OpenChunk(nil, last, ct[ChunkOffset(last):])
	return err
}

func TestKeys_OpenChunk_Wycheproof(t *testing.T) {
	for _, c := range loadWycheproof(t) {
		t.Run(c.name(), func(t *testing.T) {
			msg, err := openRandomAccess(c.key, c.ctx, c.ct)
			lenErr := authenticateLength(c.key, c.ctx, c.ct)
			if c.Result == "valid" {
				if err != nil {
					t.Fatalf("random access open(%s) error: %v", c.Comment, err)
				}
				checkMessage(t, c, "random access open", msg)
				if lenErr != nil {
					t.Fatalf("authenticating length of %s: %v", c.Comment, lenErr)
				}
				return
			}
			if err == nil {
				t.Fatalf("random access open(%s) = nil error, want an error", c.Comment)
			}
			if !c.has("ValidFinalChunk") && lenErr == nil {
				t.Fatalf("authenticating length of %s = nil error, want an error", c.Comment)
			}
			if c.has("InvalidKeySize") && !errors.Is(err, ErrInvalidKeySize) {
				t.Fatalf("random access open(%s) error = %v, want ErrInvalidKeySize", c.Comment, err)
			}
		})
	}
}

// TestKeys_OpenChunk_WycheproofRaw applies the vectors in raw mode: body only,
// decrypted with the listed AEAD key and base nonce.
func TestKeys_OpenChunk_WycheproofRaw(t *testing.T) {
	for _, c := range loadWycheproof(t) {
		if c.has("HeaderFailure") {
			continue
		}
		keys, err := newRawKeys(c.aeadKey, [NonceSize]byte(c.baseNonce))
		if err != nil {
			t.Fatalf("tc %d: newRawKeys error: %v", c.TcID, err)
		}
		// openChunks expects the header in place; its bytes are not used.
		msg, err := openChunks(keys, c.ct)
		if c.Result == "valid" {
			if err != nil {
				t.Fatalf("tc %d: raw open error: %v", c.TcID, err)
			}
			checkMessage(t, c, "raw open", msg)
		} else if err == nil {
			t.Fatalf("tc %d (%s): raw open = nil error, want an error", c.TcID, c.Comment)
		}
	}
}

// TestSeal_Wycheproof re-encrypts every valid message with the vector's salt
// and checks the ciphertext byte for byte, and the leaves and root.
func TestSeal_Wycheproof(t *testing.T) {
	for _, c := range loadWycheproof(t) {
		if c.Result != "valid" {
			continue
		}
		var msg bytes.Buffer
		if _, err := Open(context.Background(), &msg, bytes.NewReader(c.ct), c.key, c.ctx, nil); err != nil {
			t.Fatalf("tc %d: Open error: %v", c.TcID, err)
		}
		salt := [SaltSize]byte(c.ct[:SaltSize])
		for _, workers := range []int{1, 4} {
			var ct, leaves bytes.Buffer
			sum, err := Seal(context.Background(), &ct, &leaves, bytes.NewReader(msg.Bytes()), c.key, c.ctx,
				&SealOptions{Salt: &salt, Workers: workers})
			if err != nil {
				t.Fatalf("tc %d: Seal error: %v", c.TcID, err)
			}
			if !bytes.Equal(ct.Bytes(), c.ct) {
				t.Fatalf("tc %d workers=%d: Seal() differs from the vector ciphertext (len %d, want %d)",
					c.TcID, workers, ct.Len(), len(c.ct))
			}
			checkSummary(t, sum, c.ct, leaves.Bytes())
		}
	}
}

// checkSummary checks a Summary and leaf list against a ciphertext.
func checkSummary(t *testing.T, sum *Summary, ct, leafList []byte) {
	t.Helper()
	var leaves [][32]byte
	for off := HeaderSize; off < len(ct); off += EncryptedChunkSize {
		leaves = append(leaves, merkle.LeafHash(ct[off:min(off+EncryptedChunkSize, len(ct))]))
	}
	if len(ct) > HeaderSize && (len(ct)-HeaderSize)%EncryptedChunkSize == 0 {
		t.Fatalf("ciphertext of %d bytes has no short final chunk", len(ct))
	}
	if got, want := sum.CiphertextLen, uint64(len(ct)); got != want {
		t.Errorf("Summary.CiphertextLen = %d, want %d", got, want)
	}
	if got, want := sum.ChunkCount, uint64(len(leaves)); got != want {
		t.Errorf("Summary.ChunkCount = %d, want %d", got, want)
	}
	if got, want := sum.Salt[:], ct[:SaltSize]; !bytes.Equal(got, want) {
		t.Errorf("Summary.Salt = %x, want %x", got, want)
	}
	if got, want := sum.Commitment[:], ct[SaltSize:HeaderSize]; !bytes.Equal(got, want) {
		t.Errorf("Summary.Commitment = %x, want %x", got, want)
	}
	if got, want := sum.Root, merkle.Root(leaves); got != want {
		t.Errorf("Summary.Root = %x, want %x", got, want)
	}
	if leafList != nil {
		want := make([]byte, 0, len(leaves)*LeafSize)
		for _, l := range leaves {
			want = append(want, l[:]...)
		}
		if !bytes.Equal(leafList, want) {
			t.Errorf("leaf list of %d bytes differs from the chunk hashes (%d bytes)", len(leafList), len(want))
		}
	}
}

// TestDeriveRaw_Wycheproof checks the raw values handed to WebCrypto against
// the vectors, and that they agree with Derive.
func TestDeriveRaw_Wycheproof(t *testing.T) {
	for _, c := range loadWycheproof(t) {
		if len(c.aeadKey) == 0 {
			continue
		}
		raw, err := DeriveRaw(c.key, c.ct[:SaltSize], c.ctx)
		if err != nil {
			t.Fatalf("tc %d: DeriveRaw error: %v", c.TcID, err)
		}
		if !bytes.Equal(raw.AEADKey[:], c.aeadKey) || !bytes.Equal(raw.BaseNonce[:], c.baseNonce) {
			t.Errorf("tc %d: DeriveRaw() = key %x nonce %x, want %x %x", c.TcID, raw.AEADKey, raw.BaseNonce, c.aeadKey, c.baseNonce)
		}
		if !bytes.Equal(raw.Commitment[:], c.ct[SaltSize:HeaderSize]) {
			t.Errorf("tc %d: DeriveRaw().Commitment = %x, want %x", c.TcID, raw.Commitment, c.ct[SaltSize:HeaderSize])
		}
		raw.Clear()
		if raw.AEADKey != [KeySize]byte{} {
			t.Errorf("tc %d: Clear() left the key", c.TcID)
		}
	}
}
