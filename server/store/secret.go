package store

import "context"

// MaxSecretName is the longest secret name.
const MaxSecretName = 255

// Secrets stores the server's own secrets by name. The values are opaque: the
// caller encrypts them before they get here.
type Secrets interface {
	// Secret returns the value stored under name.
	Secret(ctx context.Context, name string) ([]byte, error)
	// PutSecret stores value under name, replacing any old value.
	PutSecret(ctx context.Context, name string, value []byte) error
}
