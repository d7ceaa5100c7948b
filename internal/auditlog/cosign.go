package auditlog

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// Witness cosignatures follow c2sp.org/tlog-cosignature, Ed25519 type
// (cosignature/v1): the signature line's bytes are a key id, a big-endian
// u64 timestamp and an Ed25519 signature over
//
//	"cosignature/v1\ntime <timestamp>\n" ‖ the checkpoint body.

const algCosignatureV1 = 0x04

func cosignatureKeyHash(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.New()
	h.Write([]byte(name + "\n"))
	h.Write([]byte{algCosignatureV1})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

func cosignedMessage(ts uint64, body []byte) []byte {
	return append([]byte("cosignature/v1\ntime "+strconv.FormatUint(ts, 10)+"\n"), body...)
}

// Cosigner signs checkpoints as a witness.
type Cosigner struct {
	name string
	priv ed25519.PrivateKey
	Now  func() time.Time
}

// NewCosigner returns a witness signer named name (a schema-less URL).
func NewCosigner(name string, priv ed25519.PrivateKey) *Cosigner {
	return &Cosigner{name: name, priv: priv, Now: time.Now}
}

func (c *Cosigner) Name() string { return c.name }
func (c *Cosigner) KeyHash() uint32 {
	return cosignatureKeyHash(c.name, c.priv.Public().(ed25519.PublicKey))
}

// Sign returns timestamp ‖ signature over the cosigned message of body.
func (c *Cosigner) Sign(body []byte) ([]byte, error) {
	ts := uint64(c.Now().Unix())
	sig := ed25519.Sign(c.priv, cosignedMessage(ts, body))
	return append(binary.BigEndian.AppendUint64(nil, ts), sig...), nil
}

// VerifierKey returns the witness's vkey: name+hash+base64(0x04 ‖ public key).
func (c *Cosigner) VerifierKey() string {
	pub := c.priv.Public().(ed25519.PublicKey)
	return fmt.Sprintf("%s+%08x+%s", c.name, c.KeyHash(), base64.StdEncoding.EncodeToString(append([]byte{algCosignatureV1}, pub...)))
}

// cosigVerifier verifies cosignature/v1 signatures of one witness.
type cosigVerifier struct {
	name string
	hash uint32
	pub  ed25519.PublicKey
}

// NewCosignatureVerifier parses a witness vkey made by Cosigner.VerifierKey.
func NewCosignatureVerifier(vkey string) (note.Verifier, error) {
	name, rest, ok1 := strings.Cut(vkey, "+")
	hexHash, key64, ok2 := strings.Cut(rest, "+")
	h, err1 := strconv.ParseUint(hexHash, 16, 32)
	key, err2 := base64.StdEncoding.DecodeString(key64)
	if !ok1 || !ok2 || err1 != nil || err2 != nil || len(key) != 1+ed25519.PublicKeySize || key[0] != algCosignatureV1 || name == "" {
		return nil, errors.New("auditlog: malformed witness key")
	}
	v := &cosigVerifier{name: name, hash: uint32(h), pub: ed25519.PublicKey(key[1:])}
	if cosignatureKeyHash(name, v.pub) != v.hash {
		return nil, errors.New("auditlog: witness key hash does not match")
	}
	return v, nil
}

func (v *cosigVerifier) Name() string    { return v.name }
func (v *cosigVerifier) KeyHash() uint32 { return v.hash }

func (v *cosigVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	ts := binary.BigEndian.Uint64(sig[:8])
	return ts < 1<<63 && ed25519.Verify(v.pub, cosignedMessage(ts, msg), sig[8:])
}

// cosignatureTime returns the timestamp of a verified cosignature line's
// base64 (key id ‖ timestamp ‖ signature).
func cosignatureTime(b64 string) (int64, bool) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) != 4+8+ed25519.SignatureSize {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(raw[4:12])), true
}

// WitnessRequest encodes a c2sp.org/tlog-witness add-checkpoint body: the
// size the witness last cosigned, the consistency proof from it, a blank
// line, and the signed checkpoint.
func WitnessRequest(oldSize int64, proof [][32]byte, signed []byte) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "old %d\n", oldSize)
	for _, h := range proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]) + "\n")
	}
	b.WriteString("\n")
	b.Write(signed)
	return []byte(b.String())
}
