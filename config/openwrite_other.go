//go:build !linux

package config

// openForWriting cannot be answered here; the stable-content check alone
// decides.
func openForWriting(string) bool { return false }
