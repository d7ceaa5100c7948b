package sdk_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/blindvault/blindvault/sdk"
)

// TestClient_Versions: every version of a record, newest first, each read
// back as it was written, by its owner and by a reader it is shared with.
func TestClient_Versions(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	var id sdk.RecordID
	for i := 1; i <= 3; i++ {
		body := fmt.Appendf(nil, "note, version %d", i)
		info, err := w.patient.Put(ctx, bytes.NewReader(body), &sdk.PutOptions{Title: fmt.Sprintf("note %d", i), Update: id, Size: int64(len(body))})
		if err != nil {
			t.Fatal(err)
		}
		id = info.RecordID
	}
	if _, err := w.patient.Share(ctx, id, "dr-jones", nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*sdk.Client{w.patient, w.clinician} {
		vs, err := c.Versions(ctx, id)
		if err != nil || len(vs) != 3 {
			t.Fatalf("Versions() = %d versions, %v; want 3", len(vs), err)
		}
		for i, v := range vs {
			n := uint64(3 - i)
			if v.Version != n || v.Title != fmt.Sprintf("note %d", n) || !v.AuthorVerified || v.Author.Handle() != "alice" {
				t.Errorf("Versions()[%d] = version %d %q by %s, want version %d", i, v.Version, v.Title, v.Author.Handle(), n)
			}
			var got bytes.Buffer
			info, err := c.GetVersion(ctx, id, n, &got)
			if err != nil || info.Version != n || got.String() != fmt.Sprintf("note, version %d", n) {
				t.Errorf("GetVersion(%d) = %q, %v", n, got.String(), err)
			}
		}
	}
	if _, err := w.patient.GetVersion(ctx, id, 4, &bytes.Buffer{}); !errors.Is(err, sdk.ErrNotFound) {
		t.Errorf("GetVersion(4 of 3) = %v, want ErrNotFound", err)
	}
}
