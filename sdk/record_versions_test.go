//go:build !js

package sdk_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/blindvault/blindvault/internal/format"
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

// TestAttack_EarlierVersionSwapped: the server answers for version 1 with
// another header the owner signed for version 1 (an equivocation no floor
// catches, as the device never saw version 1's hash): it is not the version
// 2 names, and both Versions and GetVersion refuse it.
func TestAttack_EarlierVersionSwapped(t *testing.T) {
	_, p, alice := newPatient(t)
	ctx := t.Context()
	rec := put(t, alice, []byte("version 1"), "note")
	for _, body := range []string{"version 2", "version 3"} {
		if _, err := alice.Put(ctx, strings.NewReader(body), &sdk.PutOptions{Update: rec.RecordID, Size: int64(len(body))}); err != nil {
			t.Fatal(err)
		}
	}
	path := fmt.Sprintf("/v1/records/%x/versions/1", rec.RecordID)
	p.attack(t, "GET", path, editJSON(t, func(m map[string]json.RawMessage) {
		var raw []byte
		if err := json.Unmarshal(m["header"], &raw); err != nil {
			t.Fatal(err)
		}
		forged, err := sdk.ResignHeader(alice, raw, func(h *format.Header) { h.Created++ })
		if err != nil {
			t.Fatal(err)
		}
		m["header"] = toJSON(forged)
	}))
	if _, err := alice.Versions(ctx, rec.RecordID); !errors.Is(err, sdk.CheckWrongRecord) {
		t.Errorf("Versions() with version 1 swapped = %v, want CheckWrongRecord", err)
	}
	var got bytes.Buffer
	_, err := alice.GetVersion(ctx, rec.RecordID, 1, &got)
	refused(t, "GetVersion(1)", err, sdk.CheckWrongRecord, got.Bytes())
}
