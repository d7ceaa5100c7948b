package format

import (
	"bytes"
	"encoding/pem"
	"testing"
)

// fuzzParse seeds f with a valid object and some near misses, and checks that
// parsing never panics and that whatever parses re-encodes to the same bytes.
func fuzzParse(f *testing.F, c codec) {
	signed, body, priv := c.valid(f)
	f.Add(signed)
	f.Add(append(bytes.Clone(signed), 0))
	f.Add(signed[:len(signed)-1])
	f.Add(signed[:len(signed)/2])
	f.Add(c.resign(priv, append(bytes.Clone(body), 0)))
	f.Add([]byte{})
	f.Add([]byte{0, 0, 4, 1, byte(c.kind), 0, 1, 0})
	// The object with its Ed25519 key replaced by each small-order point and
	// by non-canonical encodings, signed again: all must be refused.
	if c.name != "ACL" {
		for _, w := range weakKeys() {
			f.Add(withKey(f, c, w.pk))
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		o, err := c.parse(in)
		if err != nil {
			return
		}
		if out := o.(interface{ Marshal() []byte }).Marshal(); !bytes.Equal(out, in) {
			t.Fatalf("Parse%s(%x).Marshal() = %x, want the input", c.name, in, out)
		}
	})
}

func codecNamed(name string) codec {
	for _, c := range codecs {
		if c.name == name {
			return c
		}
	}
	panic("no codec " + name)
}

func FuzzParseKeyCard(f *testing.F) {
	c := codecNamed("KeyCard")
	card, priv := newCard(f)
	next, _ := newSuccessor(f, card, priv)
	f.Add(next.Marshal())
	fuzzParse(f, c)
}

func FuzzParseRoleAttestation(f *testing.F)  { fuzzParse(f, codecNamed("RoleAttestation")) }
func FuzzParseDeviceCert(f *testing.F)       { fuzzParse(f, codecNamed("DeviceCert")) }
func FuzzParseDeviceRevocation(f *testing.F) { fuzzParse(f, codecNamed("DeviceRevocation")) }
func FuzzParseACL(f *testing.F)              { fuzzParse(f, codecNamed("ACL")) }
func FuzzParseGrant(f *testing.F)            { fuzzParse(f, codecNamed("Grant")) }
func FuzzParseHeader(f *testing.F)           { fuzzParse(f, codecNamed("Header")) }
func FuzzParseAuth(f *testing.F)             { fuzzParse(f, codecNamed("Auth")) }

func FuzzParseAccountEntry(f *testing.F) {
	// One entry of each event, each also as a successor (seq 2), since the
	// codec's fixture is only a version event at seq 1.
	for _, ev := range entryEvents {
		e, priv := newEntryWith(f, ev)
		f.Add(e.Marshal())
		e.Seq, e.PrevHash = 2, e.Hash()
		if err := e.Sign(priv); err != nil {
			f.Fatalf("AccountEntry.Sign(%s, seq 2): %v", ev, err)
		}
		f.Add(e.Marshal())
	}
	// A set-up whose holders 2 and 3 are care teams (the team list).
	th, priv := newEntryWith(f, EventThreshold)
	th.Threshold.Holders[1].Team = &TeamHolder{Admin: testID("admin"), Epoch: 1}
	th.Threshold.Holders[2].Team = &TeamHolder{Admin: testID("admin"), Epoch: 2}
	if err := th.Sign(priv); err != nil {
		f.Fatalf("AccountEntry.Sign(teams): %v", err)
	}
	f.Add(th.Marshal())
	fuzzParse(f, codecNamed("AccountEntry"))
}

func FuzzParseKeyCardText(f *testing.F) {
	c, _ := newCard(f)
	text := MarshalKeyCardText(c)
	f.Add(text)
	f.Add(pem.EncodeToMemory(&pem.Block{Type: KeyCardPEMType, Headers: map[string]string{"A": "b"}, Bytes: c.Marshal()}))
	f.Add(append(bytes.Clone(text), text...))
	f.Add(append([]byte("x\n"), text...))
	f.Add([]byte("-----BEGIN BLINDVAULT KEY CARD-----\n-----END BLINDVAULT KEY CARD-----\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		card, err := ParseKeyCardText(in)
		if err != nil {
			return
		}
		again, err := ParseKeyCardText(MarshalKeyCardText(card))
		if err != nil {
			t.Fatalf("ParseKeyCardText(MarshalKeyCardText(ParseKeyCardText(%q))) = %v", in, err)
		}
		if !bytes.Equal(again.Marshal(), card.Marshal()) {
			t.Fatalf("ParseKeyCardText(%q): text round trip changed the card", in)
		}
		block, _ := pem.Decode(bytes.TrimLeft(in, " \t\r\n"))
		if !bytes.Equal(block.Bytes, card.Marshal()) {
			t.Fatalf("ParseKeyCardText(%q).Marshal() = %x, want the block's bytes", in, card.Marshal())
		}
	})
}
