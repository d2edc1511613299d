package app

import (
	"net"
	"os"
	"strconv"
	"time"
)

// SdNotify sends a state ("READY=1", "RELOADING=1", "STOPPING=1",
// "WATCHDOG=1") to systemd when it runs hookrunner as Type=notify; it does
// nothing otherwise. On READY it also starts the watchdog pings when
// WatchdogSec= is set.
func SdNotify(state string) {
	sock := os.Getenv("NOTIFY_SOCKET")
	if sock == "" {
		return
	}
	if state == "RELOADING=1" {
		// systemd wants MONOTONIC_USEC with RELOADING=1 (Type=notify-reload).
		state += "\nMONOTONIC_USEC=" + strconv.FormatInt(monotonicUsec(), 10)
	}
	addr := &net.UnixAddr{Name: sock, Net: "unixgram"}
	if sock[0] == '@' {
		addr.Name = "\x00" + sock[1:]
	}
	c, err := net.DialUnix("unixgram", nil, addr)
	if err != nil {
		return
	}
	defer c.Close()
	_, _ = c.Write([]byte(state))
	if state == "READY=1" {
		startWatchdog()
	}
}

var watchdogStarted bool

func startWatchdog() {
	if watchdogStarted {
		return
	}
	usec, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || usec <= 0 {
		return
	}
	if pid := os.Getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return
	}
	watchdogStarted = true
	go func() {
		t := time.NewTicker(time.Duration(usec) * time.Microsecond / 2)
		defer t.Stop()
		for range t.C {
			SdNotify("WATCHDOG=1")
		}
	}()
}

// SocketActivated returns the listener systemd passed (hookrunner.socket),
// or nil when hookrunner was not socket-activated.
func SocketActivated() net.Listener {
	if os.Getenv("LISTEN_PID") != strconv.Itoa(os.Getpid()) {
		return nil
	}
	n, err := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	if err != nil || n < 1 {
		return nil
	}
	f := os.NewFile(3, "systemd-socket")
	ln, err := net.FileListener(f)
	if err != nil {
		return nil
	}
	_ = f.Close()
	os.Unsetenv("LISTEN_PID")
	os.Unsetenv("LISTEN_FDS")
	os.Unsetenv("LISTEN_FDNAMES")
	return ln
}
