// Package objects is the browser API's parser of format v1 objects by type
// name (parseObject and verifyObject in wasm/lowlevel_js.go), kept free of
// syscall/js so that it is fuzzed natively: every byte of its input comes from
// the page.
package objects

import (
	"errors"
	"fmt"

	"github.com/blindvault/blindvault/internal/format"
)

// Object is what every format v1 object provides.
type Object interface {
	Marshal() []byte
	Hash() [32]byte
}

// MaxSize bounds an object handed to Parse: the largest kind is far smaller.
const MaxSize = 1 << 20

// ErrUnknownType means Parse was given a type name it does not know.
var ErrUnknownType = errors.New("unknown object type")

// ErrTooLarge means the data exceeds MaxSize.
var ErrTooLarge = errors.New("object too large")

// types maps the type names of docs/spec/format-v1.md (and of the test
// vectors) to their parsers and kinds.
var types = map[string]struct {
	kind  format.Kind
	parse func([]byte) (Object, error)
}{
	"KeyCard":          {format.KindKeyCard, parser(format.ParseKeyCard)},
	"KeyCardText":      {format.KindKeyCard, parser(format.ParseKeyCardText)},
	"RoleAttestation":  {format.KindRole, parser(format.ParseRoleAttestation)},
	"DeviceCert":       {format.KindDeviceCert, parser(format.ParseDeviceCert)},
	"DeviceRevocation": {format.KindDeviceRevocation, parser(format.ParseDeviceRevocation)},
	"ACL":              {format.KindACL, parser(format.ParseACL)},
	"Grant":            {format.KindGrant, parser(format.ParseGrant)},
	"Header":           {format.KindHeader, parser(format.ParseHeader)},
	"AccountEntry":     {format.KindAccountEntry, parser(format.ParseAccountEntry)},
}

func parser[T Object](f func([]byte) (T, error)) func([]byte) (Object, error) {
	return func(b []byte) (Object, error) {
		o, err := f(b)
		if err != nil {
			return nil, err
		}
		return o, nil
	}
}

// Types returns the type names Parse knows.
func Types() []string {
	out := make([]string, 0, len(types))
	for name := range types {
		out = append(out, name)
	}
	return out
}

// Parse parses data as the object named typ ("KeyCardText" takes the PEM
// text, the others the signed binary encoding). Errors are ErrUnknownType,
// ErrTooLarge, or the format package's.
func Parse(typ string, data []byte) (Object, format.Kind, error) {
	t, ok := types[typ]
	if !ok {
		return nil, 0, fmt.Errorf("%w %q", ErrUnknownType, typ)
	}
	if len(data) > MaxSize {
		return nil, 0, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(data))
	}
	o, err := t.parse(data)
	if err != nil {
		return nil, 0, err
	}
	return o, t.kind, nil
}
