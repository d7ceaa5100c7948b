package main

import (
	"strings"
	"testing"
)

// TestShare_ManyAndAll: `share ID ID --with` and `share --all --with` share in
// one operation (sdk.Client.ShareRecords), and the clinician then lists and
// reads every record; a restricted record stops --all until it is confirmed.
func TestShare_ManyAndAll(t *testing.T) {
	f := newFHIRPeople(t)
	a := f.putFile(t, f.pat, "a.txt", []byte("first"), "--title", "A")
	b := f.putFile(t, f.pat, "b.txt", []byte("second"), "--title", "B")
	c := f.putFile(t, f.pat, "c.txt", []byte("third"), "--title", "C")

	if out := f.r.must(f.as(f.pat, "share", a, b, "--with", "dr-jones")...); !strings.Contains(out, "Shared 2 records with dr-jones") {
		t.Fatalf("share A B printed %q", out)
	}
	if out := f.r.must(f.as(f.clin, "ls")...); !strings.Contains(out, "A") || !strings.Contains(out, "B") || strings.Contains(out, " C ") {
		t.Fatalf("after sharing A and B the clinician lists:\n%s", out)
	}
	f.r.must(f.as(f.pat, "restrict", c)...)
	if code, _, errs := f.r.run(nil, f.as(f.pat, "share", "--all", "--with", "dr-jones")...); code == 0 || !strings.Contains(errs, "restricted") {
		t.Fatalf("share --all with a restricted record: exit %d, %q", code, errs)
	}
	if out := f.r.must(f.as(f.pat, "share", "--all", "--with", "dr-jones", "--confirm-restricted")...); !strings.Contains(out, "Shared 3 records with dr-jones") {
		t.Fatalf("share --all printed %q", out)
	}
	if got := f.r.must(f.as(f.clin, "get", c, "-o", "-")...); got != "third" {
		t.Fatalf("the clinician reads %q from C, want third", got)
	}
	for _, bad := range [][]string{{"share", "--all", a, "--with", "dr-jones"}, {"share", "--with", "dr-jones"}, {"share", a, b, "--team", "x/y"}} {
		if code, _, _ := f.r.run(nil, f.as(f.pat, bad...)...); code != 2 {
			t.Errorf("blindvault %v: exit %d, want 2 (usage)", bad, code)
		}
	}
}
