package sdk

import (
	"context"
	"encoding/json"
	"time"

	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/grant"
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

// AppendApproval appends to c's chain an approval of request id with index
// and a share of the attacker's making: what an account that opens no share
// could sign.
func AppendApproval(ctx context.Context, c *Client, id string, index uint8) (err error) {
	defer c.begin(&err)()
	r, _, err := c.openableRequest(ctx, id)
	if err != nil {
		return err
	}
	enc, ct, err := grant.SealShare(c.id.card.c.XWingPK, []byte("forged"), make([]byte, format.ScalarSize))
	if err != nil {
		return err
	}
	return c.appendEntry(ctx, format.AccountEntry{Event: format.EventApproval, Record: r.Key, Owner: r.Owner, Object: mustID(r.ID),
		Share: &format.SealedShare{Index: index, Enc: enc, CT: ct}})
}

// SetCaches turns the client's caches of verified work (opencache.go) on or
// off, for benchmarks that compare.
func SetCaches(c *Client, on bool) { c.noCache = !on }

// ProfileJSON returns the profile in s as one profile.json of the kind
// written before journals (base and journal folded, no journal_id): a test
// edits it and saves it as profile.json, which the next Connect reads whole.
func ProfileJSON(ctx context.Context, s Storage) ([]byte, error) {
	p, _, err := readProfile(ctx, s, &journal{name: profileJournalFile})
	if err != nil {
		return nil, err
	}
	p.JournalID = ""
	return json.Marshal(p)
}

// OwnFloor returns the version of record id that the account's own chain
// holds in the profile in s (base and journal): the floor a server must not
// show it below.
func OwnFloor(ctx context.Context, s Storage, id RecordID) (uint64, error) {
	p, _, err := readProfile(ctx, s, &journal{name: profileJournalFile})
	if err != nil {
		return 0, err
	}
	st := p.Chains[p.Account]
	if st == nil || st.Records[id.String()] == nil {
		return 0, nil
	}
	return st.Records[id.String()].Version, nil
}

// SetJournalSlack sets what a journal may hold beyond half its base, so that
// a short test compacts; the func it returns restores it.
func SetJournalSlack(n int) (restore func()) {
	old := journalSlack
	journalSlack = n
	return func() { journalSlack = old }
}
