package local

import (
	"context"
	"fmt"
	"os"
)

// StartTemp is Start in a new temporary directory, which Close removes: the
// start of the demo and of every example that runs without a server of its
// own. $TMPDIR chooses where the directory is made.
func StartTemp(ctx context.Context) (*Server, error) {
	dir, err := os.MkdirTemp("", "blindvault-local-")
	if err != nil {
		return nil, fmt.Errorf("local server: %w", err)
	}
	s, err := Start(ctx, dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s.cleanup = func() error { return os.RemoveAll(dir) }
	return s, nil
}
