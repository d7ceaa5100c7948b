package objects

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/blindvault/blindvault/internal/format"
)

// vectors returns the valid objects of sdk/testdata/format-v1.json as
// (type, data) pairs.
func vectors(t testing.TB) (types []string, data [][]byte) {
	raw, err := os.ReadFile("../../../sdk/testdata/format-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Valid []struct{ Type, Signed, Text string }
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	for _, o := range v.Valid {
		b, err := hex.DecodeString(o.Signed)
		if err != nil {
			t.Fatal(err)
		}
		types, data = append(types, o.Type), append(data, b)
		if o.Text != "" {
			types, data = append(types, "KeyCardText"), append(data, []byte(o.Text))
		}
	}
	return types, data
}

func TestParse_Vectors(t *testing.T) {
	types, data := vectors(t)
	for i, typ := range types {
		o, _, err := Parse(typ, data[i])
		if err != nil {
			t.Errorf("Parse(%s, vector %d) = %v", typ, i, err)
			continue
		}
		if typ != "KeyCardText" && !bytes.Equal(o.Marshal(), data[i]) {
			t.Errorf("Parse(%s, vector %d).Marshal() differs from the input", typ, i)
		}
	}
	if _, _, err := Parse("Nope", nil); !errors.Is(err, ErrUnknownType) {
		t.Errorf("Parse(Nope) = %v, want ErrUnknownType", err)
	}
	if _, _, err := Parse("KeyCard", make([]byte, MaxSize+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Parse(KeyCard, MaxSize+1 bytes) = %v, want ErrTooLarge", err)
	}
}

var formatErrors = []error{format.ErrUnknownVersion, format.ErrUnknownKind, format.ErrUnknownSuite,
	format.ErrTrailingData, format.ErrMalformed, format.ErrTooLarge, format.ErrBadSignature,
	format.ErrBadChain, format.ErrUnknownEvent, ErrUnknownType, ErrTooLarge}

// FuzzParse: the first byte picks the type (past the known types: an unknown
// name), the rest is the object. Nothing panics; every error is one of the
// format package's or ErrUnknownType; whatever parses has a hash, re-encodes
// to its input (binary types) or parses again to the same object (text).
func FuzzParse(f *testing.F) {
	names := Types()
	slices.Sort(names)
	types, data := vectors(f)
	for i, typ := range types {
		k := byte(slices.Index(names, typ))
		f.Add(append([]byte{k}, data[i]...))
		f.Add(append([]byte{k}, data[i][:len(data[i])/2]...))
	}
	f.Add([]byte{byte(len(names))})
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		typ := "Unknown"
		if int(in[0]) < len(names) {
			typ = names[in[0]]
		}
		o, kind, err := Parse(typ, in[1:])
		if err != nil {
			if !slices.ContainsFunc(formatErrors, func(e error) bool { return errors.Is(err, e) }) {
				t.Fatalf("Parse(%s, %x) = %v, not a typed error", typ, in[1:], err)
			}
			return
		}
		_ = o.Hash()
		_ = kind.Purpose()
		if typ == "KeyCardText" {
			again, _, err := Parse("KeyCard", o.Marshal())
			if err != nil || again.Hash() != o.Hash() {
				t.Fatalf("Parse(KeyCard, Parse(KeyCardText).Marshal()) = %v", err)
			}
			return
		}
		if !bytes.Equal(o.Marshal(), in[1:]) {
			t.Fatalf("Parse(%s, %x).Marshal() = %x, want the input", typ, in[1:], o.Marshal())
		}
	})
}
