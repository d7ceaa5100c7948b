package sdk

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/grant"
)

// A threshold key a requester recovered (OpenEmergency) is kept in the
// profile, so that the records it opens stay readable after a restart
// without asking the holders again: its X-Wing seed, HPKE-sealed to this
// account's own X-Wing key (threshold-v1 §5), so the profile file holds
// nothing that opens it without the identity's keys, which are encrypted
// under the passphrase. It is used only while the access is still valid:
// the owner's chain (synced against the log) still sets up that key, its key
// record is not deleted and the owner has not refused the request since. An
// honest client stops there; the key itself cannot be taken back (the
// threat model's "once k holders approved").

// keptKey is a recovered threshold key in the profile.
type keptKey struct {
	Owner   string `json:"owner"`   // the key's owner, hex
	Group   string `json:"group"`   // its key record id, hex
	Request string `json:"request"` // the request it was recovered for, hex
	To      string `json:"to"`      // KeyID of this account's X-Wing key sealed to, hex
	Enc     []byte `json:"enc"`
	CT      []byte `json:"ct"`
}

// keptInfo is the HPKE info of a kept key's seal: "blindvault.v1 recovered
// key" ‖ group_id ‖ request_hash.
func keptInfo(group, request [32]byte) []byte {
	info := append([]byte("blindvault.v1 recovered key"), group[:]...)
	return append(info, request[:]...)
}

// keepKey seals the recovered key's seed to this account and keeps it in
// the profile, under the key's KeyID.
func (c *Client) keepKey(ctx context.Context, key *ThresholdKey, request [32]byte, seed []byte) error {
	own := c.id.card.c.XWingPK
	enc, ct, err := grant.SealShare(own, keptInfo(key.ID, request), seed)
	if err != nil {
		return err
	}
	if c.prof.Recovered == nil {
		c.prof.Recovered = map[string]*keptKey{}
	}
	to := format.KeyID(own)
	kid := format.KeyID(key.pk)
	c.prof.Recovered[hex.EncodeToString(kid[:])] = &keptKey{Owner: hex.EncodeToString(key.Owner[:]), Group: hex.EncodeToString(key.ID[:]),
		Request: hex.EncodeToString(request[:]), To: hex.EncodeToString(to[:]), Enc: enc, CT: ct}
	return c.saveProfile(ctx)
}

// keptThresholdKey returns the kept key whose KeyID is want, if the access
// it gave is still valid; a kept key no longer valid is forgotten. It
// returns nil, nil when there is none.
func (c *Client) keptThresholdKey(ctx context.Context, want [32]byte) (*grant.PrivateKey, error) {
	name := hex.EncodeToString(want[:])
	kk := c.prof.Recovered[name]
	if kk == nil {
		return nil, nil
	}
	owner, oerr := hex.DecodeString(kk.Owner)
	group, gerr := hex.DecodeString(kk.Group)
	request, rerr := hex.DecodeString(kk.Request)
	if oerr != nil || gerr != nil || rerr != nil || len(owner) != 32 || len(group) != 32 || len(request) != 32 {
		return nil, fmt.Errorf("%w: profile recovered key %s", ErrInvalid, name[:8])
	}
	valid, err := c.stillValid(ctx, [32]byte(owner), [32]byte(group), kk.Request, want)
	if err != nil {
		return nil, err
	}
	own := format.KeyID(c.id.card.c.XWingPK)
	if !valid || kk.To != hex.EncodeToString(own[:]) { // or sealed to a key this account rotated away
		delete(c.prof.Recovered, name)
		return nil, c.saveProfile(ctx)
	}
	seed, err := c.id.xkey.OpenShare(keptInfo([32]byte(group), [32]byte(request)), kk.Enc, kk.CT)
	if err != nil {
		return nil, fmt.Errorf("%w: profile recovered key %s does not open: %w", ErrInvalid, name[:8], err)
	}
	defer clear(seed)
	k, err := grant.NewPrivateKey(seed)
	if err != nil {
		return nil, err
	}
	if format.KeyID(k.Public()) != want {
		return nil, fmt.Errorf("%w: profile recovered key %s is another key", ErrInvalid, name[:8])
	}
	if c.thresholdKeys == nil {
		c.thresholdKeys = map[[32]byte]*grant.PrivateKey{}
	}
	c.thresholdKeys[want] = k
	return k, nil
}

// stillValid reports whether owner's chain, synced against the log now,
// still sets up the threshold key group with KeyID want (its key record not
// deleted) and holds no refusal of request (hex).
func (c *Client) stillValid(ctx context.Context, owner, group [32]byte, request string, want [32]byte) (bool, error) {
	ks, err := c.thresholdKeysOf(ctx, owner)
	if err != nil {
		return false, err
	}
	i := slices.IndexFunc(ks, func(k *ThresholdKey) bool { return k.ID == group })
	if i < 0 || format.KeyID(ks[i].pk) != want {
		return false, nil
	}
	st, err := c.chainOf(ctx, owner)
	if err != nil {
		return false, err
	}
	return !slices.Contains(st.Refused, request), nil
}
