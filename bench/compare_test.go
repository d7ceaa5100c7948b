// Package bench compares Blindvault's body sealing with age and tink-go streaming
// AEAD on the same input, in the same run. It is a separate module so that the
// product never depends on either.
package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"testing"

	"filippo.io/age"
	"github.com/tink-crypto/tink-go/v2/keyset"
	"github.com/tink-crypto/tink-go/v2/streamingaead"

	"github.com/blindvault/blindvault/sdk"
)

const size = 256 << 20

var input = func() []byte {
	b := make([]byte, size)
	rand.Read(b)
	return b
}()

func BenchmarkSeal256MiB(b *testing.B) {
	b.Run("blindvault", func(b *testing.B) {
		alice, bob := people(b)
		b.SetBytes(size)
		for b.Loop() {
			// A seekable destination with a known size lets Encrypt write the body in
			// place, as it does for `blindvault encrypt -o FILE`.
			err := sdk.Encrypt(context.Background(), &discardAt{}, bytes.NewReader(input), alice,
				[]*sdk.KeyCard{bob.Card()}, &sdk.EncryptOptions{Size: size})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("age", func(b *testing.B) {
		id, _ := age.GenerateX25519Identity()
		b.SetBytes(size)
		for b.Loop() {
			w, err := age.Encrypt(io.Discard, id.Recipient())
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(w, bytes.NewReader(input))
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("tink", func(b *testing.B) {
		s := tinkAEAD(b)
		b.SetBytes(size)
		for b.Loop() {
			w, err := s.NewEncryptingWriter(io.Discard, nil)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(w, bytes.NewReader(input))
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkOpen256MiB(b *testing.B) {
	b.Run("blindvault", func(b *testing.B) {
		alice, bob := people(b)
		var file bytes.Buffer
		if err := sdk.Encrypt(context.Background(), &file, bytes.NewReader(input), alice, []*sdk.KeyCard{bob.Card()}, nil); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(size)
		for b.Loop() {
			if _, err := sdk.Decrypt(context.Background(), io.Discard, bytes.NewReader(file.Bytes()), bob, &sdk.DecryptOptions{Signer: alice.Card()}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("age", func(b *testing.B) {
		id, _ := age.GenerateX25519Identity()
		var ct bytes.Buffer
		w, _ := age.Encrypt(&ct, id.Recipient())
		w.Write(input)
		w.Close()
		b.SetBytes(size)
		for b.Loop() {
			r, err := age.Decrypt(bytes.NewReader(ct.Bytes()), id)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("tink", func(b *testing.B) {
		s := tinkAEAD(b)
		var ct bytes.Buffer
		w, _ := s.NewEncryptingWriter(&ct, nil)
		w.Write(input)
		w.Close()
		b.SetBytes(size)
		for b.Loop() {
			r, err := s.NewDecryptingReader(bytes.NewReader(ct.Bytes()), nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// discardAt is io.Discard for out-of-order writers: age and tink write to
// io.Discard, Blindvault to this.
type discardAt struct{ off, end int64 }

func (d *discardAt) Write(p []byte) (int, error) {
	d.off += int64(len(p))
	d.end = max(d.end, d.off)
	return len(p), nil
}
func (d *discardAt) WriteAt(p []byte, off int64) (int, error) {
	d.end = max(d.end, off+int64(len(p)))
	return len(p), nil
}
func (d *discardAt) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		off += d.off
	case io.SeekEnd:
		off += d.end
	}
	d.off = off
	return off, nil
}

func people(b *testing.B) (*sdk.Identity, *sdk.Identity) {
	alice, err := sdk.NewIdentity("alice")
	if err != nil {
		b.Fatal(err)
	}
	bob, err := sdk.NewIdentity("bob")
	if err != nil {
		b.Fatal(err)
	}
	return alice, bob
}

// tinkAEAD is tink's AES-256-GCM-HKDF streaming AEAD with 1 MB segments.
func tinkAEAD(b *testing.B) interface {
	NewEncryptingWriter(io.Writer, []byte) (io.WriteCloser, error)
	NewDecryptingReader(io.Reader, []byte) (io.Reader, error)
} {
	h, err := keyset.NewHandle(streamingaead.AES256GCMHKDF1MBKeyTemplate())
	if err != nil {
		b.Fatal(err)
	}
	s, err := streamingaead.New(h)
	if err != nil {
		b.Fatal(err)
	}
	return s
}
