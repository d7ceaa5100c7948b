package sdk

import "time"

// The browser bridge, for the native tests of package sdk_test.
var (
	PutSealed    = (*Client).putSealed
	GetEncrypted = (*Client).getEncrypted
)

// SetClock sets the clock a client measures emergency delays with.
func SetClock(c *Client, now func() time.Time) { c.now = now }
