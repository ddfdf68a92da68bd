// Package connectorstest holds in-memory stand-ins for what the state
// store gives a connector (connectors.Cache and connectors.State), for the
// connectors' own tests.
package connectorstest

import (
	"context"
	"sync"

	"github.com/forewarn/forewarn/connectors"
)

// Cache is an in-memory connectors.Cache. The zero value is ready.
type Cache struct {
	mu sync.Mutex
	m  map[string]connectors.CacheEntry
}

// Get implements connectors.Cache.
func (c *Cache) Get(_ context.Context, k string) (connectors.CacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	return e, ok
}

// Put implements connectors.Cache.
func (c *Cache) Put(_ context.Context, k string, e connectors.CacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]connectors.CacheEntry{}
	}
	c.m[k] = e
}

// State is sync state in memory (connectors.State). Err, when set, is what
// every call returns; SaveErr what Save returns. Plan makes it a plan's
// state: ReadOnly reports true and Save keeps nothing. Set them between
// calls. The zero value is ready.
type State struct {
	mu      sync.Mutex
	m       map[string][]byte
	saves   int
	Err     error
	SaveErr error
	Plan    bool
}

// ReadOnly implements connectors.State.
func (s *State) ReadOnly() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Plan
}

// Saves is how many times Save was called, kept or not.
func (s *State) Saves() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saves
}

// Load implements connectors.State.
func (s *State) Load(_ context.Context, k string) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, false, s.Err
	}
	b, ok := s.m[k]
	return b, ok, nil
}

// Save implements connectors.State.
func (s *State) Save(_ context.Context, k string, b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saves++
	if s.Err != nil {
		return s.Err
	}
	if s.SaveErr != nil {
		return s.SaveErr
	}
	if s.Plan {
		return nil
	}
	if s.m == nil {
		s.m = map[string][]byte{}
	}
	s.m[k] = b
	return nil
}

var (
	_ connectors.Cache = (*Cache)(nil)
	_ connectors.State = (*State)(nil)
)
