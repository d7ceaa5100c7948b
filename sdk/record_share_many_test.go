//go:build !js

package sdk_test

import (
	"errors"
	"testing"

	"github.com/blindvault/blindvault/sdk"
)

// ShareRecords shares every record it is given in one operation, as Share
// shares one; a restricted record among them stops it before any is shared.
func TestClient_ShareRecords(t *testing.T) {
	w := newWorld(t)
	var ids []sdk.RecordID
	for _, title := range []string{"a", "b", "c"} {
		ids = append(ids, put(t, w.patient, []byte("body "+title), title).RecordID)
	}
	restricted := put(t, w.patient, []byte("private"), "private").RecordID
	if err := w.patient.Restrict(t.Context(), restricted); err != nil {
		t.Fatalf("Restrict: %v", err)
	}
	if _, err := w.patient.ShareRecords(t.Context(), append(ids[:2:2], restricted), "dr-jones", nil); !errors.Is(err, sdk.ErrRestricted) {
		t.Fatalf("ShareRecords with a restricted record = %v, want ErrRestricted", err)
	}
	if list, err := w.clinician.List(t.Context()); err != nil || len(list) != 0 {
		t.Fatalf("clinician's List after a refused ShareRecords = %d records, %v; want none", len(list), err)
	}
	if _, err := w.patient.ShareRecords(t.Context(), ids, "dr-jones", nil); err != nil {
		t.Fatalf("ShareRecords: %v", err)
	}
	list, err := w.clinician.List(t.Context())
	if err != nil || len(list) != len(ids) {
		t.Fatalf("clinician's List = %d records, %v; want %d", len(list), err, len(ids))
	}
	for _, id := range ids {
		if _, _, err := get(t, w.clinician, id); err != nil {
			t.Errorf("clinician's Get(%x) = %v", id[:4], err)
		}
	}
}
