package testkit_test

import (
	"bytes"
	"path"
	"testing"

	"github.com/blindvault/blindvault/internal/testkit"
)

// FuzzParse: a kit file that parses writes out to one that parses the same.
func FuzzParse(f *testing.F) {
	for name, data := range checkedIn(f) {
		if path.Dir(name) == "." {
			f.Add(data[:min(len(data), 512)])
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := testkit.Parse("fuzz", data)
		if err != nil {
			return
		}
		again, err := testkit.Parse("fuzz", v.Marshal())
		if err != nil {
			t.Fatalf("Parse(Marshal(v)) error = %v", err)
		}
		if !bytes.Equal(again.Marshal(), v.Marshal()) {
			t.Errorf("Marshal(Parse(Marshal(v))) differs from Marshal(v)")
		}
	})
}
