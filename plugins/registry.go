package plugins

import (
	"slices"
	"sync"
)

// The registry is the only global state of the plugins: channel packages fill it from
// init, and everything else reads it.
var (
	registryMu sync.RWMutex
	registry   = map[string]Channel{}
)

// Register makes a channel available by its Name. Like sql.Register it panics when the
// channel is nil, has no name, or the name is already taken: that is a build mistake,
// not a runtime condition.
func Register(c Channel) {
	if c == nil {
		panic("plugins: Register of a nil channel")
	}
	name := c.Name()
	if name == "" {
		panic("plugins: Register of a channel without a name")
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("plugins: Register called twice for channel " + name)
	}
	registry[name] = c
}

// Lookup returns the channel registered under name.
func Lookup(name string) (Channel, bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	c, ok := registry[name]
	return c, ok
}

// Names returns the registered channel names, sorted.
func Names() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := make([]string, 0, len(registry))
	for name := range registry {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
