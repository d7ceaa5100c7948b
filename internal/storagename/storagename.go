// Package storagename holds the rule for the names of a client's profile
// files (the sdk.Storage contract), so that the SDK's directory and memory
// storages and the browser's storage refuse the same names.
package storagename

import (
	"fmt"
	"io/fs"
)

// MaxLen is the longest name allowed, in bytes.
const MaxLen = 64

// Check returns an error matching fs.ErrInvalid unless name is 1 to MaxLen
// bytes of ASCII letters, digits, '.', '_' and '-', not starting with '.':
// no path separator, no "..", nothing a directory or a key prefix could
// misread.
func Check(name string) error {
	ok := name != "" && len(name) <= MaxLen && name[0] != '.'
	for i := 0; ok && i < len(name); i++ {
		c := name[i]
		ok = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-'
	}
	if !ok {
		return fmt.Errorf("profile storage: name %q: %w", name, fs.ErrInvalid)
	}
	return nil
}
