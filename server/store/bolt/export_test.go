package bolt

// SetMigrateBatch sets how many keys each migration transaction moves, and
// returns a function that puts it back.
func SetMigrateBatch(n int) (restore func()) {
	old := migrateBatch
	migrateBatch = n
	return func() { migrateBatch = old }
}
