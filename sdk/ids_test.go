package sdk

import (
	"fmt"
	"strings"
	"testing"
)

// Ids print as 64 hex digits with any verb, as the server's paths want them.
func TestIDs_Format(t *testing.T) {
	var id RecordID
	id[0], id[31] = 0xab, 0x01
	want := "ab" + strings.Repeat("0", 60) + "01"
	for _, got := range []string{id.String(), fmt.Sprintf("%x", id), fmt.Sprintf("%s", id), fmt.Sprintf("%v", id), fmt.Sprint(AccountID(id))} {
		if got != want {
			t.Errorf("id printed as %q, want %q", got, want)
		}
	}
	if back, err := ParseRecordID(want); err != nil || back != id {
		t.Errorf("ParseRecordID(%q) = %x, %v", want, back, err)
	}
}
