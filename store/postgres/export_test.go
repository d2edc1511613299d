package postgres

import "time"

// SetListenHooks installs test signals for the LISTEN connection: listening
// gets the backend pid of each connection that reached LISTEN, retry each
// reconnect delay chosen. Call it before Wakeups.
func SetListenHooks(s *Store, listening func(pid uint32), retry func(time.Duration)) {
	s.hooks = listenHooks{listening: listening, retry: retry}
}
