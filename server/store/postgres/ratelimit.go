package postgres

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/blindvault/blindvault/server/store"
)

var _ store.RateLimiter = (*Store)(nil)

// takeToken is the generic cell rate algorithm in one statement. A bucket is
// its theoretical arrival time (tat, Unix microseconds): each token taken
// pushes it one interval ($2) later, from now at the earliest, and a token
// is taken while tat stays within the burst's span ($3) of now. Now is the
// database's clock, read as the statement starts: EXCLUDED.tat is now plus
// one interval, the tat of a bucket that was full. SET sees the row as it
// was, so wait (0 when a token was taken) and tat agree.
const takeToken = `INSERT INTO rate_limits AS l (key, tat, wait)
SELECT $1::text, c.now + $2::bigint, 0
FROM (SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint AS now) c
ON CONFLICT (key) DO UPDATE SET
	wait = greatest(greatest(l.tat + $2, EXCLUDED.tat) - EXCLUDED.tat + $2 - $3::bigint, 0),
	tat = CASE WHEN greatest(l.tat + $2, EXCLUDED.tat) - EXCLUDED.tat + $2 <= $3
		THEN greatest(l.tat + $2, EXCLUDED.tat) ELSE l.tat END
RETURNING wait`

// TakeToken implements store.RateLimiter with one statement, outside any
// transaction, on an unlogged table: one round trip and no WAL flush.
func (s *Store) TakeToken(ctx context.Context, key string, rate float64, burst int) (bool, time.Duration, error) {
	if !(rate > 0) || burst < 1 || math.IsInf(rate, 0) {
		return false, 0, fmt.Errorf("take token: rate %v burst %d: %w", rate, burst, store.ErrInvalid)
	}
	interval := max(int64(1e6/rate), 1)
	wait, err := get(ctx, s, "take token", func(q querier) (int64, error) {
		var wait int64
		err := q.QueryRow(ctx, takeToken, key, interval, interval*int64(burst)).Scan(&wait)
		return wait, err
	})
	if err != nil {
		return false, 0, err
	}
	return wait == 0, time.Duration(wait) * time.Microsecond, nil
}
