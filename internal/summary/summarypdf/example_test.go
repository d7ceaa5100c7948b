package summarypdf_test

import (
	"bytes"
	"fmt"
	"log"
	"time"

	"github.com/blindvault/blindvault/internal/summary"
	"github.com/blindvault/blindvault/internal/summary/summarypdf"
)

func ExampleWrite() {
	me := summary.Agent{Handle: "alice", Fingerprint: "alice's fingerprint"}
	d := &summary.Data{
		Account: me,
		Time:    time.Date(2026, 11, 3, 9, 30, 0, 0, time.UTC),
		Records: []summary.Record{{Type: "Observation", Title: "HbA1c", Version: 1,
			Modified: time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC), Author: &me, Owner: &me,
			Readers: []summary.Reader{{Owner: true, Contact: &me}}}},
	}
	var buf bytes.Buffer
	if err := summarypdf.Write(&buf, d); err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(buf.Bytes()[:5]))
	// Output: %PDF-
}
