package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/blindvault/blindvault/internal/testenv"
)

// The pool's size: Options.MaxConns if set, else pool_max_conns if the
// connection string names it, else defaultMaxConns.
func TestOpen_PoolSize(t *testing.T) {
	t.Parallel()
	url := testenv.SharedPostgres(t).NewSchema(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	for _, c := range []struct {
		url  string
		opts *Options
		want int32
	}{
		{url, nil, defaultMaxConns},
		{url + sep + "pool_max_conns=3", nil, 3},
		{url + sep + "pool_max_conns=3", &Options{MaxConns: 5}, 5},
	} {
		s, err := Open(context.Background(), c.url, c.opts)
		if err != nil {
			t.Fatalf("Open(%s) = %v", c.url, err)
		}
		got := s.pool.Config().MaxConns
		s.Close()
		if got != c.want {
			t.Errorf("Open(%s, %+v): pool of %d, want %d", c.url, c.opts, got, c.want)
		}
	}
}
