package server

import (
	"bytes"
	"errors"
	"io"
	"net/http"

	"golang.org/x/crypto/cryptobyte"

	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/server/store"
)

// A versioned PUT is one octet stream: a frame of length-prefixed parts, then
// the body ciphertext.
//
//	frame  = u24<signed header>
//	       ‖ u24<signed ACL, or empty>
//	       ‖ u24<grant item*>
//	       ‖ u24<chain item, or empty>
//	       ‖ u32<leaf list>
//	grant  = u16<[32] recipient account_id ‖ signed grant>
//	chain  = u64 seq ‖ account-chain entry (1..16384 bytes, format-v1 §2.9)
//	body   = exactly header.ciphertext_len bytes
//
// A grant names its recipient by KeyID only; the account id beside it lets the
// server file the grant under the account (for "shared with me" and for
// authorization) after checking that the account's current key card has that
// KeyID.

// Bounds of the frame's parts, checked before any part is read.
const (
	maxHeaderPart  = 16 << 10 // format-v1 §2.7
	maxACLPart     = 64 << 10 // §2.5
	maxGrants      = 1024     // as many as an ACL has entries
	maxGrantItem   = 32 + 4<<10
	maxGrantsPart  = maxGrants * (2 + maxGrantItem)
	maxChainEntry  = format.MaxAccountEntrySize
	maxChainItem   = 8 + maxChainEntry
	leafSize       = 32
	bodyChunk      = 16384 // plaintext per chunk, format-v1 §4
	frameFixedPart = 3 + maxHeaderPart + 3 + maxACLPart + 3 + maxGrantsPart + 3 + maxChainItem + 4
)

// versionFrame is the frame of a versioned PUT, split but not yet verified.
type versionFrame struct {
	Header []byte
	ACL    []byte
	Grants []frameGrant
	Chain  *chainItem
	Leaves []byte
}

// frameGrant is a signed grant and the account it is filed under.
type frameGrant struct {
	Account store.AccountID
	Signed  []byte
}

// chainItem is an account-chain entry and the seq its author gave it.
type chainItem struct {
	Seq   uint64
	Entry []byte
}

// maxLeavesFor bounds the leaf list of a body of at most maxBody bytes: a
// chunk carries at most 16 KiB of plaintext.
func maxLeavesFor(maxBody int64) int64 {
	return leafSize * (maxBody/bodyChunk + 2)
}

// readFrame reads the frame from r, a request of size bytes (-1: unknown),
// leaving r at the first body byte. A part that declares more bytes than the
// request holds is malformed (400), like a short or malformed part; one that
// the request could hold but is longer than its bound is 413, before it is
// read.
func readFrame(r io.Reader, size, maxLeaves int64) (*versionFrame, error) {
	var f versionFrame
	var err error
	in := &frameIn{r: r, left: size}
	if f.Header, err = in.part(3, maxHeaderPart, "header"); err != nil {
		return nil, err
	}
	if len(f.Header) == 0 {
		return nil, errorf(http.StatusBadRequest, "bad_frame", "the header is empty")
	}
	if f.ACL, err = in.part(3, maxACLPart, "ACL"); err != nil {
		return nil, err
	}
	grants, err := in.part(3, maxGrantsPart, "grant list")
	if err != nil {
		return nil, err
	}
	if f.Grants, err = parseGrantItems(grants); err != nil {
		return nil, err
	}
	chain, err := in.part(3, maxChainItem, "chain entry")
	if err != nil {
		return nil, err
	}
	if f.Chain, err = parseChainItem(chain); err != nil {
		return nil, err
	}
	if f.Leaves, err = in.part(4, maxLeaves, "leaf list"); err != nil {
		return nil, err
	}
	return &f, nil
}

// frameIn reads a frame's parts and counts the request bytes left.
type frameIn struct {
	r    io.Reader
	left int64 // -1: the request's size is unknown
}

// part reads a part prefixed by its length as a big-endian integer of prefix
// bytes (3 or 4).
func (in *frameIn) part(prefix int, limit int64, what string) ([]byte, error) {
	r := in.r
	var lb [4]byte
	if _, err := io.ReadFull(r, lb[:prefix]); err != nil {
		return nil, frameReadError(err, what)
	}
	var n int64
	for _, b := range lb[:prefix] {
		n = n<<8 | int64(b)
	}
	if in.left >= 0 {
		if in.left -= int64(prefix); n > in.left {
			return nil, errorf(http.StatusBadRequest, "bad_frame", "the %s declares %d bytes, the request holds %d more", what, n, in.left)
		}
		in.left -= n
	}
	if n > limit {
		return nil, errorf(http.StatusRequestEntityTooLarge, "too_large", "%s of %d bytes, limit %d", what, n, limit)
	}
	// A part grows as its bytes arrive: a client declaring megabytes and
	// sending nothing holds no more memory than it sent.
	var buf bytes.Buffer
	buf.Grow(int(min(n, 16<<10)))
	if m, err := io.CopyN(&buf, r, n); err != nil {
		if errors.Is(err, io.EOF) && m < n {
			err = io.ErrUnexpectedEOF
		}
		return nil, frameReadError(err, what)
	}
	return buf.Bytes(), nil
}

// frameReadError turns a failed read of a part into an API error: a request
// over its byte limit is 413, one that ends early 400; anything else (a broken
// connection) is returned as it is.
func frameReadError(err error, what string) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return errorf(http.StatusRequestEntityTooLarge, "too_large", "request over %d bytes", mbe.Limit)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errorf(http.StatusBadRequest, "bad_frame", "the request ends inside the %s", what)
	}
	return err
}

// parseGrantItems splits the grant list into items of u16<[32] account ‖
// signed grant>.
func parseGrantItems(b []byte) ([]frameGrant, error) {
	s := cryptobyte.String(b)
	var out []frameGrant
	for !s.Empty() {
		var item cryptobyte.String
		if !s.ReadUint16LengthPrefixed(&item) || len(item) <= 32 || len(item) > maxGrantItem {
			return nil, errorf(http.StatusBadRequest, "bad_frame", "grant %d is malformed", len(out))
		}
		if len(out) == maxGrants {
			return nil, errorf(http.StatusRequestEntityTooLarge, "too_large", "more than %d grants", maxGrants)
		}
		out = append(out, frameGrant{Account: store.AccountID(item[:32]), Signed: append([]byte(nil), item[32:]...)})
	}
	return out, nil
}

// parseChainItem reads u64 seq ‖ entry; empty means no entry.
func parseChainItem(b []byte) (*chainItem, error) {
	if len(b) == 0 {
		return nil, nil
	}
	s := cryptobyte.String(b)
	var c chainItem
	if !s.ReadUint64(&c.Seq) || c.Seq == 0 || s.Empty() || len(s) > maxChainEntry {
		return nil, errorf(http.StatusBadRequest, "bad_chain_entry", "a chain item is a u64 seq ≥ 1 and 1 to %d bytes of entry", maxChainEntry)
	}
	c.Entry = append([]byte(nil), s...)
	return &c, nil
}
