package auditlog

import (
	"fmt"
	"testing"
)

// A frontier reaches the same root as the full tree at every size, and one
// restored from its hashes goes on as the original.
func TestFrontierMatchesTree(t *testing.T) {
	var tree Tree
	f := &Frontier{}
	for i := 0; i <= 300; i++ {
		want, err := tree.Root()
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Root(); got != want {
			t.Fatalf("size %d: frontier root %x, tree root %x", i, got[:4], want[:4])
		}
		g, err := NewFrontier(f.Size(), f.Hashes())
		if err != nil {
			t.Fatal(err)
		}
		entry := []byte(fmt.Sprintf("entry %d", i))
		if err := tree.Append(entry); err != nil {
			t.Fatal(err)
		}
		f.Append(entry)
		g.Append(entry)
		if g.Root() != f.Root() {
			t.Fatalf("size %d: restored frontier diverged", i+1)
		}
	}
}

func TestNewFrontierRejectsWrongShape(t *testing.T) {
	f := &Frontier{}
	for i := 0; i < 5; i++ {
		f.Append([]byte{byte(i)})
	}
	if _, err := NewFrontier(7, f.Hashes()); err == nil {
		t.Fatal("a frontier of 7 entries with the 2 roots of 5 was accepted")
	}
	if _, err := NewFrontier(-1, nil); err == nil {
		t.Fatal("a negative size was accepted")
	}
}
