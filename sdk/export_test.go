package sdk

import (
	"context"
	"time"

	"github.com/blindvault/blindvault/internal/format"
)

// The browser bridge, for the native tests of package sdk_test.
var (
	PutSealed    = (*Client).putSealed
	GetEncrypted = (*Client).getEncrypted
)

// SetClock sets the clock a client measures emergency delays with.
func SetClock(c *Client, now func() time.Time) { c.now = now }

// AppendRequest appends a request for key record group of owner to c's chain,
// whatever group is: what a client of the attacker's making could do.
func AppendRequest(ctx context.Context, c *Client, group, owner [32]byte) (err error) {
	defer c.begin(&err)()
	return c.appendEntry(ctx, format.AccountEntry{Event: format.EventRequest, Record: group, Owner: owner,
		Object: [32]byte{1}, Key: format.KeyID(c.id.card.c.XWingPK)})
}

// ResignHeader parses a record header, edits it, and signs it again with c's
// identity key: another header the owner could have signed for the same
// version.
func ResignHeader(c *Client, raw []byte, edit func(*format.Header)) ([]byte, error) {
	h, err := format.ParseHeader(raw)
	if err != nil {
		return nil, err
	}
	edit(h)
	if err := h.Sign(c.id.sign); err != nil {
		return nil, err
	}
	return h.Marshal(), nil
}
