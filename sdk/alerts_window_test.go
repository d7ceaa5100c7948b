package sdk

import (
	"testing"
	"time"
)

func TestMaxDistinct_SlidingWindow(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	rec := func(b byte) [32]byte { return [32]byte{b} }
	rs := []alertRead{
		{t0, "x", rec(1)}, {t0.Add(time.Minute), "x", rec(1)}, {t0.Add(2 * time.Minute), "x", rec(2)},
		{t0.Add(10 * time.Minute), "x", rec(3)}, {t0.Add(11 * time.Minute), "x", rec(4)},
		{t0.Add(12 * time.Minute), "x", rec(5)}, {t0.Add(16 * time.Minute), "x", rec(6)},
	}
	if n, at := maxDistinct(rs, 5*time.Minute); n != 3 || !at.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("maxDistinct(5 min) = %d at %v, want 3 at +10 min", n, at.Sub(t0))
	}
	if n, _ := maxDistinct(rs, time.Hour); n != 6 {
		t.Fatalf("maxDistinct(1 h) = %d, want 6", n)
	}
	if n, _ := maxDistinct(nil, time.Hour); n != 0 {
		t.Fatalf("maxDistinct(nil) = %d, want 0", n)
	}
}

func TestMaxSum_SlidingWindow(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	cs := []alertCount{{t0, 1}, {t0.Add(time.Hour), 0}, {t0.Add(2 * time.Hour), 1}, {t0.Add(30 * time.Hour), 1}}
	if n, at := maxSum(cs, 24*time.Hour); n != 2 || !at.Equal(t0) {
		t.Fatalf("maxSum(24 h) = %d at %v, want 2 at t0", n, at.Sub(t0))
	}
}
