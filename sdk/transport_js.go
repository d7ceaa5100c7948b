//go:build js

package sdk

import "errors"

// defaultTransport: in the browser the caller passes the fetch bridge.
func defaultTransport(string) (transport, error) {
	return nil, errors.New("sdk: Config.Transport is required in the browser build")
}
