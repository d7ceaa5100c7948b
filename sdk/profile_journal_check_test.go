package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
)

// Every test of the package checks each profile write (checkWritten): the
// profile read back from the storage, base and journal, must encode as the
// one in memory. A run of benchmarks (-test.bench) does without: it reads
// the whole profile, which is what the journal saves a write.
func init() {
	SetJournalCheck(true)
}

// SetJournalCheck turns the check of every profile write on or off.
func SetJournalCheck(on bool) {
	checkWritten = nil
	if on {
		checkWritten = checkProfileWritten
	}
}

func checkProfileWritten(ctx context.Context, c *Client) error {
	if f := flag.Lookup("test.bench"); f != nil && f.Value.String() != "" {
		return nil
	}
	j := journal{name: profileJournalFile}
	got, _, err := readProfile(ctx, c.storage, &j)
	if err != nil {
		return fmt.Errorf("profile journal check: reading back: %w", err)
	}
	a, err1 := json.Marshal(got)
	b, err2 := json.Marshal(c.prof)
	if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
		return fmt.Errorf("profile journal check: the profile read back differs from the one written:\n%s\n%s", a, b)
	}
	return nil
}
