package postgres

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/blindvault/blindvault/server/store"
)

var _ store.RateLimiter = (*Store)(nil)

// takeTokens is the generic cell rate algorithm in one statement. A bucket
// is its theoretical arrival time (tat, Unix microseconds): each token
// taken pushes it one interval ($2) later, from now at the earliest, and
// tokens are taken while tat stays within the burst's span ($3) of now, up
// to $4 of them. Now is the database's clock as the statement starts; the
// row a new bucket would be (EXCLUDED) carries it, as its tat less what
// it took: a full bucket takes least($4, burst). SET sees the row as it
// was: base is greatest(l.tat, now), and what the bucket holds is
// (now + span - base) / interval tokens. granted is what was taken (0:
// none, and wait says how long until one is due).
const takeTokens = `INSERT INTO rate_limits AS l (key, tat, wait, granted)
SELECT $1::text, c.now + least($4::bigint, $3::bigint / $2::bigint) * $2::bigint, 0, least($4::bigint, $3::bigint / $2::bigint)
FROM (SELECT (extract(epoch FROM statement_timestamp()) * 1000000)::bigint AS now) c
ON CONFLICT (key) DO UPDATE SET
	granted = greatest(least($4, (EXCLUDED.tat - EXCLUDED.granted * $2 + $3 - greatest(l.tat, EXCLUDED.tat - EXCLUDED.granted * $2)) / $2), 0),
	tat = greatest(l.tat, EXCLUDED.tat - EXCLUDED.granted * $2)
		+ greatest(least($4, (EXCLUDED.tat - EXCLUDED.granted * $2 + $3 - greatest(l.tat, EXCLUDED.tat - EXCLUDED.granted * $2)) / $2), 0) * $2,
	wait = CASE WHEN (EXCLUDED.tat - EXCLUDED.granted * $2 + $3 - greatest(l.tat, EXCLUDED.tat - EXCLUDED.granted * $2)) >= $2 THEN 0
		ELSE greatest(l.tat, EXCLUDED.tat - EXCLUDED.granted * $2) + $2 - (EXCLUDED.tat - EXCLUDED.granted * $2) - $3 END
RETURNING granted, wait`

// TakeTokens implements store.RateLimiter with one statement, outside any
// transaction, on an unlogged table: one round trip and no WAL flush.
func (s *Store) TakeTokens(ctx context.Context, key string, rate float64, burst, n int) (int, time.Duration, error) {
	if !(rate > 0) || burst < 1 || n < 1 || math.IsInf(rate, 0) {
		return 0, 0, fmt.Errorf("take tokens: rate %v burst %d n %d: %w", rate, burst, n, store.ErrInvalid)
	}
	interval := max(int64(1e6/rate), 1)
	type result struct{ granted, wait int64 }
	r, err := get(ctx, s, "take tokens", func(q querier) (result, error) {
		var r result
		err := q.QueryRow(ctx, takeTokens, key, interval, interval*int64(burst), int64(n)).Scan(&r.granted, &r.wait)
		return r, err
	})
	if err != nil {
		return 0, 0, err
	}
	return int(r.granted), time.Duration(r.wait) * time.Microsecond, nil
}
