package format

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"slices"
	"testing"
)

func TestACL_Body_Layout(t *testing.T) {
	a, _ := newACL(t)
	var want []byte
	want = append(want, 1, 5, 0, 1)
	want = append(want, a.RecordID[:]...)
	want = append(want, a.Owner[:]...)
	want = binary.BigEndian.AppendUint64(want, a.Seq)
	want = append(want, a.PrevHash[:]...)
	want = binary.BigEndian.AppendUint32(want, a.Epoch)
	want = binary.BigEndian.AppendUint16(want, uint16(33*len(a.Entries)))
	for _, e := range a.Entries {
		want = append(want, e.Reader[:]...)
		want = append(want, byte(e.Rights))
	}
	if got := a.Body(); !bytes.Equal(got, want) {
		t.Errorf("ACL.Body() = %x, want %x", got, want)
	}
}

// entriesN returns n sorted entries, the first with every right.
func entriesN(n int) []ACLEntry {
	e := make([]ACLEntry, n)
	for i := range e {
		binary.BigEndian.PutUint16(e[i].Reader[:], uint16(i))
		e[i].Reader[31] = 0xaa
		e[i].Rights = RightRead
	}
	e[0].Rights = RightsAll
	return e
}

func TestParseACL_Constraints(t *testing.T) {
	a0, _ := newACL(t)
	e := a0.Entries // sorted; e[?] holds every right
	cases := []struct {
		name   string
		mutate func(a *ACL)
		want   error
	}{
		{"seq2", func(a *ACL) { a.Seq, a.PrevHash = 2, testID("prev") }, nil},
		{"epochMax", func(a *ACL) { a.Epoch = 1<<32 - 1 }, nil},
		{"onlyOwner", func(a *ACL) { a.Entries = entriesN(1) }, nil},
		{"entries1024", func(a *ACL) { a.Entries = entriesN(1024) }, nil},
		{"seq0", func(a *ACL) { a.Seq = 0 }, ErrMalformed},
		{"seq1PrevHash", func(a *ACL) { a.PrevHash = testID("prev") }, ErrMalformed},
		{"seq2ZeroPrev", func(a *ACL) { a.Seq = 2 }, ErrMalformed},
		{"epoch0", func(a *ACL) { a.Epoch = 0 }, ErrMalformed},
		{"noEntries", func(a *ACL) { a.Entries = nil }, ErrMalformed},
		{"entries1025", func(a *ACL) { a.Entries = entriesN(1025) }, ErrMalformed},
		{"duplicate", func(a *ACL) { a.Entries = []ACLEntry{e[0], e[0], e[1], e[2]} }, ErrMalformed},
		{"descending", func(a *ACL) { a.Entries = []ACLEntry{e[2], e[1], e[0]} }, ErrMalformed},
		{"lastOutOfOrder", func(a *ACL) { a.Entries = []ACLEntry{e[0], e[2], e[1]} }, ErrMalformed},
		{"rightsNone", func(a *ACL) { a.Entries = append(entriesN(1), ACLEntry{Reader: [32]byte{0xff}, Rights: 0}) }, ErrMalformed},
		{"writeWithoutRead", func(a *ACL) { a.Entries = append(entriesN(1), ACLEntry{Reader: [32]byte{0xff}, Rights: RightWrite}) }, ErrMalformed},
		{"shareWithoutRead", func(a *ACL) {
			a.Entries = append(entriesN(1), ACLEntry{Reader: [32]byte{0xff}, Rights: RightShare | RightWrite})
		}, ErrMalformed},
		{"unknownBit", func(a *ACL) {
			a.Entries = append(entriesN(1), ACLEntry{Reader: [32]byte{0xff}, Rights: RightRead | 0x08})
		}, ErrMalformed},
		{"highBit", func(a *ACL) {
			a.Entries = append(entriesN(1), ACLEntry{Reader: [32]byte{0xff}, Rights: RightsAll | 0x80})
		}, ErrMalformed},
		{"noOwnerEntry", func(a *ACL) {
			a.Entries = entriesN(2)
			a.Entries[0].Rights = RightRead | RightWrite
		}, ErrMalformed},
	}
	for _, tc := range cases {
		a, priv := newACL(t)
		tc.mutate(a)
		a.Signature = forceSign(priv, KindACL, a.Body())
		got, err := ParseACL(a.Marshal())
		if tc.want == nil && err != nil || !errors.Is(err, tc.want) {
			t.Errorf("ParseACL(%s) = %v, want %v", tc.name, err, tc.want)
			continue
		}
		if err == nil && !reflect.DeepEqual(got, a) {
			t.Errorf("ParseACL(%s) = %+v, want %+v", tc.name, got, a)
		}
		if err := a.Sign(priv); (err == nil) != (tc.want == nil) {
			t.Errorf("ACL{%s}.Sign() = %v", tc.name, err)
		}
	}
}

// Entry lists whose length is not a multiple of 33 bytes are malformed.
func TestParseACL_PartialEntry(t *testing.T) {
	a, priv := newACL(t)
	body := a.Body()
	n := len(body) - 2 - 33*len(a.Entries) // offset of the u16 entries length
	for _, extra := range []int{-1, 1, 32} {
		b := bytes.Clone(body)
		if extra < 0 {
			b = b[:len(b)+extra]
		} else {
			b = append(b, make([]byte, extra)...)
		}
		binary.BigEndian.PutUint16(b[n:], uint16(len(b)-n-2))
		in := SignedForm(b, forceSign(priv, KindACL, b), false, nil)
		if _, err := ParseACL(in); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseACL(entries of %d bytes) = %v, want ErrMalformed", len(b)-n-2, err)
		}
	}
}

func TestACL_Lookup(t *testing.T) {
	a, _ := newACL(t)
	for _, tc := range []struct {
		name   string
		rights Rights
		ok     bool
	}{{"alice", RightsAll, true}, {"bob", RightRead, true}, {"carol", RightRead | RightWrite, true}, {"dave", 0, false}} {
		r, ok := a.Lookup(KeyID(testXWing(t, tc.name)))
		if r != tc.rights || ok != tc.ok {
			t.Errorf("ACL.Lookup(%s) = %v, %v, want %v, %v", tc.name, r, ok, tc.rights, tc.ok)
		}
	}
}

func TestRights_String(t *testing.T) {
	for r, want := range map[Rights]string{
		0: "", RightRead: "read", RightsAll: "read,write,share", RightRead | RightShare: "read,share", 0x09: "read,0x08",
	} {
		if got := r.String(); got != want {
			t.Errorf("Rights(%#x).String() = %q, want %q", uint8(r), got, want)
		}
	}
	if !RightsAll.Has(RightRead|RightShare) || RightRead.Has(RightRead|RightWrite) {
		t.Errorf("Rights.Has is wrong")
	}
}

func TestACL_VerifySuccessor(t *testing.T) {
	prev, priv := newACL(t)
	next := func(mutate func(a *ACL)) *ACL {
		a := &ACL{RecordID: prev.RecordID, Owner: prev.Owner, Seq: 2, PrevHash: prev.Hash(),
			Epoch: prev.Epoch, Entries: append([]ACLEntry(nil), prev.Entries...)}
		mutate(a)
		a.Signature = forceSign(priv, KindACL, a.Body())
		return a
	}
	without := func(name string) func(a *ACL) {
		return func(a *ACL) {
			id := KeyID(testXWing(t, name))
			a.Entries = slices.DeleteFunc(a.Entries, func(e ACLEntry) bool { return e.Reader == id })
		}
	}
	add := func(a *ACL) {
		a.Entries = append(a.Entries, ACLEntry{Reader: KeyID(testXWing(t, "dave")), Rights: RightRead})
		sortEntries(a.Entries)
	}
	cases := []struct {
		name   string
		mutate func(a *ACL)
		want   error
	}{
		{"addReaderSameEpoch", add, nil},
		{"addReaderNewEpoch", func(a *ACL) { add(a); a.Epoch++ }, nil},
		{"removeReaderNewEpoch", func(a *ACL) { without("bob")(a); a.Epoch++ }, nil},
		{"dropWriteSameEpoch", func(a *ACL) {
			for i := range a.Entries {
				if a.Entries[i].Rights == RightRead|RightWrite {
					a.Entries[i].Rights = RightRead
				}
			}
		}, nil},
		{"removeReaderSameEpoch", without("bob"), ErrBadChain},
		{"epochSkip", func(a *ACL) { a.Epoch += 2 }, ErrBadChain},
		{"epochBack", func(a *ACL) { a.Epoch = 0 }, ErrBadChain},
		{"seqSkip", func(a *ACL) { a.Seq = 3 }, ErrBadChain},
		{"wrongPrevHash", func(a *ACL) { a.PrevHash = testID("other") }, ErrBadChain},
		{"otherRecord", func(a *ACL) { a.RecordID = testID("other") }, ErrBadChain},
		{"otherOwner", func(a *ACL) { a.Owner = testID("other") }, ErrBadChain},
	}
	for _, tc := range cases {
		if err := next(tc.mutate).VerifySuccessor(prev); tc.want == nil && err != nil || !errors.Is(err, tc.want) {
			t.Errorf("ACL.VerifySuccessor(%s) = %v, want %v", tc.name, err, tc.want)
		}
	}
	if err := prev.VerifySuccessor(nil); !errors.Is(err, ErrBadChain) {
		t.Errorf("ACL.VerifySuccessor(nil) = %v, want ErrBadChain", err)
	}
	// Epoch 2^32-1 cannot move on.
	last := *prev
	last.Epoch = 1<<32 - 1
	n := &ACL{RecordID: last.RecordID, Owner: last.Owner, Seq: 2, PrevHash: last.Hash(), Epoch: 0, Entries: last.Entries}
	if err := n.VerifySuccessor(&last); !errors.Is(err, ErrBadChain) {
		t.Errorf("ACL{epoch 0}.VerifySuccessor(epoch 2^32-1) = %v, want ErrBadChain", err)
	}
}
