package format

import (
	"bytes"
	"errors"
	"testing"
)

// withTeams returns alice's threshold entry whose holders 2 and 3 are care
// teams, signed.
func withTeams(t *testing.T) *AccountEntry {
	t.Helper()
	e, priv := newEntryWith(t, EventThreshold)
	e.Threshold.Holders[1].Team = &TeamHolder{Admin: testID("admin"), Epoch: 1}
	e.Threshold.Holders[2].Team = &TeamHolder{Admin: testID("admin"), Epoch: 4}
	if err := e.Sign(priv); err != nil {
		t.Fatalf("AccountEntry.Sign: %v", err)
	}
	return e
}

func TestThreshold_TeamHolders_RoundTrip(t *testing.T) {
	e := withTeams(t)
	got, err := ParseAccountEntry(e.Marshal())
	if err != nil {
		t.Fatalf("ParseAccountEntry(set-up with teams) = %v", err)
	}
	hs := got.Threshold.Holders
	if hs[0].Team != nil || hs[1].Team == nil || hs[1].Team.Epoch != 1 || hs[2].Team == nil ||
		hs[2].Team.Epoch != 4 || hs[2].Team.Admin != testID("admin") {
		t.Fatalf("ParseAccountEntry teams = %+v %+v %+v, want holders 2 and 3 teams of admin at epochs 1 and 4",
			hs[0].Team, hs[1].Team, hs[2].Team)
	}
	if !bytes.Equal(got.Marshal(), e.Marshal()) {
		t.Fatalf("ParseAccountEntry(x).Marshal() != x")
	}
	// 1 + 2 × 37 bytes more than the same set-up of accounts alone.
	plain, _ := newEntryWith(t, EventThreshold)
	if d := len(e.Body()) - len(plain.Body()); d != 1+2*teamHolderSize {
		t.Fatalf("team list size = %d, want %d", d, 1+2*teamHolderSize)
	}
}

// The team list has one encoding: present only with a team, by increasing
// index, each index a holder of the set-up, epochs from 1.
func TestThreshold_TeamHolders_Malformed(t *testing.T) {
	e := withTeams(t)
	priv := testEd25519("alice")
	body := e.Body()
	list := len(body) - 1 - 2*teamHolderSize
	edit := func(f func(b []byte) []byte) []byte {
		b := f(bytes.Clone(body))
		return SignedForm(b, forceSign(priv, KindAccountEntry, b), false, nil)
	}
	for name, in := range map[string][]byte{
		"an empty team list": edit(func(b []byte) []byte { return append(b[:list], 0) }),
		"more teams than holders": edit(func(b []byte) []byte {
			b[list] = 4
			return b
		}),
		"indexes not increasing": edit(func(b []byte) []byte {
			b[list+1], b[list+1+teamHolderSize] = 3, 2
			return b
		}),
		"an index past n": edit(func(b []byte) []byte {
			b[list+1+teamHolderSize] = 4
			return b
		}),
		"a truncated team": edit(func(b []byte) []byte { return b[:len(b)-1] }),
		"epoch 0": edit(func(b []byte) []byte {
			copy(b[len(b)-4:], []byte{0, 0, 0, 0})
			return b
		}),
	} {
		if _, err := ParseAccountEntry(in); !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTrailingData) {
			t.Errorf("ParseAccountEntry(%s) = %v, want ErrMalformed or ErrTrailingData", name, err)
		}
	}
}
