package server

import "testing"

// TestBoundedCache_Bounded: distinct keys never grow the cache past its
// limit, and a key stored last is there.
func TestBoundedCache_Bounded(t *testing.T) {
	c := newBoundedCache[int, int](100)
	for i := range 10000 {
		c.Store(i, i*2)
		if c.Len() > 100 {
			t.Fatalf("after %d stores the cache holds %d entries, limit 100", i+1, c.Len())
		}
		if v, ok := c.Load(i); !ok || v != i*2 {
			t.Fatalf("Load(%d) = %d, %v right after storing it", i, v, ok)
		}
	}
	c.Store(9999, 1) // replacing drops nothing
	if c.Len() != 100 {
		t.Fatalf("replacing a key changed the size to %d", c.Len())
	}
}
