package server

import "sync"

// boundedCache is a concurrent map of at most limit entries: storing into a
// full one first drops an arbitrary entry (Go's map order), so a stream of
// distinct keys (accounts an attacker registers, say) cannot grow the
// server's memory. It suits caches whose entries are cheap to recompute.
type boundedCache[K comparable, V any] struct {
	mu    sync.Mutex
	limit int
	m     map[K]V
}

func newBoundedCache[K comparable, V any](limit int) *boundedCache[K, V] {
	return &boundedCache[K, V]{limit: limit, m: make(map[K]V)}
}

func (c *boundedCache[K, V]) Load(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *boundedCache[K, V]) Store(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; !ok && len(c.m) >= c.limit {
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[k] = v
}

func (c *boundedCache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
