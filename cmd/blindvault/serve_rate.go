package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/blindvault/blindvault/server"
)

// rateFlag is a rate limit given as RATE/BURST (requests a second, and the
// burst allowed), or "off"; unset, the server's default.
type rateFlag server.RateLimit

func (r *rateFlag) String() string {
	switch {
	case r == nil || *r == rateFlag{}:
		return ""
	case r.Rate < 0:
		return "off"
	}
	return fmt.Sprintf("%g/%d", r.Rate, r.Burst)
}

func (r *rateFlag) Set(v string) error {
	if v == "off" {
		*r = rateFlag{Rate: -1}
		return nil
	}
	rate, burst, ok := strings.Cut(v, "/")
	f, err1 := strconv.ParseFloat(rate, 64)
	b, err2 := strconv.Atoi(burst)
	if !ok || err1 != nil || err2 != nil || f <= 0 || b < 1 {
		return fmt.Errorf("want RATE/BURST (such as 20/60) or off, not %q", v)
	}
	*r = rateFlag{Rate: f, Burst: b}
	return nil
}
