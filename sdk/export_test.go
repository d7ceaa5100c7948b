package sdk

// The browser bridge, for the native tests of package sdk_test.
var (
	PutSealed    = (*Client).putSealed
	GetEncrypted = (*Client).getEncrypted
)
