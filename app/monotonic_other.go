//go:build !linux

package app

// monotonicUsec is only read by SdNotify for systemd, which runs on Linux
// alone; elsewhere NOTIFY_SOCKET is not set and this is never sent.
func monotonicUsec() int64 { return 0 }
