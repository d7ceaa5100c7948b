package storagename

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, name := range []string{"profile.json", "keys", "a-b_c.d", "A9", strings.Repeat("a", MaxLen)} {
		if err := Check(name); err != nil {
			t.Errorf("Check(%q) = %v, want nil", name, err)
		}
	}
	for _, name := range []string{"", ".", "..", "../keys", "a/b", "/keys", `a\b`, "./keys", "keys/",
		".hidden", "a\x00b", "ké", "a b", strings.Repeat("a", MaxLen+1)} {
		if err := Check(name); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Check(%q) = %v, want fs.ErrInvalid", name, err)
		}
	}
}
